"""Coordinator passwords: scrypt hashes, the brake on guessing, the idle timeout."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.auth import (
    IDLE_TIMEOUT_SECONDS,
    LoginGuard,
    hash_password,
    session_expired,
    verify_password,
)


def test_hash_has_the_documented_format_and_a_fresh_salt() -> None:
    first, second = hash_password("hemligt"), hash_password("hemligt")
    scheme, n, r, p, salt, digest = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert salt and digest
    assert first != second  # random salt
    assert "hemligt" not in first


@pytest.mark.parametrize("password", ["hemligt", "Sekretess åäö 2026!", "🔒 lösen", " mellanslag "])
def test_right_password_verifies_wrong_does_not(password: str) -> None:
    stored = hash_password(password)
    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)
    assert not verify_password(password.strip() + "?", stored)


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "",
        "hemligt",  # a plain password pasted by mistake
        "scrypt$16384$8$1$inte-base64$inte-base64",
        "bcrypt$16384$8$1$AAAA$AAAA",
        "scrypt$x$8$1$AAAA$AAAA",
        "scrypt$16384$8$1$AAAA",
    ],
)
def test_malformed_hash_never_matches(stored: str | None) -> None:
    assert not verify_password("hemligt", stored)


def test_empty_password_is_refused() -> None:
    with pytest.raises(ValueError):
        hash_password("")
    assert not verify_password("", hash_password("x"))


@settings(max_examples=5, deadline=None)  # each hash costs tens of milliseconds on purpose
@given(st.text(min_size=1, max_size=40))
def test_round_trip_any_text(password: str) -> None:
    assert verify_password(password, hash_password(password))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


def test_guard_locks_a_session_out_after_five_failures(clock: FakeClock) -> None:
    stored = hash_password("rätt")
    guard = LoginGuard(lockout_seconds=300, clock=clock)
    for _ in range(4):
        assert not guard.attempt("s1", "fel", stored)
        assert guard.locked_for("s1") == 0
    assert not guard.attempt("s1", "fel", stored)
    assert guard.locked_for("s1") == pytest.approx(300)
    # Locked: even the right password is not checked.
    assert not guard.attempt("s1", "rätt", stored)
    # Another session is not locked.
    assert guard.attempt("s2", "rätt", stored)
    clock.now += 301
    assert guard.locked_for("s1") == 0
    assert guard.attempt("s1", "rätt", stored)


def test_success_resets_the_count(clock: FakeClock) -> None:
    stored = hash_password("rätt")
    guard = LoginGuard(clock=clock)
    for _ in range(4):
        guard.attempt("s", "fel", stored)
    assert guard.attempt("s", "rätt", stored)
    for _ in range(4):
        guard.attempt("s", "fel", stored)
    assert guard.locked_for("s") == 0


def test_new_sessions_do_not_escape_the_global_brake(clock: FakeClock) -> None:
    guard = LoginGuard(max_failures=5, global_max_failures=10, clock=clock)
    for i in range(10):
        guard.record_failure(f"ny-flik-{i}")  # a guesser opening a new tab per try
    assert guard.locked_for("ännu-en-flik") > 0


@pytest.mark.parametrize(
    ("last_active", "now", "expired"),
    [
        (None, 0.0, True),
        (0.0, 10.0, False),
        (0.0, IDLE_TIMEOUT_SECONDS, False),
        (0.0, IDLE_TIMEOUT_SECONDS + 1, True),
    ],
)
def test_session_expires_after_idle_time(
    last_active: float | None, now: float, expired: bool
) -> None:
    assert session_expired(last_active, now) is expired
