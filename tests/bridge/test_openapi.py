"""The OpenAPI document is generated from the route specs and models, and served with a token."""

from __future__ import annotations

from tests.conftest import Api


async def test_openapi_document_lists_routes_models_and_security(api: Api) -> None:
    status, doc, _ = await api.call("GET", "/api/v1/openapi.json", token=api.cashier)
    assert status == 200
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    assert "/api/v1/devices" in paths and "/health" in paths
    inject = paths["/api/v1/scanners/{device_id}/scans"]["post"]
    assert inject["security"] == [{"bearer": []}]
    assert set(inject["responses"]) >= {"202", "401", "403", "413", "415", "422"}
    schemas = doc["components"]["schemas"]
    assert inject["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ScanInjection"
    )
    assert schemas["ScanInjection"]["additionalProperties"] is False
    for name in (
        "Settings",
        "ServerConfig",
        "ErrorResponse",
        "DeviceList",
        "AuthFrame",
        "SubscribeFrame",
    ):
        assert name in schemas, name
    bodies = [
        op["requestBody"]["content"]["application/json"]["schema"]
        for item in paths.values()
        for op in item.values()
        if "requestBody" in op
    ]
    assert bodies and all(refs(body) for body in bodies)  # every body is a named model (or a union)
    dangling = {ref for ref in refs(doc) if ref.split("/")[-1] not in schemas}
    assert not dangling, dangling
    assert all(ref.startswith("#/components/schemas/") for ref in refs(doc))
    assert (await api.call("GET", "/api/v1/openapi.json", headers={}))[0] == 401


async def test_print_job_body_documents_each_receipt_block(api: Api) -> None:
    _, doc, _ = await api.call("GET", "/api/v1/openapi.json", token=api.cashier)
    schemas = doc["components"]["schemas"]
    job = doc["paths"]["/api/v1/printers/{printer_id}/jobs"]["post"]
    body_ref = job["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.endswith("PrintRequest")  # documents have a PrintRequest too: names qualified
    receipt = schemas[body_ref.split("/")[-1]]["properties"]["receipt"]
    assert any(ref.endswith("/Receipt") for ref in refs(receipt))
    blocks = schemas["Receipt"]["properties"]["blocks"]
    assert blocks["minItems"] == 1
    kinds = [ref.split("/")[-1] for ref in refs(blocks["items"])]
    assert kinds == [
        "TextBlock",
        "RowBlock",
        "RuleBlock",
        "QrBlock",
        "BarcodeBlock",
        "ImageBlock",
        "FeedBlock",
        "CutBlock",
    ]
    assert schemas["QrBlock"]["properties"]["size"]["maximum"] == 16
    assert schemas["TextBlock"]["additionalProperties"] is False
    frame = schemas["SubscribeFrame"]
    assert frame["properties"]["topics"]["minItems"] == 1 and frame["required"] == [
        "type",
        "topics",
    ]


def refs(schema: object) -> list[str]:
    """Every $ref in a piece of the document, in order."""
    found: list[str] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                found.append(node["$ref"])
            stack.extend(reversed([v for k, v in node.items() if k != "$ref"]))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return found
