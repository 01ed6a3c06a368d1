"""The corpus desk with AppTest: the login, uploads that change nothing when bad, and a local
routine published, replaced and removed through the real ingest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assistant.service import open_index
from ingest.settings import Settings
from ingest.store import ChunkStore
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
