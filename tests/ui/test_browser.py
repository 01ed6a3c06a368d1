"""The app in a real browser: `streamlit run ui/app.py` on loopback, driven by Playwright with
Debian's chromium (never a downloaded browser). Screenshots go to test-output/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.serve import streamlit_app
from core.settings import ROOT, Settings
from eval.bench_sessions import CHROMIUM, CHROMIUM_ARGS  # the one Debian chromium setup
from tests.ui.conftest import PASSWORD, indexed_copy

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = ROOT / "test-output" / "screenshots"
ANSWER_TIMEOUT_MS = 180_000  # the first question waits for the model to load
LOCAL_FACT = "I Testköping ska hembesök alltid göras av två handläggare tillsammans."
ROUTINE_TITLE = "Rutin för hembesök i Testköping"

if not CHROMIUM.exists():  # a failure, not a skip: the browser tests must not pass unrun
    pytest.fail("Debian's chromium is not installed: run `make browser-deps`", pytrace=False)
import playwright.sync_api as playwright  # noqa: E402


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory,
    seed_settings: Settings,
    seed_index,
    embedder,
    password_hash: str,
) -> Iterator[tuple[str, Settings]]:
    tmp = tmp_path_factory.mktemp("browser")
    settings = indexed_copy(tmp, seed_settings, embedder)
    password = {"KG_ADMIN_PASSWORD_HASH": password_hash}
    with streamlit_app(settings, tmp / "streamlit.log", password) as (url, _pid):
        yield url, settings


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, app):  # type: ignore[no-untyped-def]
    url, _ = app
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="sv-SE")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(url)
    pg.get_by_role("heading", name="Kunskapsguide-assistenten").wait_for()
    yield pg
    context.close()


def screenshot(pg, name: str) -> None:  # type: ignore[no-untyped-def]
    """The whole page: Streamlit scrolls inside its main section, so the window is made as
    tall as the content for the shot (the width stays that of a laptop)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.wait_for_timeout(500)  # let animations (expanders, spinners) settle
    size = pg.viewport_size
    height = pg.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid]')].map(e => e.scrollHeight))"
    )
    pg.set_viewport_size({"width": size["width"], "height": min(max(height + 40, 900), 5000)})
    pg.wait_for_timeout(300)
    pg.screenshot(path=str(SHOTS / f"{name}.png"))
    pg.set_viewport_size(size)


def ask(pg, question: str):  # type: ignore[no-untyped-def]
    """Ask and return the last assistant message once its sources (or refusal) are shown."""
    before = pg.get_by_test_id("stChatMessage").count()
    box = pg.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    message = pg.get_by_test_id("stChatMessage").nth(before + 1)
    message.get_by_text("Skicka omdöme").wait_for(timeout=ANSWER_TIMEOUT_MS)
    return message


def go_to(pg, title: str) -> None:  # type: ignore[no-untyped-def]
    """Switch page in the same session (a new URL would start a new session)."""
    pg.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    pg.wait_for_load_state("networkidle")


