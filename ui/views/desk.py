"""Corpus desk: coordinators publish, replace and remove local routines (behind a password)."""

from __future__ import annotations

import datetime as dt
import math
import time
import uuid
from pathlib import Path
from typing import Any

import streamlit as st

from assistant.auth import IDLE_TIMEOUT_SECONDS, session_expired
from assistant.citations import kind_label
from assistant.privacy import mask_personal_data
from assistant.service import Assistant
from core.documents import KINDS, DocumentKind, DocumentMeta
from ingest.manifest import read_manifest
from ingest.pipeline import IngestReport
from ingest.upload import (
    ADDED,
    UPDATED,
    UPLOAD_DIR,
    indexed_upload,
    one_line,
    preview,
    publish,
    remove,
    safe_filename,
    upload_meta,
    upload_target,
)
from ui import render, resources
from ui.background import Job

UPLOAD_TYPES = ["pdf", "docx", "md", "txt", "html", "htm"]
PREVIEW_CHUNKS = 5
FORM_WIDTH = 760
NOUNS = {  # kinds of assistant.privacy
    "personnummer": "ett personnummer",
    "samordningsnummer": "ett samordningsnummer",
    "telefonnummer": "ett telefonnummer",
    "e-post": "en e-postadress",
}


def shown(text: str) -> str:
    """A title or file name as the desk shows it: one clean line, personal data masked."""
    return one_line(mask_personal_data(text).text)


def neutral_name(name: str) -> str:
    """The upload's file name with personal data replaced by its kind, so that the stored
    name holds none ("Beslut 19850101-1234.md" becomes "Beslut personnummer.md")."""
    masked = mask_personal_data(name)
    return masked.text.replace("[", "").replace("]", "") if masked.found else name


def personal_data_count(text: str) -> dict[str, int]:
    """How many of each kind of personal data the masking finds in `text`."""
    masked = mask_personal_data(text)
    markers = {kind: f"[{kind}]" for kind in masked.found}
    return {k: max(1, masked.text.count(m) - text.count(m)) for k, m in markers.items()}


def personal_data_warning(name: str, found: dict[str, dict[str, int]]) -> str:
    """What in the upload looks like personal data, where, and what to do; "" if nothing.
    `found` holds `personal_data_count` of the file name, the title and the text."""
    kinds = list(dict.fromkeys(kind for counts in found.values() for kind in counts))
    if not kinds:
        return ""
    listed = []
    for kind in kinds:
        places = {place: c[kind] for place, c in found.items() if kind in c}
        total = sum(places.values())
        times = f"{total} {'ställe' if total == 1 else 'ställen'}"
        where = (
            f"{times} i {next(iter(places))}"
            if len(places) == 1
            else f"{times}: {', '.join(f'{n} i {place}' for place, n in places.items())}"
        )
        listed.append(f"{NOUNS.get(kind, kind)} ({where})")
    what = listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} och {listed[-1]}"
    advice = "Uppgifter om enskilda får inte publiceras i kunskapsbanken."
    if found["texten"]:
        advice += (
            " Texten publiceras som den är: avbryt och ta bort uppgifterna ur filen. Gäller de "
            "ingen enskild (till exempel ett växelnummer eller ett påhittat exempel), kryssa i "
            "rutan nedan för att publicera ändå."
        )
    if found["filnamnet"] or found["titeln"]:
        advice += " Filnamn och titel sparas och visas maskerade."
    return f"Dokumentet {name} innehåller något som ser ut som {what}. {advice}"


def parts(n: int) -> str:
    return f"{n} " + ("textdel" if n == 1 else "textdelar")


st.title("Korpus")
st.caption("För samordnare: lägg till, ersätt och ta bort lokala rutiner i kunskapsbanken.")

state = st.session_state
state.setdefault("upload_round", 0)  # in the upload form's key: a new round starts it empty
settings = resources.settings()

if not settings.admin_password_hash:
    st.warning(
        "Samordnarsidan är inte aktiverad: inget lösenord är inställt.\n\n"
        "1. Skapa ett lösenords-hash med `kunskapsguide hash-password`.\n"
        "2. Lägg in det som `KG_ADMIN_PASSWORD_HASH=...` i filen `.env` (eller i miljön).\n"
        "3. Starta om appen.",
        icon=":material/lock:",
    )
    st.stop()

now = time.time()
if state.get("desk_active") is not None and session_expired(state.desk_active, now):
    state.desk_active = None
    st.info(
        f"Du loggades ut efter {IDLE_TIMEOUT_SECONDS // 60} minuter utan aktivitet.",
        icon=":material/timer:",
    )

if state.get("desk_active") is None:
    with st.form("login", clear_on_submit=True, width=420):
        password = st.text_input("Lösenord för samordnare", type="password")
        submitted = st.form_submit_button("Logga in", type="primary")
    if submitted:
        guard = resources.login_guard()  # one per process: a reload does not reset the count
        if guard.attempt(password, settings.admin_password_hash):
            state.desk_active = time.time()
            st.rerun()
        elif (wait := guard.locked_for()) > 0:
            st.error(
                f"För många misslyckade försök. Vänta {math.ceil(wait / 60)} minuter och försök igen."
            )
        else:
            st.error("Fel lösenord. Försök igen, eller fråga den som förvaltar assistenten.")
    st.stop()

