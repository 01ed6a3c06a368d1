"""Coordinator passwords: scrypt hashes, the brake on guessing, the idle timeout."""

from __future__ import annotations

import threading

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
from core.errors import ConfigError


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
    with pytest.raises(ConfigError, match="Lösenordet får inte vara tomt"):
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


def test_guard_locks_the_login_after_five_failures(clock: FakeClock) -> None:
    stored = hash_password("rätt")
    guard = LoginGuard(lockout_seconds=300, clock=clock)
    for _ in range(4):
        assert not guard.attempt("fel", stored)
        assert guard.locked_for() == 0
    assert not guard.attempt("fel", stored)
    assert guard.locked_for() == pytest.approx(300)
    # Locked: even the right password is refused, and refusals do not extend the lock.
    assert not guard.attempt("rätt", stored)
    clock.now += 299
    assert not guard.attempt("rätt", stored)
    assert guard.locked_for() == pytest.approx(1)
    clock.now += 2
    assert guard.locked_for() == 0
    assert guard.attempt("rätt", stored)


def test_a_served_lock_out_starts_a_fresh_count(clock: FakeClock) -> None:
    guard = LoginGuard(clock=clock)
    for _ in range(5):
        guard.record_failure()
    clock.now += 301
    guard.record_failure()
    assert guard.locked_for() == 0


def test_success_resets_the_count(clock: FakeClock) -> None:
    stored = hash_password("rätt")
    guard = LoginGuard(clock=clock)
    for _ in range(4):
        guard.attempt("fel", stored)
    assert guard.attempt("rätt", stored)
    for _ in range(4):
        guard.attempt("fel", stored)
    assert guard.locked_for() == 0
    guard.attempt("fel", stored)
    assert guard.locked_for() > 0


def test_failures_older_than_the_window_are_forgiven(clock: FakeClock) -> None:
    guard = LoginGuard(lockout_seconds=300, clock=clock)
    for _ in range(4):
        guard.record_failure()
        clock.now += 100  # four failures spread over 400 seconds
    guard.record_failure()
    assert guard.locked_for() == 0  # only three of them within the last 300 seconds
    guard.record_failure()
    assert guard.locked_for() == 0
    guard.record_failure()
    assert guard.locked_for() == pytest.approx(300)


def test_the_count_is_not_per_caller(clock: FakeClock) -> None:
    """The guard has no notion of a session: a guesser who reloads (a new Streamlit session)
    or opens a new tab meets the same count. Five failures from five threads lock it."""
    stored = hash_password("rätt")
    guard = LoginGuard(clock=clock)
    threads = [threading.Thread(target=guard.attempt, args=("fel", stored)) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert guard.locked_for() > 0
    assert not guard.attempt("rätt", stored)


def test_concurrent_guesses_get_no_more_than_the_limit(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty passwords sent at once: only the first five are checked, even though each check
    takes a while (the count is taken before the check, not after it)."""
    import assistant.auth as auth

    checked: list[str] = []
    gate = threading.Barrier(5, timeout=10)

    def slow_verify(password: str, stored: str | None) -> bool:
        checked.append(password)
        gate.wait()  # no check finishes before five have started
        return False

    monkeypatch.setattr(auth, "verify_password", slow_verify)
    guard = LoginGuard(clock=clock)
    threads = [
        threading.Thread(target=guard.attempt, args=(f"gissning {i}", "x")) for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checked) == 5
    assert guard.locked_for() > 0


@pytest.mark.parametrize(("max_failures", "seconds"), [(0, 300.0), (5, 0.0), (5, -1.0)])
def test_guard_settings_are_checked(max_failures: int, seconds: float) -> None:
    with pytest.raises(ValueError):
        LoginGuard(max_failures=max_failures, lockout_seconds=seconds)


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
