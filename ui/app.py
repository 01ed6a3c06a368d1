"""The Streamlit app: `kunskapsguide ui`, or `streamlit run ui/app.py` from the repo root."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.errors import ConfigError
from core.offline import use_offline_defaults
from ui import resources

use_offline_defaults()  # this script is an entry point: offline before any model loads

# Not "pages/": Streamlit would serve a folder of that name as pages of their own (bypassing
# this script) to a session that starts on a page URL before st.navigation has run once.
PAGES = Path(__file__).parent / "views"

resources.logging_configured()
chat = st.Page(PAGES / "chat.py", title="Fråga", icon=":material/chat:", default=True)
desk = st.Page(PAGES / "desk.py", title="Korpus", icon=":material/folder_managed:")
evaluation = st.Page(PAGES / "evaluation.py", title="Utvärdering", icon=":material/analytics:")
page = st.navigation({"Handläggare": [chat], "Samordnare och utvärderare": [desk, evaluation]})
st.set_page_config(
    page_title="Kunskapsguide-assistenten",
    page_icon=":material/menu_book:",
    layout="wide" if page.url_path == desk.url_path else "centered",  # the desk has a table
    menu_items={"About": "Kunskapsguide-assistenten: svar med källor om ekonomiskt bistånd."},
)
st.sidebar.caption("Svaren kommer ur kunskapsbankens dokument. Skriv inga personuppgifter.")
try:
    resources.settings()
except ConfigError as exc:  # a KG_ variable that is not valid: say which, not a traceback
    st.error(str(exc), icon=":material/settings:")
    st.stop()
page.run()
