"""Encryption at rest for Spotify tokens and PKCE verifiers (Fernet, keyed from the secret key)."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

# Fixed, public HKDF inputs: they separate this key from any other use of the secret key.
HKDF_SALT = b"melodiclens/v1"
HKDF_INFO = b"spotify-tokens"


class SecretKeyMissing(Exception):
    """Linking needs MELODICLENS_SECRET_KEY; the message tells the operator how to set it."""


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted (the secret key changed); the user must link again."""


def _fernet_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8")))


class TokenCipher:
    """Encrypts and decrypts short secrets; the plaintext never leaves this object's callers."""

    def __init__(self, secret_key: SecretStr | None) -> None:
        if secret_key is None or not secret_key.get_secret_value():
            raise SecretKeyMissing(
                "Spotify linking is turned off: set MELODICLENS_SECRET_KEY (at least 16 "
                "characters, e.g. `openssl rand -hex 32`) so that tokens can be stored encrypted."
            )
        self._fernet = Fernet(_fernet_key(secret_key.get_secret_value()))

    def encrypt(self, plaintext: str) -> bytes:
        """The Fernet token (bytes) for a secret string."""
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, ciphertext: bytes) -> str:
        """The secret string back, or SecretUnreadable when the key does not fit."""
        try:
            return self._fernet.decrypt(bytes(ciphertext)).decode("utf-8")
        except InvalidToken as err:
            raise SecretUnreadable(
                "A stored Spotify token cannot be decrypted: MELODICLENS_SECRET_KEY has changed."
            ) from err
