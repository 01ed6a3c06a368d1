"""The Streamlit app: `kunskapsguide ui`, or `streamlit run ui/app.py` from the repo root."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import ingest  # noqa: F401  (offline environment before any HF/Chroma import)

PAGES = Path(__file__).parent / "pages"

st.set_page_config(
    page_title="Kunskapsguide-assistenten",
    page_icon=":material/menu_book:",
    layout="centered",
    menu_items={"About": "Kunskapsguide-assistenten: svar med källor om ekonomiskt bistånd."},
)

page = st.navigation(
    {
        "Handläggare": [
            st.Page(PAGES / "chat.py", title="Fråga", icon=":material/chat:", default=True),
        ],
        "Samordnare och utvärderare": [
            st.Page(PAGES / "desk.py", title="Korpus", icon=":material/folder_managed:"),
            st.Page(PAGES / "evaluation.py", title="Utvärdering", icon=":material/analytics:"),
        ],
    }
)
st.sidebar.caption("Svaren kommer ur kunskapsbankens dokument. Skriv inga personuppgifter.")
page.run()
