"""The coordinators' login lock-out in a real browser (issue 11, item 6): five wrong passwords
lock the login, and neither a reload nor a new browser context lets the right one in.

A server of its own (`streamlit run ui/app.py` on loopback), so that its lock-out cannot touch
the other browser tests; it needs no index, since the login comes before the desk opens one.
Driven by Playwright with Debian's chromium, never a downloaded browser."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from core.serve import streamlit_app
from core.settings import ROOT, Settings
from eval.bench_sessions import CHROMIUM, CHROMIUM_ARGS  # the one Debian chromium setup
from tests.conftest import make_settings
from tests.ui.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = ROOT / "test-output" / "screenshots"
LOCKED = "För många misslyckade försök. Vänta 5 minuter"

if not CHROMIUM.exists():  # a failure, not a skip: the browser tests must not pass unrun
    pytest.fail("Debian's chromium is not installed: run `make browser-deps`", pytrace=False)
import playwright.sync_api as playwright  # noqa: E402


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser-lockout")
    settings: Settings = make_settings(tmp)
    password = {"KG_ADMIN_PASSWORD_HASH": password_hash}
    with streamlit_app(settings, tmp / "streamlit.log", password) as (url, _pid):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def open_desk(browser, url: str):  # type: ignore[no-untyped-def]
    """A new browser context (no cookies, a new Streamlit session) on the desk's login."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(f"{url}/desk")
    pg.get_by_label("Lösenord för samordnare").wait_for()
    return pg


def reload(pg) -> None:  # type: ignore[no-untyped-def]
    """A reload: a new Streamlit session in the same browser context."""
    pg.reload()
    pg.get_by_label("Lösenord för samordnare").wait_for()
    assert pg.get_by_text("Fel lösenord").count() == 0


def log_in(pg, password: str) -> None:  # type: ignore[no-untyped-def]
    pg.get_by_label("Lösenord för samordnare").fill(password)
    pg.get_by_role("button", name="Logga in").click()


def assert_locked(pg) -> None:  # type: ignore[no-untyped-def]
    """The lock-out message is shown and the desk is not."""
    playwright.expect(pg.get_by_text(LOCKED)).to_be_visible()
    pg.wait_for_load_state("networkidle")
    assert pg.get_by_text("Ladda upp dokument").count() == 0
    assert pg.get_by_role("button", name="Logga ut").count() == 0
    assert pg.get_by_label("Lösenord för samordnare").is_visible()


def test_reloading_the_page_does_not_undo_the_lock_out(browser, app: str) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    pg = open_desk(browser, app)
    for n in range(1, 6):
        if n > 1:  # a reload before every guess; on a fresh page, the error shows this one's answer
            reload(pg)
        log_in(pg, f"gissning {n}")
        playwright.expect(pg.get_by_text("Fel lösenord" if n < 5 else LOCKED)).to_be_visible()

    reload(pg)
    assert pg.get_by_text(LOCKED).count() == 0  # a fresh page: nothing carried over in it ...
    log_in(pg, PASSWORD)
    assert_locked(pg)  # ... but the count was kept on the server
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / "desk-locked-after-reload.png"))

    other = open_desk(browser, app)  # another browser, as it were: no cookies shared
    log_in(other, PASSWORD)
    assert_locked(other)
    other.context.close()
    pg.context.close()
    assert time.monotonic() - started < 120
