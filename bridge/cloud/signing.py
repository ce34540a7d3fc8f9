"""The cloud's Ed25519 config-signing key, kept in its data directory."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bridge.sync.protocol import canonical_json

KEY_FILE = "signing_key.pem"


class Signer:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    @classmethod
    def load_or_create(cls, data_dir: Path) -> Signer:
        path = data_dir / KEY_FILE
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, Ed25519PrivateKey), f"{path} is not an Ed25519 key"
            return cls(key)
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return cls(key)

    def public_key_b64(self) -> str:
        raw = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return base64.b64encode(raw).decode()

    def sign(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """The envelope with its signature over the canonical JSON of everything else."""
        unsigned = {k: v for k, v in envelope.items() if k != "signature"}
        signature = self._key.sign(canonical_json(unsigned))
        return {**unsigned, "signature": base64.b64encode(signature).decode()}
