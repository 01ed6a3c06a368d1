"""Corpus desk: coordinators publish, replace and remove local routines (behind a password)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path

import streamlit as st

from assistant.auth import IDLE_TIMEOUT_SECONDS, session_expired
from assistant.citations import kind_label
from ingest.documents import KINDS
from ingest.manifest import read_manifest
from ingest.upload import UPLOAD_DIR, preview, publish, remove, safe_filename, upload_meta
from ui import render, resources

UPLOAD_TYPES = ["pdf", "docx", "md", "txt", "html", "htm"]
PREVIEW_CHUNKS = 5
FORM_WIDTH = 760

st.title("Korpus")
st.caption("För samordnare: lägg till, ersätt och ta bort lokala rutiner i kunskapsbanken.")

state = st.session_state
state.setdefault("desk_session", uuid.uuid4().hex)  # the login brake counts per session
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
        guard = resources.login_guard()
        if guard.attempt(state.desk_session, password, settings.admin_password_hash):
            state.desk_active = time.time()
            st.rerun()
        elif (wait := guard.locked_for(state.desk_session)) > 0:
            st.error(
                f"För många misslyckade försök. Vänta {int(wait // 60) + 1} minuter och försök igen."
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
                "Typ", kinds, kinds.index("lokal_rutin"), format_func=kind_label, key=f"kind-{r}"
            )
            valid_from = st.date_input(
                "Gäller från", dt.date.today(), format="YYYY-MM-DD", key=f"from-{r}"
            )
        with right:
            municipality = st.text_input("Kommun", key=f"municipality-{r}")
            replaces = st.selectbox(
                "Ersätter",
                ["", *editable],
                format_func=lambda s: "– inget, nytt dokument –" if not s else editable[s].title,
                key=f"replaces-{r}",
            )
        wants_preview = st.form_submit_button("Förhandsgranska", type="primary")

    if wants_preview:
        if file is None:
            st.error("Välj en fil att ladda upp.")
        elif not title.strip():
            st.error("Ange en titel för dokumentet.")
        else:
            state.pop("draft", None)
            with render.page_errors():
                suffix = Path(safe_filename(file.name)).suffix
                name = Path(replaces).stem + suffix if replaces else file.name
                source = f"{UPLOAD_DIR}/{safe_filename(name)}"
                day = valid_from.isoformat() if isinstance(valid_from, dt.date) else None
                meta = upload_meta(source, title, kind, municipality or None, day)
                data = file.getvalue()
                chunks = preview(file.name, data, meta, settings, embedder)
                state.draft = {
                    "name": name, "data": data, "meta": meta, "chunks": chunks,
                    "replaces": replaces, "upload": file.name,
                }  # fmt: skip

    draft = state.get("draft")
    if draft:
        with st.container(width=FORM_WIDTH):
            meta, chunks = draft["meta"], draft["chunks"]
            st.subheader("Förhandsgranskning")
            sections = list(dict.fromkeys(c.section_path or "(utan rubrik)" for c in chunks))
            st.markdown(
                f"**{render.plain(meta.title)}** · {render.kind_badge(meta.kind)} · "
                f"{meta.year or 'år saknas'} · {len(sections)} avsnitt · {len(chunks)} "
                + ("textdel" if len(chunks) == 1 else "textdelar")
            )
            if draft["replaces"]:
                st.info(f"Ersätter: {render.plain(editable[draft['replaces']].title)}")
            elif meta.source in editable:
                st.info(
                    "Ett dokument med samma filnamn finns redan; det ersätts av den nya versionen."
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
            if go.button("Publicera", type="primary", width="stretch"):
                with render.page_errors():
                    published = publish(
                        draft["name"], draft["data"], meta.title, settings, embedder,
                        kind=meta.kind, municipality=meta.municipality, valid_from=meta.valid_from,
                    )  # fmt: skip
                    if draft["replaces"] and draft["replaces"] != published.source:
                        remove(draft["replaces"], settings)
                    report = render.reindex(settings, assistant)
                    state.pop("draft", None)
                    failed = [f for f in report.failed if f.source == published.source]
                    if failed:
                        st.error(f"Dokumentet kunde inte indexeras: {failed[0].reason}")
                    else:
                        state.desk_flash = (
                            f"”{published.title}” är publicerad och används i svaren direkt."
                        )
                        state.upload_round += 1
                        st.rerun()

with list_tab:
    st.dataframe(
        [
            {
                "Titel": d.title,
                "Typ": kind_label(d.kind),
                "År": str(d.year) if d.year else "saknas",
                "Textdelar": d.chunks,
                "Indexerad": dt.datetime.fromtimestamp(d.indexed_at).strftime("%Y-%m-%d %H:%M"),
                "Fil": d.source,
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
                "Dokument", list(editable), format_func=lambda s: editable[s].title
            )
            sure = st.checkbox("Ja, ta bort dokumentet ur kunskapsbanken")
            wants_removal = st.form_submit_button("Ta bort")
        if wants_removal:
            if not sure:
                st.error("Bekräfta att dokumentet ska tas bort.")
            else:
                with render.page_errors():
                    remove(doomed, settings)
                    render.reindex(settings, assistant)
                    state.desk_flash = f"”{editable[doomed].title}” är borttagen ur kunskapsbanken."
                    st.rerun()
