"""The corpus desk with AppTest: the login, uploads that change nothing when bad, and a local
routine published, replaced and removed through the real ingest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.service import open_index
from core.settings import Settings
from core.store import ChunkStore
from tests.ui.conftest import (
    APP,
    PASSWORD,
    TIMEOUT,
    app_environment,
    indexed_copy,
)

ROUTINE = """# Rutin för hembesök i Testköping

## Vem gör hembesöket

I Testköping ska hembesök alltid göras av två handläggare tillsammans. Hembesöket bokas
minst tre dagar i förväg och den sökande får veta varför besöket görs.

## Dokumentation

Hembesöket dokumenteras i journalen samma vecka.
"""
ROUTINE_V2 = ROUTINE.replace("minst tre dagar", "minst fem arbetsdagar")


@pytest.fixture(scope="module")
def desk_settings(
    tmp_path_factory: pytest.TempPathFactory, seed_settings: Settings, seed_index, embedder
) -> Settings:
    return indexed_copy(tmp_path_factory.mktemp("desk"), seed_settings, embedder)


@pytest.fixture(scope="module", autouse=True)
def environment(desk_settings: Settings, password_hash: str) -> Iterator[None]:
    with app_environment(desk_settings, password_hash):
        yield


@pytest.fixture(scope="module")
def store(desk_settings: Settings, embedder) -> ChunkStore:
    return open_index(desk_settings, embedder)[1]


def corpus_files(settings: Settings) -> dict[str, bytes]:
    return {
        p.relative_to(settings.corpus_dir).as_posix(): p.read_bytes()
        for p in settings.corpus_dir.rglob("*")
        if p.is_file()
    }


def open_desk() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/desk.py").run()
    assert not at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def log_in(at: AppTest, password: str = PASSWORD) -> AppTest:
    at.text_input[0].input(password)
    return click(at, "Logga in")


def upload(at: AppTest, name: str, data: bytes, title: str, replaces: str | None = None) -> None:
    at.file_uploader[0].set_value((name, data, "application/octet-stream"))
    next(t for t in at.text_input if t.label == "Titel").input(title)
    if replaces:
        next(s for s in at.selectbox if s.label == "Ersätter").set_value(replaces)
    click(at, "Förhandsgranska")


def test_without_a_configured_password_the_desk_offers_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ui import resources

    monkeypatch.delenv("KG_ADMIN_PASSWORD_HASH")
    resources.settings.clear()
    try:
        at = open_desk()
        assert "hash-password" in at.warning[0].value
        assert not at.text_input and not at.file_uploader and not at.button
    finally:
        resources.settings.clear()


def test_the_desk_requires_the_password() -> None:
    at = open_desk()
    assert at.text_input[0].label == "Lösenord för samordnare"
    assert not at.file_uploader
    log_in(at, "fel lösenord")
    assert "Fel lösenord" in at.error[0].value
    assert not at.file_uploader
    log_in(at)
    assert not at.error
    assert at.file_uploader[0].label.startswith("Dokument")
    assert [t.label for t in at.tabs] == ["Ladda upp dokument", "Indexerade dokument"]
    click(at, "Logga ut")
    assert not at.file_uploader


def test_repeated_wrong_passwords_lock_the_session_out() -> None:
    at = open_desk()
    for _ in range(5):
        log_in(at, "gissning")
    assert "För många misslyckade försök" in at.error[0].value
    log_in(at)  # even the right password waits out the lock-out
    assert not at.file_uploader


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("trasig.pdf", "%PDF-1.7\n detta är ingen riktig pdf".encode()),
        ("tom.txt", b""),
        ("bild.docx", b"PK\x03\x04 inte ett Word-dokument"),
    ],
)
def test_a_bad_file_gives_an_error_and_changes_nothing(
    name: str, data: bytes, desk_settings: Settings, store: ChunkStore
) -> None:
    documents, files = store.documents(), corpus_files(desk_settings)
    at = log_in(open_desk())
    upload(at, name, data, "Trasig rutin")
    assert at.error, "a bad file must give an error"
    assert name in at.error[0].value
    assert "Traceback" not in at.error[0].value
    assert not [b for b in at.button if b.label == "Publicera"]
    assert store.documents() == documents
    assert corpus_files(desk_settings) == files


def test_publish_replace_and_remove_a_local_routine(
    desk_settings: Settings, store: ChunkStore
) -> None:
    source = "lokala-rutiner/hembesok-testkoping.md"
    at = log_in(open_desk())
    upload(at, "hembesok-testkoping.md", ROUTINE.encode(), "Rutin för hembesök")
    assert at.subheader[0].value == "Förhandsgranskning"
    preview = " ".join(m.value for m in at.markdown)
    assert "Vem gör hembesöket" in preview and "Lokal rutin" in preview
    assert source not in store.documents()  # a preview changes nothing
    click(at, "Publicera")
    assert "publicerad" in at.success[0].value
    record = store.documents()[source]
    assert (record.title, record.kind) == ("Rutin för hembesök", "lokal_rutin")
    table = at.dataframe[0].value
    assert "Rutin för hembesök" in set(table["Titel"])

    # The answer uses it at once, cited as a local routine.
    at.switch_page("views/chat.py").run()
    at.chat_input[0].set_value("Vem gör hembesök i Testköping?").run()
    assert not at.exception
    labels = [e.label for e in at.chat_message[1].expander]
    assert "Rutin för hembesök" in labels[0] and "Lokal rutin" in labels[0]

    # A new version replaces it under the same id.
    at.switch_page("views/desk.py").run()
    upload(at, "ny-version.md", ROUTINE_V2.encode(), "Rutin för hembesök", replaces=source)
    click(at, "Publicera")
    updated = store.documents()[source]
    assert updated.content_hash != record.content_hash
    assert not (desk_settings.corpus_dir / "lokala-rutiner" / "ny-version.md").exists()

    # Removing it takes it out of the index and the corpus.
    form = at.tabs[1]
    next(s for s in form.selectbox if s.label == "Dokument").set_value(source)
    form.checkbox[0].check()
    click(at, "Ta bort")
    assert "borttagen" in at.success[0].value
    assert source not in store.documents()
    assert not Path(desk_settings.corpus_dir / source).exists()


# --- hostile uploads (issue 12, items 5 and 9) -------------------------------------------------

MANAGED = "EXEMPEL-rutin-samtycke-och-uppgiftslamnande.md"  # in corpus/manifest.yaml


def has_publish(at: AppTest) -> bool:
    return any(b.label == "Publicera" for b in at.button)


@pytest.mark.parametrize(
    ("name", "says"),
    [
        (MANAGED, r"används redan av ”.+” \(lokala-rutiner/EXEMPEL-.+corpus/manifest\.yaml"),
        ("README.md", r"reserverat för instruktioner.*aldrig bli sökbart"),
        ("LASMIG.md", r"reserverat för instruktioner.*aldrig bli sökbart"),
    ],
)
def test_an_upload_under_a_name_that_is_not_its_own_is_refused(
    name: str, says: str, desk_settings: Settings, store: ChunkStore
) -> None:
    documents, files = store.documents(), corpus_files(desk_settings)
    at = log_in(open_desk())
    upload(at, name, ROUTINE.encode(), "Rutin för hembesök")
    message = at.error[0].value
    assert message.startswith(f"{name}: ") and re.search(says, message), message
    assert "Byt namn på filen" in message
    assert not has_publish(at)
    assert store.documents() == documents
    assert corpus_files(desk_settings) == files


def test_a_title_too_long_is_refused(desk_settings: Settings, store: ChunkStore) -> None:
    files = corpus_files(desk_settings)
    at = log_in(open_desk())
    upload(at, "lang-titel.md", ROUTINE.encode(), "Rutin för hembesök " * 600)
    message = at.error[0].value
    assert "lokala-rutiner/lang-titel.md: Titeln har 11 399 tecken" in message, message
    assert "högst 300 tecken" in message and "Korta titeln" in message
    assert not has_publish(at)
    assert corpus_files(desk_settings) == files


PERSONAL = ROUTINE + "\nFrågor om beslutet för 850101-1234 besvaras på 070-123 45 67.\n"


def test_personal_data_is_warned_of_masked_and_published_only_when_confirmed(
    desk_settings: Settings, store: ChunkStore
) -> None:
    at = log_in(open_desk())
    upload(at, "Beslut 19850101-1234.md", PERSONAL.encode(), "Hembesök för \x1b[31m19850101-1234")
    warning = at.warning[0].value
    assert warning.startswith("Dokumentet Beslut-personnummer.md innehåller något som ser ut som")
    assert "ett personnummer (3 ställen: 1 i filnamnet, 1 i titeln, 1 i texten)" in warning
    assert "och ett telefonnummer (1 ställe i texten)." in warning
    assert "Beslut-personnummer.md" in warning and "kryssa i rutan" in warning
    shown = " ".join(e.value for e in [*at.markdown, *at.caption, *at.info, *at.warning])
    assert "19850101" not in shown and "[31m" not in shown
    assert "Hembesök för \\[personnummer\\]" in shown  # the title, masked and clean

    click(at, "Publicera")  # not confirmed: nothing is published
    assert "bekräfta i rutan ovan" in at.error[0].value
    source = "lokala-rutiner/Beslut-personnummer.md"
    assert source not in store.documents()
    assert not (desk_settings.corpus_dir / source).exists()

    next(c for c in at.checkbox if c.label.startswith("Jag har kontrollerat")).check().run()
    click(at, "Publicera")
    record = store.documents()[source]
    assert at.success[0].value == (
        f"”Hembesök för [personnummer]” är publicerad: {record.chunks} "
        + ("textdel" if record.chunks == 1 else "textdelar")
        + " används i svaren direkt."
    )
    assert record.title == "Hembesök för [personnummer]"
    assert not any("19850101" in f for f in corpus_files(desk_settings))
    listed = at.dataframe[0].value
    assert "Hembesök för [personnummer]" in set(listed["Titel"])
    assert not any("19850101" in str(v) for v in listed.to_numpy().ravel())

    # The same file again: the preview says it replaces the upload, and the desk says that
    # nothing changed - it reports what the ingest did.
    upload(at, "Beslut 19850101-1234.md", PERSONAL.encode(), "Hembesök för 19850101-1234")
    assert any("finns redan; det ersätts" in i.value for i in at.info)
    next(c for c in at.checkbox if c.label.startswith("Jag har kontrollerat")).check().run()
    click(at, "Publicera")
    assert "fanns redan i kunskapsbanken med samma innehåll" in at.success[0].value

    form = at.tabs[1]
    next(s for s in form.selectbox if s.label == "Dokument").set_value(source)
    form.checkbox[0].check()
    click(at, "Ta bort")
    assert source not in store.documents()


# --- the login lock-out survives a reload (issue 11, item 6) -----------------------------------


@pytest.fixture(autouse=True)
def fresh_login_guard() -> Iterator[None]:
    """The lock-out is process-wide (that is the point): each test starts and leaves it clear,
    so that a test that locks the login does not lock out the tests after it."""
    from ui import resources

    resources.login_guard.clear()
    yield
    resources.login_guard.clear()


def locked_out(at: AppTest) -> bool:
    return any("Vänta" in e.value for e in at.error) and not at.file_uploader


def test_a_reload_does_not_undo_the_lock_out() -> None:
    """Each AppTest is a session of its own, as a reload or a new tab is."""
    first = open_desk()
    for _ in range(5):
        log_in(first, "gissning")
    assert "Vänta 5 minuter" in first.error[0].value
    reloaded = log_in(open_desk())  # the right password, in a new session
    assert locked_out(reloaded)
    assert "Vänta 5 minuter" in reloaded.error[0].value


def test_wrong_passwords_count_across_sessions() -> None:
    for _ in range(4):
        log_in(open_desk(), "gissning")  # a reload before every try
    last = log_in(open_desk(), "gissning")
    assert locked_out(last)


def test_the_lock_out_ends_and_a_right_password_clears_the_count() -> None:
    from ui import resources

    now = [1000.0]
    resources.login_guard().clock = lambda: now[0]
    at = open_desk()
    for _ in range(5):
        log_in(at, "gissning")
    assert locked_out(log_in(open_desk()))
    now[0] += 301
    at = log_in(open_desk())
    assert not at.error and at.file_uploader  # the lock-out has been served
    for _ in range(4):
        log_in(open_desk(), "gissning")
    assert not log_in(open_desk()).error  # the right password clears the count ...
    assert not locked_out(log_in(open_desk(), "gissning"))  # ... so one more is not the fifth
