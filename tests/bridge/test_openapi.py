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
    every_ref = [
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for item in paths.values()
        for op in item.values()
        if "requestBody" in op
    ]
    assert all(ref.split("/")[-1] in schemas for ref in every_ref)
    assert (await api.call("GET", "/api/v1/openapi.json", headers={}))[0] == 401
