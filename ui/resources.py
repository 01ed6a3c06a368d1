"""What the app builds once per process and shares between all browser sessions.

The embedding model, the index and the lexical index are heavy, so `assistant()` builds them
on first use; a failure (an error is not cached) is shown on the page and retried next run.
"""

from __future__ import annotations

import streamlit as st

from assistant.auth import LoginGuard
from assistant.feedback import FeedbackStore, feedback_path
from assistant.service import Assistant, build_assistant
from core.settings import Settings, load_settings
from ui.logconfig import configure_logging


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner="Laddar språkmodell och kunskapsbank …")
def assistant() -> Assistant:
    return build_assistant(settings())


@st.cache_resource(show_spinner=False)
def feedback_store() -> FeedbackStore:
    return FeedbackStore(feedback_path(settings()))


@st.cache_resource(show_spinner=False)
def login_guard() -> LoginGuard:
    """The count of wrong coordinator passwords, here rather than in `st.session_state`:
    a reload or a new tab starts a new session, and must not start a new count."""
    return LoginGuard()


@st.cache_resource(show_spinner=False)
def logging_configured() -> bool:
    """Once per process: our warnings to stderr, and personal data masked in every log line
    (ours and Streamlit's, whose tracebacks may quote a question)."""
    configure_logging()
    return True