state.desk_active = now


def log_out() -> None:
    state.desk_active = None
    state.pop("draft", None)


st.button("Logga ut", icon=":material/logout:", on_click=log_out)
if flash := state.pop("desk_flash", None):
    st.success(flash, icon=":material/check_circle:")

assistant = None
with render.page_errors():
    assistant = resources.assistant()
if assistant is None:
    st.stop()
live: Assistant = assistant  # for the jobs below, which run after this script has moved on
store = assistant.retriever.store
embedder = assistant.retriever.embedder
documents = sorted(store.documents().values(), key=lambda d: (d.kind, d.title.casefold()))
in_manifest = {e.source for e in read_manifest(settings.manifest_path)}
# Uploaded routines can be replaced or removed here; documents of the manifest are changed there.
editable = {
    d.source: d
    for d in documents
    if d.source.startswith(UPLOAD_DIR + "/") and d.source not in in_manifest
}

upload_tab, list_tab = st.tabs(["Ladda upp dokument", "Indexerade dokument"])

with upload_tab:
    r = state.upload_round
    with st.form(f"upload-{r}", width=FORM_WIDTH):
        file = st.file_uploader(
            "Dokument (.pdf, .docx, .md, .txt, .html)", type=UPLOAD_TYPES, key=f"file-{r}"
        )
        title = st.text_input("Titel", key=f"title-{r}")
        left, right = st.columns(2)
        with left:
            kinds = list(KINDS)
            kind = st.selectbox(
                "Typ", kinds, kinds.index(DocumentKind.LOCAL_ROUTINE), format_func=kind_label, key=f"kind-{r}"
            )
            valid_from = st.date_input(
                "Gäller från", dt.date.today(), format="YYYY-MM-DD", key=f"from-{r}"
            )
        with right:
            municipality = st.text_input("Kommun", key=f"municipality-{r}")
            replaces = st.selectbox(
                "Ersätter",
                ["", *editable],
                format_func=lambda s: (
                    "– inget, nytt dokument –" if not s else shown(editable[s].title)
                ),
                key=f"replaces-{r}",
            )
        wants_preview = st.form_submit_button("Förhandsgranska", type="primary")

    if wants_preview:
        if file is None:
            st.error("Välj en fil att ladda upp.")
        elif not one_line(title):
            st.error("Ange en titel för dokumentet.")
        else:
            state.pop("draft", None)
            with render.page_errors():
                upload_name = neutral_name(file.name)
                suffix = Path(safe_filename(upload_name)).suffix
                target = upload_target(
                    neutral_name(Path(replaces).stem + suffix) if replaces else upload_name,
                    settings,
                )
                day = valid_from.isoformat() if isinstance(valid_from, dt.date) else None
                meta = upload_meta(
                    target.source,
                    mask_personal_data(title).text,
                    kind,
                    municipality or None,
                    day,
                )
                data, file_name = file.getvalue(), file.name

                def make_draft(job: Job[dict[str, Any]]) -> dict[str, Any]:
                    # Off the script thread: loading is bounded by the document's work budget,
                    # and a click elsewhere neither stops it half-way nor starts it again.
                    loaded = preview(upload_name, data, meta, settings, embedder)
                    found = {
                        "filnamnet": personal_data_count(file_name),
                        "titeln": personal_data_count(title),
                        "texten": personal_data_count(loaded.text),
                    }
                    return {
                        "id": uuid.uuid4().hex, "name": target.name, "data": data, "meta": meta,
                        "chunks": loaded.chunks, "replaces": replaces, "existing": target.replaces,
                        "warning": personal_data_warning(target.name, found),
                        "confirm": bool(found["texten"]),
                    }  # fmt: skip

                state.preview_job = Job(make_draft)

    with render.page_errors():
        if (ready := render.finished("preview_job", "Läser in dokumentet …")) is not None:
            state.draft = ready

    draft = state.get("draft")
    if draft:
        with st.container(width=FORM_WIDTH):
            meta, chunks = draft["meta"], draft["chunks"]
            st.subheader("Förhandsgranskning")
            sections = list(dict.fromkeys(c.section_path or "(utan rubrik)" for c in chunks))
            st.markdown(
                f"**{render.plain(meta.title)}** · {render.kind_badge(meta.kind)} · "
                f"{meta.year or 'år saknas'} · {len(sections)} avsnitt · {parts(len(chunks))}"
            )
            st.caption(render.plain(f"Sparas som {meta.source}"))
            if draft["replaces"]:
                st.info(f"Ersätter: {render.plain(shown(editable[draft['replaces']].title))}")
            elif draft["existing"]:
                earlier = editable.get(meta.source)
                named = f" (”{shown(earlier.title)}”)" if earlier else ""
                st.info(
                    render.plain(
                        f"Ett dokument med filnamnet {draft['name']}{named} finns redan; det "
                        "ersätts av den nya versionen."
                    )
                )
            confirmed = False
            if draft["warning"]:
                st.warning(render.plain(draft["warning"]), icon=":material/lock:")
            if draft["confirm"]:
                confirmed = st.checkbox(
                    "Jag har kontrollerat uppgifterna: dokumentet får publiceras",
                    key=f"confirm-{draft['id']}",
                )
            st.markdown("**Avsnitt**  \n" + "  \n".join(f"– {render.plain(s)}" for s in sections))
            for n, chunk in enumerate(chunks[:PREVIEW_CHUNKS], start=1):
                with st.expander(f"Textdel {n}: {render.plain(chunk.section_path or meta.title)}"):
                    st.text(chunk.text)
            if len(chunks) > PREVIEW_CHUNKS:
                st.caption(f"… och {len(chunks) - PREVIEW_CHUNKS} textdelar till.")
            go, cancel = st.columns([1, 1], width=360)
            if cancel.button("Avbryt", width="stretch"):
                state.pop("draft", None)
                st.rerun()
            wants_publish = go.button("Publicera", type="primary", width="stretch")
            if wants_publish and draft["confirm"] and not confirmed:
                st.error(
                    f"{draft['name']}: bekräfta i rutan ovan att uppgifterna i texten får "
                    "publiceras, eller avbryt och ta bort dem ur filen."
                )
            elif wants_publish:
                chosen: dict[str, Any] = draft

                def publish_and_index(job: Job[tuple[DocumentMeta, IngestReport]]) -> tuple[
                    DocumentMeta, IngestReport
                ]:
                    published = publish(
                        chosen["name"], chosen["data"], meta.title, settings, embedder,
                        kind=meta.kind, municipality=meta.municipality, valid_from=meta.valid_from,
                    )  # fmt: skip
                    if chosen["replaces"] and chosen["replaces"] != published.source:
                        remove(chosen["replaces"], settings)
                    return published, render.reindex(settings, live, job)

                state.publish_job = Job(publish_and_index)

        with render.page_errors():
            if done_job := render.finished("publish_job", "Publicerar …"):
                published, report = done_job
                state.pop("draft", None)
                # Told from what the ingest did and the index holds, never assumed.
                done = indexed_upload(
                    report, published.source, assistant.retriever.store.documents()
                )
                name = shown(published.title)
                if done.change == ADDED:
                    flash = (
                        f"”{name}” är publicerad: {parts(done.chunks)} används i svaren direkt."
                    )
                elif done.change == UPDATED:
                    flash = (
                        f"”{name}” är publicerad och ersätter den tidigare versionen: "
                        f"{parts(done.chunks)} används i svaren direkt."
                    )
                else:
                    flash = (
                        f"”{name}” fanns redan i kunskapsbanken med samma innehåll "
                        f"({parts(done.chunks)}); inget ändrades."
                    )
                state.desk_flash = flash
                state.upload_round += 1
                st.rerun()

