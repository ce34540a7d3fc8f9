"""Documents: record (idempotent by id), read back; a sale may print its receipt and open the drawer."""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from bridge import keys
from bridge.api.errors import ApiError
from bridge.api.json_body import invalid_body, parse_json, read_model
from bridge.api.responses import model_response as _json
from bridge.api.routing import RouteSpec
from bridge.api.security import PRINCIPAL
from bridge.auth.roles import Role
from bridge.documents import receipt, repeats
from bridge.documents.errors import DocumentRejected
from bridge.documents.models import Document, DocumentResponse, RecordedDocument
from bridge.drawers.service import DrawerRefused
from bridge.printing.models import PrintRequest as PrintJobRequest
from bridge.store import StoreError
from bridge.wire import WireError, decode_json

log = structlog.get_logger(__name__)


#: The drawer policy's reasons ([drawers] reasons) for each document that may open it.
DRAWER_REASONS = {
    "sale": "sale",
    "refund": "refund",
    "cash_in": "float",
    "cash_out": "pickup",
    "shift_open": "float",
    "shift_close": "pickup",
}


def _failure(exc: Exception) -> dict[str, Any]:
    return {
        "status": "failed",
        "code": getattr(exc, "code", type(exc).__name__),
        "message": str(exc) or type(exc).__name__,
    }


async def _print(
    request: web.Request, doc: Document, body: dict[str, Any]
) -> dict[str, Any] | None:
    wish = getattr(doc, "print", None)
    if wish is None:
        return None
    key = getattr(keys, "PRINT_QUEUE", None)
    if key is None or key not in request.app:
        return {"status": "unavailable", "message": "printing is not available in this daemon"}
    try:
        job, created = await request.app[key].submit(
            wish.printer,
            PrintJobRequest(receipt=receipt.build(body)),
            f"document:{body['id']}",  # the queue keeps one job per key: never printed twice
            request[PRINCIPAL],
        )
    except Exception as exc:  # the sale is recorded; a printer problem must not undo it
        log.warning("documents.print_failed", id=body["id"], error=str(exc))
        return _failure(exc)
    return {"status": "submitted" if created else "already_submitted", "job": job.to_wire()}


async def _drawer(
    request: web.Request, doc: Document, body: dict[str, Any]
) -> dict[str, Any] | None:
    wish = getattr(doc, "open_drawer", None)
    if wish is None:
        return None
    key = getattr(keys, "DRAWERS", None)
    if key is None or key not in request.app:
        return {"status": "unavailable", "message": "drawers are not available in this daemon"}
    try:
        result = await request.app[key].open(
            wish.drawer,
            DRAWER_REASONS[body["type"]],
            body["id"],
            request[PRINCIPAL],
            request.headers.get("Origin"),
        )
    except DrawerRefused as exc:
        refusal = exc.refusal
        return {"status": "refused", "code": refusal.code, "message": refusal.message}
    except Exception as exc:
        log.warning("documents.drawer_failed", id=body["id"], error=str(exc))
        return _failure(exc)
    return {"status": "opened", **result}


async def _drawer_on_repeat(request: web.Request, doc: Document) -> dict[str, Any] | None:
    """Never a second kick; what the first request did when it is known (module repeats)."""
    if getattr(doc, "open_drawer", None) is None:
        return None
    earlier = await repeats.earlier_drawer_open(request.app[keys.STORE], str(doc.id))
    return (
        {"status": "not_repeated"}
        if earlier is None
        else {"status": "not_repeated", "earlier": earlier}
    )


async def _read_document(request: web.Request) -> Document:
    """The body decoded straight into its document class, in one pass.

    Decoding into the typed models needs no separate depth check: no document field is a dict or
    Any, so the schema bounds the nesting and the decoder stops at the first value of the wrong
    kind. A refused body is parsed again the general way, so a malformed, too deep or non-UTF-8
    one gets the same 400 as on every other route; otherwise the 422 names the field.
    """
    if request.content_type != "application/json":  # refused there with a 415
        return await read_model(request, Document, _max_depth(request))
    raw = await request.read()
    try:
        return decode_json(raw, Document)
    except WireError as exc:
        parse_json(raw, _max_depth(request))
        raise invalid_body(exc) from None


def _max_depth(request: web.Request) -> int:
    return int(request.app[keys.CONFIG].settings.server.max_json_depth)


async def record_document(request: web.Request) -> web.Response:
    doc = await _read_document(request)
    try:
        outcome = await request.app[keys.DOCUMENTS].record(doc)
    except DocumentRejected as exc:
        raise ApiError(exc.status, exc.code, exc.message, exc.details) from None
    except StoreError as exc:
        raise ApiError(503, "store.unavailable", str(exc)) from None
    recorded = outcome.recorded
    response = DocumentResponse(
        document=recorded.document,
        seq=recorded.seq,
        recorded_at=recorded.recorded_at,
        movements=recorded.movements,
        status="recorded" if outcome.created else "already_recorded",
        print=None,
        drawer=None,
        stock_warnings=outcome.negative_stock,
    )
    # The document is committed before its receipt is submitted, so a daemon that dies (or a
    # response that is lost) in between leaves a recorded sale whose receipt was never queued,
    # and the POS retries. A repeat therefore submits the receipt again under the same key,
    # document:{id}: the print queue keeps one job per key, so the receipt prints once whether
    # or not the first submit got through (the answer then says "already_submitted"). The
    # drawer is different: a kick cannot be deduplicated and a retried sale must not open the
    # till a second time, so a repeat never kicks it; it reports the first request's audited
    # attempt when there was one, else just "not_repeated".
    response.print = await _print(request, doc, recorded.document)
    if outcome.created:
        response.drawer = await _drawer(request, doc, recorded.document)
    else:
        response.drawer = await _drawer_on_repeat(request, doc)
    return _json(response, 201 if outcome.created else 200)


async def get_document(request: web.Request) -> web.Response:
    document_id = request.match_info["document_id"].lower()
    found = await request.app[keys.DOCUMENTS].get(document_id)
    if found is None:
        raise ApiError(404, "document.not_found", f"No document {document_id} is recorded here.")
    return _json(found)


def routes() -> list[RouteSpec]:
    C = Role.CASHIER
    return [
        RouteSpec(
            "POST",
            "/api/v1/documents",
            record_document,
            "Record a document: 201 when recorded, 200 when this id was already recorded (a "
            "repeat queues its receipt again under the same key, so it prints once, and never "
            "opens the drawer again).",
            C,
            Document,
            DocumentResponse,
            status=201,
            errors=(400, 409, 415, 422, 503),
            tag="documents",
        ),
        RouteSpec(
            "GET",
            "/api/v1/documents/{document_id}",
            get_document,
            "A recorded document with its stock movements.",
            C,
            response_model=RecordedDocument,
            errors=(404,),
            tag="documents",
        ),
    ]