def make_docx(path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading(ROUTINE_TITLE, level=1)
    doc.add_heading("Vem gör hembesöket", level=2)
    doc.add_paragraph(
        LOCAL_FACT + " Hembesöket bokas i förväg och den sökande får veta varför det görs."
    )
    doc.add_heading("Dokumentation", level=2)
    doc.add_paragraph("Hembesöket dokumenteras i journalen samma vecka.")
    doc.save(str(path))


def test_a_page_url_opens_inside_the_app(browser, app) -> None:  # type: ignore[no-untyped-def]
    """First in the module, on a fresh server: a session that starts on /desk must get the
    app's navigation and the login, not a bare page script."""
    url, _ = app
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    pg.goto(f"{url}/desk")
    pg.get_by_label("Lösenord för samordnare").wait_for(timeout=60_000)
    nav = pg.get_by_test_id("stSidebarNav").inner_text()
    assert "Fråga" in nav and "Korpus" in nav and "Utvärdering" in nav
    assert "desk" not in nav
    context.close()


def test_chat_answers_with_the_secrecy_section_first(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Vad gäller vid sekretess?").wait_for(timeout=ANSWER_TIMEOUT_MS)
    screenshot(page, "chat-empty")
    message = ask(page, "vad gäller vid sekretess?")
    first_source = message.get_by_test_id("stExpander").first
    assert "Offentlighet och sekretess" in first_source.inner_text()
    assert "[1]" in first_source.inner_text()
    first_source.locator("summary").click()
    first_source.locator("mark").first.wait_for()
    screenshot(page, "chat")


def test_refusal_in_the_browser(page) -> None:  # type: ignore[no-untyped-def]
    message = ask(page, "Hur mycket är riksnormen för 2026?")
    assert "Källorna täcker inte" in message.inner_text()
    screenshot(page, "chat-refusal")


def test_questions_sent_back_to_back_are_all_answered_in_order(page) -> None:  # type: ignore[no-untyped-def]
    """Each question is sent while the one before it is being answered (an answer takes a
    second or more; typing the next takes milliseconds): none may be lost or answered twice."""
    questions = {  # question: a word of its answer
        "Vad gäller vid sekretess?": "sekretess",
        "Vad är lex Sarah?": "missförhållanden",
        "Vad innebär anmälningsskyldigheten?": "far illa",
    }
    page.get_by_role("button", name="Vad gäller vid sekretess?").wait_for(timeout=ANSWER_TIMEOUT_MS)
    box = page.get_by_test_id("stChatInputTextArea")
    for question in questions:
        box.fill(question)
        box.press("Enter")
    feedback = page.get_by_text("Skicka omdöme")
    playwright.expect(feedback).to_have_count(len(questions), timeout=ANSWER_TIMEOUT_MS)
    messages = page.get_by_test_id("stChatMessage").all_inner_texts()
    assert len(messages) == 2 * len(questions)
    for (question, word), asked, answered in zip(
        questions.items(), messages[::2], messages[1::2], strict=True
    ):
        assert asked.strip().endswith(question)
        assert word in answered
    assert "Väntar på svar" not in page.get_by_test_id("stMainBlockContainer").inner_text()
    assert box.input_value() == ""
    screenshot(page, "chat-queue")


def test_coordinator_publishes_and_removes_a_local_routine(  # type: ignore[no-untyped-def]
    page, app, tmp_path: Path
) -> None:
    _, settings = app
    go_to(page, "Korpus")
    page.get_by_label("Lösenord för samordnare").wait_for()
    screenshot(page, "desk-login")
    page.get_by_label("Lösenord för samordnare").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.get_by_text("Ladda upp dokument").first.wait_for()

    routine = tmp_path / "hembesok.docx"
    make_docx(routine)
    # Submitting before the browser has sent the file would submit the form without it.
    with page.expect_response(lambda r: "/_stcore/upload_file" in r.url and r.ok):
        page.locator("input[type=file]").set_input_files(str(routine))
    page.get_by_label("Titel").fill(ROUTINE_TITLE)
    page.get_by_label("Kommun").fill("Testköping")
    page.get_by_role("button", name="Förhandsgranska").click()
    page.get_by_text("Förhandsgranskning").wait_for()
    screenshot(page, "desk-preview")
    page.get_by_role("button", name="Publicera").click()
    page.get_by_text("är publicerad").wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.get_by_role("tab", name="Indexerade dokument").click()
    screenshot(page, "desk")

    go_to(page, "Fråga")
    message = ask(page, "vem gör hembesök i Testköping?")
    first_source = message.get_by_test_id("stExpander").first.inner_text()
    assert ROUTINE_TITLE in first_source and "Lokal rutin" in first_source
    assert "två handläggare" in message.inner_text()
    screenshot(page, "chat-local-routine")

    go_to(page, "Korpus")
    page.get_by_role("tab", name="Indexerade dokument").click()
    page.get_by_text("Ja, ta bort dokumentet ur kunskapsbanken").click()
    page.get_by_role("button", name="Ta bort").click()
    page.get_by_text("är borttagen").wait_for(timeout=ANSWER_TIMEOUT_MS)

    go_to(page, "Fråga")
    page.get_by_role("button", name="Ny konversation").click()
    playwright.expect(page.get_by_test_id("stChatMessage")).to_have_count(0)
    message = ask(page, "vem gör hembesök i Testköping?")
    assert ROUTINE_TITLE not in message.inner_text()
    assert "två handläggare tillsammans" not in message.inner_text()
    assert not (settings.corpus_dir / "lokala-rutiner" / "hembesok.docx").exists()
