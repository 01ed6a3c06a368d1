"""Bad files through both ways into the index: a coordinator's upload (`ingest.upload.publish`)
and a file dropped into the corpus folder (`kunskapsguide ingest`). Every case must give a clear
Swedish message that names the file and says what to do, and leave the index unchanged.
Real Chroma, the real embedding model's tokenizer, real PDFs and DOCX made here."""

from __future__ import annotations

import functools
import io
import json
import os
import random
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.service import open_index
from core.errors import DocumentError
from core.settings import Settings
from core.store import ChunkStore
from ingest.pipeline import ingest
from ingest.upload import UPLOAD_DIR, publish
from tests.conftest import make_settings
from tests.unit.test_loaders import make_image_only_pdf, make_pdf

GOOD = """# Rutin för hembesök

## När görs hembesök

Hembesök görs när det behövs för att utreda behovet av ekonomiskt bistånd. Två handläggare
deltar alltid vid hembesök i Testköpings kommun, t.ex. vid en nyansökan.

## Dokumentation

Hembesöket dokumenteras i journalen inom tre arbetsdagar enligt SoL.
"""

OTHER = """# Rutin för akut bistånd

Akut bistånd kan beviljas samma dag om den sökande saknar pengar till mat. Beslutet fattas av
handläggaren enligt delegationsordningen och följs upp inom en vecka.
"""

NEWCOMER = """# Rutin för återkrav

Återkrav prövas när bistånd har betalats ut felaktigt. Beslutet ska motiveras skriftligt och
den enskilde ska få möjlighet att yttra sig innan beslutet fattas.
"""


# --- bad files -------------------------------------------------------------------------------


