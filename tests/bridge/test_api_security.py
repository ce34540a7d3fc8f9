"""security.md items 1-8 and 12: each with a request that must be refused and one that must pass."""

from __future__ import annotations

import io
import sqlite3
from datetime import timedelta

import aiohttp
import pytest

from bridge.api.site import bind_loopback
from bridge.auth.roles import Role
from bridge.store.database import DATABASE_NAME
from tests.conftest import EVIL_ORIGIN, POS_ORIGIN, Api, make_token

# -- 1. loopback only ---------------------------------------------------------------------------


async def test_listens_on_loopback_only(api: Api) -> None:
    for site in api.daemon.sites:
        host = site.name.split("//")[1].rsplit(":", 1)[0]
        assert host in ("127.0.0.1", "[::1]")
    status, _, _ = await api.call("GET", "/health")
    assert status == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_wildcard_or_external_bind_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="non-loopback"):
        bind_loopback(host, 0)


# -- 2. exact Host allowlist (DNS rebinding) -------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/health", "/", "/static/app.js", "/api/v1/devices", "/api/v1/openapi.json"]
)
async def test_foreign_host_refused_on_every_route(api: Api, path: str) -> None:
    for host in (
        "evil.example.test",
        f"evil.example.test:{api.port}",
        f"127.0.0.1:{api.port + 1}",
        "127.0.0.1",
        f"localhost.evil.test:{api.port}",
    ):
        status, body, _ = await api.call("GET", path, headers={**api.auth(), "Host": host})
        assert status == 403, (host, path)
        assert body["error"]["code"] == "host.forbidden"


async def test_x_forwarded_host_is_ignored(api: Api) -> None:
    headers = {
        **api.auth(),
        "Host": "evil.example.test",
        "X-Forwarded-Host": f"127.0.0.1:{api.port}",
    }
    status, _, _ = await api.call("GET", "/health", headers=headers)
    assert status == 403


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
async def test_loopback_names_with_own_port_pass(api: Api, name: str) -> None:
    status, body, _ = await api.call(
        "GET", "/api/v1/devices", headers={**api.auth(), "Host": f"{name}:{api.port}"}
    )
    assert status == 200
    assert body["devices"][0]["id"] == "scanner"


async def test_foreign_host_refused_for_websocket_upgrade(api: Api) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await api.ws(headers={"Host": "evil.example.test"})
    assert info.value.status == 403


# -- 3. Origin allowlist, exact CORS echo, private network preflight ------------------------------


async def test_listed_origin_gets_exact_cors_echo(api: Api) -> None:
    status, _, resp = await api.call("GET", "/api/v1/devices", headers=api.auth(Origin=POS_ORIGIN))
    assert status == 200
    assert resp.headers["Access-Control-Allow-Origin"] == POS_ORIGIN
    assert "Origin" in resp.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in resp.headers


async def test_listed_origin_errors_are_readable_too(api: Api) -> None:
    status, body, resp = await api.call("GET", "/api/v1/devices", headers={"Origin": POS_ORIGIN})
    assert status == 401 and body["error"]["code"] == "auth.missing_token"
    assert resp.headers["Access-Control-Allow-Origin"] == POS_ORIGIN


async def test_foreign_origin_refused_without_cors(api: Api) -> None:
    status, body, resp = await api.call(
        "GET", "/api/v1/devices", headers=api.auth(Origin=EVIL_ORIGIN)
    )
    assert status == 403
    assert body["error"]["code"] == "origin.forbidden"
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_preflight_from_listed_origin_allows_private_network(api: Api) -> None:
    headers = {
        "Origin": POS_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        "Access-Control-Request-Private-Network": "true",
    }
    status, _, resp = await api.call("OPTIONS", "/api/v1/scanners/scanner/scans", headers=headers)
    assert status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == POS_ORIGIN
    assert resp.headers["Access-Control-Allow-Private-Network"] == "true"
    assert "Idempotency-Key" in resp.headers["Access-Control-Allow-Headers"]
    assert resp.headers["Access-Control-Allow-Origin"] != "*"


async def test_preflight_from_foreign_origin_refused(api: Api) -> None:
    headers = {
        "Origin": EVIL_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Private-Network": "true",
    }
    status, _, resp = await api.call("OPTIONS", "/api/v1/scanners/scanner/scans", headers=headers)
    assert status == 403
    assert "Access-Control-Allow-Private-Network" not in resp.headers


# -- 5. bearer tokens: random, hashed, roles, listable, revocable, no cookies --------------------


async def test_missing_bad_and_good_tokens(api: Api) -> None:
    status, body, resp = await api.call("GET", "/api/v1/devices", headers={})
    assert status == 401 and body["error"]["code"] == "auth.missing_token"
    assert resp.headers["WWW-Authenticate"] == "Bearer"
    status, body, _ = await api.call("GET", "/api/v1/devices", token="tb_" + "x" * 32)
    assert status == 401 and body["error"]["code"] == "auth.invalid_token"
    status, body, _ = await api.call(
        "GET", "/api/v1/devices", headers={"Authorization": f"Basic {api.cashier}"}
    )
    assert status == 401 and body["error"]["code"] == "auth.bad_scheme"
    status, _, _ = await api.call("GET", "/api/v1/devices", token=api.cashier)
    assert status == 200


