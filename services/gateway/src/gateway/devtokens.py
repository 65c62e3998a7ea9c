"""Development tokens: a local key pair and a ready token for each role, for ``make run`` and the
tests. Production never uses these: there the identity provider signs tokens and the gateway
reads its keys from ``AUTH_JWKS_URL``.

``python -m gateway dev-tokens [--dir var/auth]`` makes the key pair once (kept in the folder, so
tokens stay valid across restarts) and prints a token for each role.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from common.identity import ADMIN, AGENT, MANAGER, PARTNER, PII_READ, QA, SUPERVISOR, Identity
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEV_ISSUER = "tm-dev"
AUDIENCE = "tm-api"

# Who each development token speaks for: one agent and its supervisor on team T01, a partner
# dialler for campaign C01, and the back-office roles.
DEV_IDENTITIES: dict[str, Identity] = {
    AGENT: Identity("A001", frozenset({AGENT}), team="T01"),
    SUPERVISOR: Identity("S001", frozenset({SUPERVISOR}), team="T01"),
    QA: Identity("Q001", frozenset({QA})),
    MANAGER: Identity("M001", frozenset({MANAGER})),
    PARTNER: Identity("dialer-1", frozenset({PARTNER}), campaigns=frozenset({"C01"})),
    ADMIN: Identity("admin", frozenset({ADMIN}), grants=frozenset({PII_READ})),
}


@dataclass(frozen=True)
class DevKeys:
    private_pem: bytes
    public_pem: bytes

    @classmethod
    def generate(cls) -> DevKeys:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        )

    @classmethod
    def in_folder(cls, folder: Path) -> DevKeys:
        """The folder's key pair, made on first use."""
        private, public = folder / "dev-signing-key.pem", folder / "dev-public-key.pem"
        if private.exists() and public.exists():
            return cls(private.read_bytes(), public.read_bytes())
        keys = cls.generate()
        folder.mkdir(parents=True, exist_ok=True)
        private.write_bytes(keys.private_pem)
        private.chmod(0o600)
        public.write_bytes(keys.public_pem)
        return keys

    def token(
        self,
        identity: Identity,
        *,
        ttl_s: float = 12 * 3600,
        audience: str = AUDIENCE,
        issuer: str = DEV_ISSUER,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims = dict(identity.to_claims(), aud=audience, iss=issuer, iat=now, exp=now + int(ttl_s), **extra)
        return jwt.encode(claims, self.private_pem, algorithm="RS256")

    def role_token(self, role: str, **kwargs: Any) -> str:
        return self.token(DEV_IDENTITIES[role], **kwargs)


def print_tokens(folder: Path) -> None:
    keys = DevKeys.in_folder(folder)
    print(f"Development tokens (12 h; public key {folder / 'dev-public-key.pem'}):")
    for role, identity in DEV_IDENTITIES.items():
        print(f"  {role:<10} {identity.subject:<9} {keys.role_token(role)}")
