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

from core.errors import ConfigError

SCRYPT_N = 2**14  # ~16 MB of memory and some tens of ms per check: slow for a guesser
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
MAX_FAILURES = 5  # wrong passwords within LOCKOUT_SECONDS before the login locks
LOCKOUT_SECONDS = 300.0
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
        raise ConfigError(
            "Lösenordet får inte vara tomt. Ange det med --password eller skriv det när "
            "kommandot frågar efter det."
        )
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
class LoginGuard:
    """The brake on guessing the coordinators' password: after `max_failures` wrong passwords
    within `lockout_seconds`, every login is refused for `lockout_seconds`; a right password
    clears the count.

    One guard serves the whole app process (all browser sessions share it, hence the lock), and
    it counts for the login as a whole, not per browser session or client: a reload or a new
    tab starts a new session, and the app listens on loopback for one office, where Streamlit
    does not know the client's address (`st.context.ip_address` is None on localhost, and behind
    a proxy every user would share the proxy's). One shared password, one count: a guesser can
    lock the coordinators out for a few minutes, but cannot try more than `max_failures`
    passwords in any such window."""

    max_failures: int = MAX_FAILURES
    lockout_seconds: float = LOCKOUT_SECONDS
    clock: Callable[[], float] = time.monotonic
    _failures: list[float] = field(default_factory=list, repr=False)  # times of recent ones
    _locked_until: float = field(default=0.0, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.lockout_seconds <= 0:
            raise ValueError("LoginGuard needs max_failures >= 1 and lockout_seconds > 0.")

    def locked_for(self) -> float:
        """Seconds until a password may be tried again (0 when it may be tried now)."""
        with self._lock:
            return max(0.0, self._locked_until - self.clock())

    def record_failure(self) -> None:
        with self._lock:
            self._count_failure(self.clock())

    def _count_failure(self, now: float) -> None:  # with self._lock held
        # Failures older than the window are forgiven, and a served lock-out starts afresh.
        self._failures = [t for t in self._failures if now - t < self.lockout_seconds]
        self._failures.append(now)
        if len(self._failures) >= self.max_failures:
            self._locked_until = now + self.lockout_seconds
            self._failures.clear()

    def record_success(self) -> None:
        with self._lock:
            self._failures.clear()
            self._locked_until = 0.0

    def attempt(self, password: str, stored: str | None) -> bool:
        """Check a password unless the login is locked; count the outcome. While locked, even
        the right password is refused, and the check (scrypt, constant-time compare) is not run.

        The attempt counts as a failure before the check, under the lock, and a right password
        takes it back: passwords sent at once from many sessions cannot all slip in while the
        first checks are still running."""
        with self._lock:
            now = self.clock()
            if self._locked_until > now:
                return False
            self._count_failure(now)
        if verify_password(password, stored):
            self.record_success()
            return True
        return False


def session_expired(
    last_active: float | None, now: float, idle_seconds: float = IDLE_TIMEOUT_SECONDS
) -> bool:
    """A coordinator session ends after `idle_seconds` without activity."""
    return last_active is None or now - last_active > idle_seconds
