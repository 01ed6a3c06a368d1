"""A setting that is not valid is named on the page in Swedish, not shown as a traceback
(issue 11, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import APP, TIMEOUT, clear_app_caches


def test_an_invalid_setting_is_named_on_the_page(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KG_TOP_K", "abc")
    clear_app_caches()
    try:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
        assert not at.exception, at.exception
        [error] = at.error
        assert error.value.startswith("Inställningen är ogiltig: KG_TOP_K='abc' ska vara")
        assert not at.chat_input  # the chat page did not run
    finally:
        clear_app_caches()