with list_tab:
    st.dataframe(
        [
            {
                "Titel": shown(d.title),
                "Typ": kind_label(d.kind),
                "År": str(d.year) if d.year else "saknas",
                "Textdelar": d.chunks,
                "Indexerad": dt.datetime.fromtimestamp(d.indexed_at).strftime("%Y-%m-%d %H:%M"),
                "Fil": shown(d.source),
            }
            for d in documents
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "Titel": st.column_config.TextColumn(width="large"),
            "År": st.column_config.TextColumn(width=50),
            "Textdelar": st.column_config.NumberColumn(width=70),
        },
    )
    st.caption(
        "Ersätt ett dokument genom att ladda upp den nya versionen och välja dokumentet under "
        "”Ersätter”. Nationella källor ändras i corpus/manifest.yaml."
    )
    st.subheader("Ta bort en lokal rutin")
    if not editable:
        st.caption("Det finns inga uppladdade lokala rutiner att ta bort.")
    else:
        with st.form("remove", width=FORM_WIDTH):
            doomed = st.selectbox(
                "Dokument", list(editable), format_func=lambda s: shown(editable[s].title)
            )
            sure = st.checkbox("Ja, ta bort dokumentet ur kunskapsbanken")
            wants_removal = st.form_submit_button("Ta bort")
        if wants_removal:
            if not sure:
                st.error("Bekräfta att dokumentet ska tas bort.")
            else:
                gone = shown(editable[doomed].title)

                def remove_and_index(job: Job[str]) -> str:
                    remove(doomed, settings)
                    render.reindex(settings, live, job)
                    return gone

                state.remove_job = Job(remove_and_index)
    with render.page_errors():
        if removed := render.finished("remove_job", "Tar bort …"):
            state.desk_flash = f"”{removed}” är borttagen ur kunskapsbanken."
            st.rerun()
