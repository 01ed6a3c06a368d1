"""The coordinators' password: scrypt hashes, a brake on guessing, and an idle timeout.

The hash is made once with `kunskapsguide hash-password` and configured as
KG_ADMIN_PASSWORD_HASH; the password itself is never stored. Format:
`scrypt$<n>$<r>$<p>$<salt, base64>$<hash, base64>`, so the cost can be raised later without
invalidating hashes made with the old one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

SCRYPT_N = 2**14  # ~16 MB of memory and some tens of ms per check: slow for a guesser
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MAX_FAILURES = 5  # per session, before a lock-out
LOCKOUT_SECONDS = 300.0
GLOBAL_MAX_FAILURES = 25  # over all sessions: opening a new tab must not reset the brake
IDLE_TIMEOUT_SECONDS = 30 * 60


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=HASH_BYTES,
        maxmem=256 * 1024 * 1024,
    )  # fmt: skip


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("Lösenordet får inte vara tomt.")
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """True if `password` matches `stored`. A malformed or missing hash never matches."""
    if not password or not stored:
        return False
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.strip().split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(hash_b64, validate=True)
        actual = _scrypt(password, salt, int(n), int(r), int(p))
    except (ValueError, TypeError):  # wrong field count, bad base64, bad cost parameters
        return False
    return hmac.compare_digest(actual, expected)


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


@dataclass
class LoginGuard:
    """Counts failed logins per key (a browser session) and locks a key out for a while after
    `max_failures`. A global count over all keys stops a guesser who opens new sessions.
    Shared by all sessions of the app process, hence the lock."""

    max_failures: int = MAX_FAILURES
    lockout_seconds: float = LOCKOUT_SECONDS
    global_max_failures: int = GLOBAL_MAX_FAILURES
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, _Failures] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    _GLOBAL = "\x00all"

    def locked_for(self, key: str) -> float:
        """Seconds until `key` may try again (0 when it may try now)."""
        now = self.clock()
        with self._lock:
            waits = [
                f.locked_until - now
                for k in (key, self._GLOBAL)
                if (f := self._failures.get(k)) is not None
            ]
        return max([0.0, *waits])

    def record_failure(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            for k, limit in ((key, self.max_failures), (self._GLOBAL, self.global_max_failures)):
                f = self._failures.setdefault(k, _Failures())
                if f.locked_until and f.locked_until <= now:  # a served lock-out starts afresh
                    f.count, f.locked_until = 0, 0.0
                f.count += 1
                if f.count >= limit:
                    f.locked_until = now + self.lockout_seconds

    def record_success(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def attempt(self, key: str, password: str, stored: str | None) -> bool:
        """Check a password unless `key` is locked out; count the outcome."""
        if self.locked_for(key) > 0:
            return False
        if verify_password(password, stored):
            self.record_success(key)
            return True
        self.record_failure(key)
        return False


def session_expired(
    last_active: float | None, now: float, idle_seconds: float = IDLE_TIMEOUT_SECONDS
) -> bool:
    """A coordinator session ends after `idle_seconds` without activity."""
    return last_active is None or now - last_active > idle_seconds