async def test_tokens_are_random_and_stored_only_hashed(api: Api, state_dir) -> None:
    tokens = {await make_token(api.daemon, Role.CASHIER) for _ in range(5)}
    assert len(tokens) == 5
    assert all(len(t.removeprefix("tb_")) >= 32 for t in tokens)  # 24 random bytes, base64url
    raw = b"".join(p.read_bytes() for p in state_dir.iterdir() if p.name.startswith(DATABASE_NAME))
    for token in tokens | {api.technician, api.cashier}:
        assert token.encode() not in raw
    db = sqlite3.connect(state_dir / DATABASE_NAME)
    assert (
        db.execute("SELECT count(*) FROM api_tokens WHERE length(token_hash) = 32").fetchone()[0]
        >= 7
    )


async def test_token_list_and_revoke(api: Api) -> None:
    victim = await make_token(api.daemon, Role.CASHIER)
    status, body, _ = await api.call("GET", "/api/v1/tokens")
    assert status == 200
    entry = next(
        t
        for t in body["tokens"]
        if t["source"] == "test" and t["active"] and t["name"] == "test cashier"
    )
    assert "token" not in entry and "token_hash" not in entry
    assert (await api.call("GET", "/api/v1/devices", token=victim))[0] == 200
    status, _, _ = await api.call("DELETE", f"/api/v1/tokens/{entry['id']}")
    assert status == 200
    status, body, _ = await api.call("GET", "/api/v1/devices", token=victim)
    assert status == 401 and body["error"]["code"] == "auth.invalid_token"
    assert (await api.call("DELETE", f"/api/v1/tokens/{entry['id']}"))[0] == 404


async def test_no_cookies_set_and_cookies_do_not_authenticate(api: Api) -> None:
    for path in ("/", "/health", "/api/v1/devices"):
        _, _, resp = await api.call("GET", path)
        assert "Set-Cookie" not in resp.headers
    status, _, _ = await api.call(
        "GET", "/api/v1/devices", headers={"Cookie": f"token={api.technician}"}
    )
    assert status == 401


# -- 6. cross-origin text/plain or form POSTs change nothing; GETs have no side effect ------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_simple_cross_origin_post_changes_nothing(api: Api, content_type: str) -> None:
    ws = await api.ws_authed(["scan"])
    body = '{"code": "EVIL-1"}'
    for origin in (EVIL_ORIGIN, POS_ORIGIN, None):
        headers = {"Content-Type": content_type}
        if origin:
            headers["Origin"] = origin
        status, _, _ = await api.call(
            "POST", "/api/v1/scanners/scanner/scans", data=body, headers=headers
        )
        assert status in (401, 403)
    # Even with a token, a non-JSON body is refused, so a form cannot smuggle a request through.
    status, resp_body, _ = await api.call(
        "POST",
        "/api/v1/scanners/scanner/scans",
        data=body,
        headers=api.auth(**{"Content-Type": content_type}),
    )
    assert status == 415 and resp_body["error"]["code"] == "body.unsupported_type"
    # nothing reached the scan stream; a legitimate scan does
    assert (await api.call("POST", "/api/v1/scanners/scanner/scans", json_body={"code": "OK-1"}))[
        0
    ] == 202
    event = await ws.receive_json(timeout=5)
    assert event["data"]["code"] == "OK-1"
    await ws.close()


async def test_get_has_no_side_effect(api: Api) -> None:
    status, _, _ = await api.call("GET", "/api/v1/pairing/codes")
    assert status == 405
    status, _, _ = await api.call("GET", "/api/v1/scanners/scanner/scans")
    assert status == 405


# -- 7. pairing codes: single use, expiring, locking out --------------------------------------------


async def test_pairing_code_single_use(api: Api) -> None:
    status, body, _ = await api.call("POST", "/api/v1/pairing/codes")
    assert status == 201
    code = body["code"]
    status, body, _ = await api.call(
        "POST", "/api/v1/pairing", headers={}, json_body={"code": code, "name": "till 1"}
    )
    assert status == 201 and body["role"] == "cashier"
    token = body["token"]
    assert (await api.call("GET", "/api/v1/devices", token=token))[0] == 200
    assert (await api.call("POST", "/api/v1/pairing/codes", token=token))[
        0
    ] == 403  # still a cashier
    status, body, _ = await api.call(
        "POST", "/api/v1/pairing", headers={}, json_body={"code": code, "name": "again"}
    )
    assert status == 403 and body["error"]["code"] == "pairing.bad_code"