def _encrypted(algorithm: str, user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt(user_password=user_password, owner_password="ägare", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _truncated_pdf() -> bytes:
    good = make_pdf()
    return good[: len(good) // 2]


def _random(n: int, low: int = 0, high: int = 255, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randint(low, high) for _ in range(n))


@functools.cache
def _zip_bomb() -> bytes:
    """A real zip bomb: 310 MB of zeros (more than the loader's 300 MB limit) in ~300 kB."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as member,
    ):
        block = bytes(1024 * 1024)
        for _ in range(310):
            member.write(block)
    return buffer.getvalue()


@dataclass(frozen=True)
class Bad:
    name: str
    data: Callable[[], bytes]
    says: str  # regex: what is wrong and what to do, in Swedish
    settings: dict[str, object] = field(default_factory=dict)


BAD = [
    Bad("tom.md", lambda: b"", r"filen är tom\. Spara dokumentet på nytt"),
    Bad(
        "skannad.pdf",
        make_image_only_pdf,
        r"saknar textlager – den är troligen skannad\. Kör OCR först",
    ),
    Bad("krypterad-rc4.pdf", lambda: _encrypted("RC4-128", "hemligt"), r"krypterad.*Spara en kopia"),
    Bad("krypterad-aes128.pdf", lambda: _encrypted("AES-128", "hemligt"), r"krypterad.*Spara en kopia"),
    Bad("krypterad-aes256.pdf", lambda: _encrypted("AES-256", "hemligt"), r"krypterad.*Spara en kopia"),
    Bad("avkortad.pdf", _truncated_pdf, r"kan inte läsas: filen verkar avkortad.*spara den"),
    Bad("slump.pdf", lambda: _random(4096), r"inte en PDF.*spara den på nytt"),
    Bad(
        "inte-zip.docx",
        lambda: "Det här är bara text med fel filändelse.".encode(),
        r"inte ett Word-dokument.*spara den på nytt som \.docx",
    ),
    Bad("bomb.docx", _zip_bomb, r"möjlig zip-bomb.*spara den på nytt"),
    Bad(
        "for-stor.md",
        lambda: (GOOD * 40).encode(),
        r"större än gränsen 0\.01 MB.*Dela upp dokumentet",
        {"max_file_mb": 0.01},
    ),
    Bad("binar.txt", lambda: bytes(range(256)) * 8, r"binär data.*Spara dokumentet som vanlig text"),
    Bad(
        "utf16-utan-bom.txt",
        lambda: (OTHER * 3).encode("utf-16-le"),
        r"binär data.*\(UTF-8\)",
    ),
    Bad("hoga-byte.txt", lambda: _random(3000, 0x80, 0xFF), r"binär data.*\(UTF-8\)"),
    Bad("slump.html", lambda: _random(4096), r"binär data.*Spara dokumentet"),
    Bad("slump.md", lambda: _random(4096, seed=11), r"binär data.*Spara dokumentet"),
    Bad(
        "bara-bilder.html",
        lambda: b"<html><body><main><img src='a.png'><script>x()</script></main></body></html>",
        r"ingen text.*kontrollera att filen inte är tom",
    ),
    Bad("rutin.rtf", lambda: b"{\\rtf1 Rutin}", r"stöds inte.*\.docx"),
]


# --- an index of two documents, copied for every test ------------------------------------------


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    root = tmp_path_factory.mktemp("baseline")
    corpus = root / "corpus" / UPLOAD_DIR
    corpus.mkdir(parents=True)
    (corpus / "hembesok.md").write_text(GOOD, encoding="utf-8")
    (corpus / "akut.md").write_text(OTHER, encoding="utf-8")
    settings = make_settings(root, corpus_dir=root / "corpus")
    _, store = open_index(settings, embedder)
    report = ingest(settings, store, embedder)
    assert report.ok and len(report.added) == 2
    store.close()
    return root


@dataclass
class Env:
    settings: Settings
    store: ChunkStore
    embedder: object

    def snapshot(self) -> tuple[dict[str, object], int]:
        return dict(self.store.documents()), self.store.count()

    def corpus_files(self) -> set[str]:
        return {p.relative_to(self.settings.corpus_dir).as_posix()
                for p in self.settings.corpus_dir.rglob("*")}  # fmt: skip


@pytest.fixture()
def env(baseline: Path, tmp_path: Path, embedder) -> Iterator[Env]:
    shutil.copytree(baseline / "corpus", tmp_path / "corpus")
    shutil.copytree(baseline / "data", tmp_path / "data")
    settings = make_settings(tmp_path, corpus_dir=tmp_path / "corpus")
    _, store = open_index(settings, embedder)
    yield Env(settings, store, embedder)
    store.close()


def _with(env: Env, overrides: dict[str, object]) -> Settings:
    return env.settings.model_copy(update=overrides) if overrides else env.settings


def _assert_clear(message: str, name: str, says: str) -> None:
    assert name in message, message
    assert re.search(says, message, re.S), message


# --- the matrix ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD, ids=[b.name for b in BAD])
def test_bad_upload_is_refused_and_changes_nothing(env: Env, bad: Bad) -> None:
    settings = _with(env, bad.settings)
    before, files = env.snapshot(), env.corpus_files()
    with pytest.raises(DocumentError) as info:
        publish(bad.name, bad.data(), "Uppladdad rutin", settings, env.embedder)
    _assert_clear(str(info.value), bad.name, bad.says)
    assert "/tmp" not in str(info.value)  # names the user's file, not our temporary copy
    assert env.corpus_files() == files  # nothing written, no temporary file left
    assert env.snapshot() == before
    # And the next ingest (as the desk runs it after a publish) has nothing to do.
    report = ingest(settings, env.store, env.embedder)
    assert report.ok and not report.added and not report.updated and not report.removed
    assert env.snapshot() == before


@pytest.mark.parametrize("bad", BAD, ids=[b.name for b in BAD])
def test_bad_corpus_file_is_reported_and_the_rest_indexed(
    env: Env, bad: Bad, monkeypatch, capsys
) -> None:
    """The CLI path: `kunskapsguide ingest --json` with a bad file and a new good one."""
    from ui import cli

    before_docs, before_count = env.snapshot()
    folder = env.settings.corpus_dir / UPLOAD_DIR
    (folder / bad.name).write_bytes(bad.data())
    (folder / "aterkrav.md").write_text(NEWCOMER, encoding="utf-8")
    _cli_environment(monkeypatch, _with(env, bad.settings), env.embedder)

    assert cli.main(["ingest", "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    source = f"{UPLOAD_DIR}/{bad.name}"
    assert [f["source"] for f in summary["failed"]] == [source]
    _assert_clear(summary["failed"][0]["reason"], bad.name, bad.says)
    assert summary["added"] == [f"{UPLOAD_DIR}/aterkrav.md"]
    assert sorted(summary["skipped"]) == sorted(before_docs)

    after_docs, after_count = env.snapshot()
    assert source not in after_docs
    assert {k: v for k, v in after_docs.items() if k in before_docs} == before_docs
    assert set(after_docs) - set(before_docs) == {f"{UPLOAD_DIR}/aterkrav.md"}
    assert after_count == before_count + after_docs[f"{UPLOAD_DIR}/aterkrav.md"].chunks


def _cli_environment(monkeypatch, settings: Settings, embedder) -> None:
    """`ui.cli.main` builds Settings from the environment; the model is the session's."""
    for key in [k for k in os.environ if k.startswith("KG_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("KG_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("KG_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("KG_MODELS_DIR", str(settings.model_cache_dir))
    monkeypatch.setenv("KG_MAX_FILE_MB", str(settings.max_file_mb))
    monkeypatch.setattr("assistant.service.load_embeddings", lambda _settings: embedder)


# --- encryption with and without the `cryptography` package -----------------------------------


@pytest.fixture()
def without_cryptography(monkeypatch) -> None:
    """pypdf as it runs where `cryptography` is not installed: its fallback provider, which
    has RC4 but raises DependencyError for AES."""
    import pypdf._encryption as encryption
    from pypdf._crypt_providers import _fallback

    for name in ("CryptAES", "aes_cbc_decrypt", "aes_cbc_encrypt", "aes_ecb_decrypt",
                 "aes_ecb_encrypt"):  # fmt: skip
        monkeypatch.setattr(encryption, name, getattr(_fallback, name))


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_aes_pdf_without_a_password_is_read(env: Env, algorithm: str) -> None:
    """Many authorities' PDFs are AES-encrypted only to restrict printing; they open without a
    password and must be indexed (this is why `cryptography` is a dependency)."""
    meta = publish("skyddad.pdf", _encrypted(algorithm, ""), "Skyddad", env.settings, env.embedder)
    report = ingest(env.settings, env.store, env.embedder)
    assert report.added == (meta.source,)
    texts = " ".join(c.text for c in env.store.live_chunks())
    assert "förvaltningsrätten" in texts


@pytest.mark.parametrize(
    "algorithm, password",
    [("AES-128", ""), ("AES-256", ""), ("AES-256", "hemligt")],
)
def test_aes_pdf_without_cryptography_says_what_is_missing(
    env: Env, algorithm: str, password: str, request
) -> None:
    data = _encrypted(algorithm, password)  # encrypting needs cryptography: before the patch
    request.getfixturevalue("without_cryptography")
    before, files = env.snapshot(), env.corpus_files()
    with pytest.raises(DocumentError) as info:
        publish("aes.pdf", data, "AES", env.settings, env.embedder)
    message = str(info.value)
    assert "aes.pdf: PDF-filen är krypterad" in message, message
    if not (algorithm == "AES-128" and password):  # RC4-style key check works without AES
        assert "cryptography" in message and "spara en kopia" in message
    assert env.snapshot() == before and env.corpus_files() == files


def test_rc4_pdf_without_cryptography_still_works(env: Env, without_cryptography) -> None:
    publish("rc4.pdf", _encrypted("RC4-128", ""), "RC4", env.settings, env.embedder)
    assert ingest(env.settings, env.store, env.embedder).added == (f"{UPLOAD_DIR}/rc4.pdf",)


# --- file names --------------------------------------------------------------------------------

ODD_NAMES = [
    ("../../etc/passwd.md", "passwd.md"),
    ("..\\..\\Windows\\system.ini.md", "system.ini.md"),
    ("/etc/cron.d/rutin.md", "rutin.md"),
    ("rutin\u202edm.exe.md", "rutindm.exe.md"),  # RTL override: shows as "rutinexe.md"
    ("ru\u200btin\u200d.md", "rutin.md"),  # zero-width space and joiner
    ("a\u0308ndring fo\u0308r hembeso\u0308k.md", "ändring-för-hembesök.md"),  # NFD åäö
    ("Rutin 🙂 för 🏠.md", "Rutin-för.md"),
    ("🙂.md", "dokument.md"),
    ("..md", "dokument.md"),
    ("RUTIN.MD", "RUTIN.md"),
    ("x" * 300 + ".md", "x" * 80 + ".md"),
    ("rad\nbrytning\t.md", "radbrytning.md"),
]


@pytest.mark.parametrize("name, expected", ODD_NAMES, ids=[e for _, e in ODD_NAMES])
def test_odd_upload_names_land_inside_the_upload_folder(
    env: Env, name: str, expected: str
) -> None:
    root = env.settings.corpus_dir.parent
    outside = {p for p in root.rglob("*") if UPLOAD_DIR not in p.parts}
    meta = publish(name, GOOD.encode(), "Rutin", env.settings, env.embedder)

    assert meta.source == f"{UPLOAD_DIR}/{expected}"
    target = env.settings.corpus_dir / meta.source
    assert target.is_file()
    assert target.resolve().parent == (env.settings.corpus_dir / UPLOAD_DIR).resolve()
    assert unicodedata.is_normalized("NFC", target.name)
    assert not any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in target.name)
    assert {p for p in root.rglob("*") if UPLOAD_DIR not in p.parts} == outside
    assert not Path("/etc/passwd.md").exists()

    report = ingest(env.settings, env.store, env.embedder)
    assert report.ok and report.added == (meta.source,)


# --- the same document twice; a manifest entry without its file --------------------------------


def test_the_same_upload_twice_gives_no_duplicate_chunks(env: Env) -> None:
    data = NEWCOMER.encode()
    publish("aterkrav.md", data, "Återkrav", env.settings, env.embedder)
    first = ingest(env.settings, env.store, env.embedder)
    count = env.store.count()
    publish("aterkrav.md", data, "Återkrav", env.settings, env.embedder)
    second = ingest(env.settings, env.store, env.embedder)
    assert first.added == ("lokala-rutiner/aterkrav.md",)
    assert second.skipped and not second.added and not second.updated and second.ok
    assert env.store.count() == count
    chunks = env.store.live_chunks()
    assert len({c.id for c in chunks}) == len(chunks) == count
    per_doc = [(c.metadata["doc_id"], c.text) for c in chunks]
    assert len(set(per_doc)) == len(per_doc)
    assert sorted(p.name for p in (env.settings.corpus_dir / UPLOAD_DIR).iterdir()) == [
        "akut.md", "aterkrav.md", "aterkrav.md.meta.yaml", "hembesok.md",
    ]  # fmt: skip


def test_manifest_entry_without_its_file_is_reported(env: Env) -> None:
    manifest = env.settings.manifest_path
    manifest.write_text(
        "documents:\n"
        "  - source: lokala-rutiner/hembesok.md\n    title: Rutin för hembesök\n"
        "  - source: nationellt/saknas.pdf\n    title: Saknad vägledning\n"
        "    kind: nationell_vagledning\n",
        encoding="utf-8",
    )
    report = ingest(env.settings, env.store, env.embedder)
    assert [f.source for f in report.failed] == ["nationellt/saknas.pdf"]
    assert report.failed[0].reason == (
        "Filen nationellt/saknas.pdf finns inte i korpusen. Lägg tillbaka filen eller ta bort "
        "posten ur corpus/manifest.yaml."
    )
    assert "nationellt/saknas.pdf" not in env.store.documents()
    # The file of an indexed document vanishes while the manifest still lists it: its chunks
    # leave the index (no answers from a document that is gone) and the coordinator is told.
    (env.settings.corpus_dir / "lokala-rutiner" / "hembesok.md").unlink()
    gone = ingest(env.settings, env.store, env.embedder)
    assert sorted(f.source for f in gone.failed) == [
        "lokala-rutiner/hembesok.md", "nationellt/saknas.pdf",
    ]  # fmt: skip
    assert "finns inte i korpusen" in gone.failed[0].reason
    assert gone.removed == ("lokala-rutiner/hembesok.md",)
    assert set(env.store.documents()) == {"lokala-rutiner/akut.md"}
