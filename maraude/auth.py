"""Password hashing for dashboard accounts (argon2id).

Shared by ``maraude user add`` (which stores the hash in ``users.password_hash``)
and the dashboard's sign-in form (which checks it). Only the hash is stored.

>>> stored = hash_password("une phrase de passe assez longue")
>>> verify_password(stored, "une phrase de passe assez longue")
True
"""

from __future__ import annotations

import logging
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from maraude.errors import InputError

logger = logging.getLogger(__name__)

#: Shorter passwords are refused when an account is created or changed.
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``; :class:`InputError` if it is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"The password is too short ({len(password)} characters): use at least "
            f"{MIN_PASSWORD_LENGTH}, for example a phrase of several words."
        )
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash no password matches, so unknown users cost as much time as known ones."""
    return _hasher.hash("maraude: no account has this password")


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash`` (an argon2 hash).

    A missing or malformed hash never matches; it still costs one hash
    computation, so the answer's timing does not tell whether an account exists.
    """
    try:
        if not password_hash:
            _hasher.verify(_dummy_hash(), password)
            return False
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's defaults."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        logger.warning("a stored password hash is not a valid argon2 hash")
        return True
