"""The gateway's door: which tokens it refuses (401, problem details), what it logs (never the
token), partners' rate limit (429 + Retry-After), CORS only for the front-end's origin and the
security headers. In process: nothing here needs an upstream to answer."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time

import httpx
import jwt
import pytest
from common.identity import ADMIN, PARTNER, Identity
from gateway.app import create_app
from gateway.devtokens import DEV_IDENTITIES, DevKeys

from tests.platform import dev_keys, gateway_settings


def _client(**settings: object) -> httpx.AsyncClient:
    app = create_app(gateway_settings(**settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")


def _unsigned(claims: dict[str, object]) -> str:
    """An ``alg: none`` token: a header and claims, no signature."""

    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _hs256_with(secret: bytes, claims: dict[str, object]) -> str:
    """The algorithm-confusion attack: HMAC keyed with the public key (PyJWT will not even make
    one, so it is made by hand)."""
    unsigned = _unsigned(claims).rsplit(".", 2)[1]
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
    mac = hmac.new(secret, f"{header}.{unsigned}".encode(), hashlib.sha256).digest()
    return f"{header}.{unsigned}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _tokens() -> dict[str, str]:
    keys = dev_keys()
    admin = DEV_IDENTITIES[ADMIN]
    now = int(time.time())
    claims = dict(admin.to_claims(), aud="tm-api", iss="tm-dev", iat=now, exp=now + 600)
    return {
        "expired": keys.token(admin, ttl_s=-120),
        "wrongly signed": DevKeys.generate().token(admin),
        "wrong audience": keys.token(admin, audience="another-api"),
        "wrong issuer": keys.token(admin, issuer="someone-else"),
        "alg none": _unsigned(claims),
        "HS256 with the public key as secret": _hs256_with(keys.public_pem, claims),
        "malformed": "not.a.jwt",
        "no exp": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, keys.private_pem, algorithm="RS256"),
    }


@pytest.mark.parametrize("kind", list(_tokens()))
async def test_a_bad_token_is_refused_with_a_problem_and_never_logged(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = _tokens()[kind]
    caplog.set_level(logging.INFO, logger="gateway.auth")
    async with _client() as client:
        answer = await client.get("/v1/calls", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401, (kind, answer.text)
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["status"] == 401 and answer.json()["detail"]
    assert "refused: not authenticated" in caplog.text
    assert token not in caplog.text and token not in answer.text


async def test_no_token_and_a_token_without_roles() -> None:
    async with _client() as client:
        assert (await client.get("/v1/calls")).status_code == 401
        assert (await client.get("/v1/calls", headers={"Authorization": "Basic YTpi"})).status_code == 401
        nobody = dev_keys().token(Identity("x", frozenset({"intern"})))
        answer = await client.get("/v1/calls", headers={"Authorization": f"Bearer {nobody}"})
        assert answer.status_code == 403 and answer.headers["content-type"] == "application/problem+json"
        # Health, readiness and the API's documents stay open.
        assert (await client.get("/healthz")).status_code == 200


async def test_a_partner_is_slowed_down_with_retry_after() -> None:
    token = dev_keys().role_token(PARTNER)
    statuses = []
    async with _client(partner_rate_per_s=1, partner_burst=3, calls_url="http://127.0.0.1:9") as client:
        for _ in range(5):
            answer = await client.get("/v1/calls", headers={"Authorization": f"Bearer {token}"})
            statuses.append(answer.status_code)
        assert statuses[:3] == [503, 503, 503]  # let through (no calls service here)
        assert statuses[3:] == [429, 429]
        assert int(answer.headers["retry-after"]) >= 1
        # Another role is not counted against the partner's allowance.
        admin = dev_keys().role_token(ADMIN)
        assert (await client.get("/v1/calls", headers={"Authorization": f"Bearer {admin}"})).status_code == 503


async def test_cors_only_for_the_front_end_and_security_headers_everywhere() -> None:
    async with _client(cors_origins=["https://console.example"]) as client:
        preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
        allowed = await client.options("/v1/calls", headers={"Origin": "https://console.example", **preflight})
        assert allowed.headers["access-control-allow-origin"] == "https://console.example"
        other = await client.options("/v1/calls", headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in other.headers
        refused = await client.get("/v1/calls")
        docs = await client.get("/docs")
    for answer in (refused, docs):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    assert refused.headers["content-security-policy"].startswith("default-src 'none'")


async def test_a_verified_token_is_remembered_only_until_it_expires() -> None:
    """The verifier keeps a checked token's identity (a partner sends the same token with every
    call), never past the token's expiry."""
    from gateway.auth import TokenVerifier, Unauthenticated

    verifier = TokenVerifier(gateway_settings(auth_leeway_s=0.0))
    admin = DEV_IDENTITIES[ADMIN]
    token = dev_keys().token(admin, ttl_s=2)
    first = await verifier.verify(f"Bearer {token}")
    assert first.subject == admin.subject and ADMIN in first.roles
    assert await verifier.verify(f"Bearer {token}") == first  # from memory, the same identity
    assert await verifier.verify(f"Bearer {dev_keys().token(admin, ttl_s=600)}") == first  # another token, checked
    await asyncio.sleep(2.5)
    with pytest.raises(Unauthenticated, match="expired"):
        await verifier.verify(f"Bearer {token}")