async def test_pairing_locks_after_wrong_codes(api: Api) -> None:
    _, body, _ = await api.call("POST", "/api/v1/pairing/codes")
    good = body["code"]
    wrong = "00000000" if good != "00000000" else "11111111"
    statuses = []
    for _ in range(5):
        status, body, _ = await api.call(
            "POST", "/api/v1/pairing", headers={}, json_body={"code": wrong, "name": "x"}
        )
        statuses.append(status)
    assert statuses == [403, 403, 403, 403, 429]
    status, body, resp = await api.call(
        "POST", "/api/v1/pairing", headers={}, json_body={"code": good, "name": "x"}
    )
    assert status == 429 and body["error"]["code"] == "pairing.locked"
    assert int(resp.headers["Retry-After"]) > 0


def test_pairing_codes_expire() -> None:
    from bridge.auth.pairing import PairingCodes
    from bridge.config.models import AuthConfig

    now = [1000.0]
    codes = PairingCodes(AuthConfig(pairing_code_ttl_s=60), clock=lambda: now[0])
    code, ttl = codes.issue()
    assert ttl == 60
    now[0] += 61
    assert codes.redeem(code) is False
    fresh, _ = codes.issue()
    assert codes.redeem(fresh) is True


# -- 8. cashier cannot reach technician routes; technician sessions expire -------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/pairing/codes", None),
        ("GET", "/api/v1/tokens", None),
        ("POST", "/api/v1/scanners/scanner/scans", {"code": "1"}),
    ],
)
async def test_cashier_refused_on_technician_routes(
    api: Api, method: str, path: str, body: object
) -> None:
    status, resp, _ = await api.call(method, path, token=api.cashier, json_body=body)
    assert status == 403 and resp["error"]["code"] == "auth.forbidden_role"
    status, _, _ = await api.call(method, path, token=api.technician, json_body=body)
    assert status in (200, 201, 202)


async def test_technician_sessions_expire(api: Api) -> None:
    _, body, _ = await api.call("GET", "/api/v1/tokens")
    link = next(t for t in body["tokens"] if t["source"] == "login-link" and t["active"])
    assert link["role"] == "technician" and link["expires_at"] is not None
    expired = await make_token(api.daemon, Role.TECHNICIAN, ttl=timedelta(seconds=-1))
    status, body, _ = await api.call("GET", "/api/v1/tokens", token=expired)
    assert status == 401 and body["error"]["code"] == "auth.invalid_token"


# -- 12. malformed, deep, large, unknown: 4xx with a clear message, never 500 -----------------------


async def test_malformed_json(api: Api) -> None:
    status, body, _ = await api.call(
        "POST",
        "/api/v1/scanners/scanner/scans",
        data='{"code": ',
        headers=api.auth(**{"Content-Type": "application/json"}),
    )
    assert status == 400 and body["error"]["code"] == "body.malformed_json"
    assert "line 1" in body["error"]["message"]


async def test_deeply_nested_json(api: Api) -> None:
    for depth in (40, 100_000):
        data = "[" * depth + "]" * depth
        status, body, _ = await api.call(
            "POST",
            "/api/v1/scanners/scanner/scans",
            data=data,
            headers=api.auth(**{"Content-Type": "application/json"}),
        )
        assert status == 400 and body["error"]["code"] == "body.too_deep", depth


async def test_body_over_limit(api: Api) -> None:
    data = io.BytesIO(b'{"code": "' + b"1" * (5 * 1024 * 1024) + b'"}')
    status, body, _ = await api.call(
        "POST",
        "/api/v1/scanners/scanner/scans",
        data=data,
        headers=api.auth(**{"Content-Type": "application/json"}),
    )
    assert status == 413 and body["error"]["code"] == "body.too_large"


async def test_unknown_fields_and_wrong_shape(api: Api) -> None:
    status, body, _ = await api.call(
        "POST", "/api/v1/scanners/scanner/scans", json_body={"code": "1", "coed": 2}
    )
    assert status == 422 and body["error"]["code"] == "body.invalid"
    assert body["error"]["details"]["problems"][0]["field"] == "coed"
    status, body, _ = await api.call(
        "POST", "/api/v1/scanners/scanner/scans", json_body={"code": ""}
    )
    assert status == 422 and "code" in body["error"]["message"]
    status, body, _ = await api.call("POST", "/api/v1/scanners/scanner/scans", json_body=[1, 2])
    assert status == 422


async def test_invalid_utf8(api: Api) -> None:
    status, body, _ = await api.call(
        "POST",
        "/api/v1/scanners/scanner/scans",
        data=b'{"code": "\xff"}',
        headers=api.auth(**{"Content-Type": "application/json"}),
    )
    assert status == 400 and body["error"]["code"] == "body.not_utf8"


async def test_unknown_route_is_json_404(api: Api) -> None:
    status, body, _ = await api.call("GET", "/api/v1/nothing-here")
    assert status == 404 and body["error"]["code"] == "not_found"
