"""Work started from a page runs on its own thread (ui.background.Job), and the page shows its
result once, from whichever run of the script finds it done (issue 12, item 3: the desk's
loading and indexing happen off the Streamlit script thread)."""

from __future__ import annotations

import threading

import pytest
from streamlit.testing.v1 import AppTest

from ui.background import Job


def test_a_job_runs_on_its_own_thread_and_gives_its_result() -> None:
    release = threading.Event()
    seen: list[str] = []

    def work(job: Job[int]) -> int:
        seen.append(threading.current_thread().name)
        job.report(0.5, "halvvägs")
        release.wait(5)
        return 42

    job = Job(work)
    assert not job.wait(0.05)  # still working: the caller was not held up
    assert (job.fraction, job.note) == (0.5, "halvvägs")
    release.set()
    assert job.wait(5) and job.result() == 42
    assert seen and seen[0] != threading.current_thread().name


def test_a_failing_job_raises_its_error_where_the_result_is_asked_for() -> None:
    def work(job: Job[None]) -> None:
        raise ValueError("trasig fil")

    job = Job(work)
    assert job.wait(5)
    with pytest.raises(ValueError, match="trasig fil"):
        job.result()


def test_progress_is_kept_between_0_and_1() -> None:
    job = Job(lambda j: j.report(7, "x"))
    job.wait(5)
    assert job.fraction == 1.0


def _page(fail: bool) -> None:
    import streamlit as st

    from ui import render
    from ui.background import Job

    if "job" not in st.session_state and not st.session_state.get("shown"):

        def work(job: Job[str]) -> str:
            if fail:
                raise RuntimeError("oväntat")
            return "klart"

        st.session_state.job = Job(work)
    with render.page_errors():
        if (result := render.finished("job", "Arbetar …")) is not None:
            st.session_state.shown = True
            st.success(result)
    st.markdown(f"kvar: {'job' in st.session_state}")


@pytest.mark.parametrize("fail", [False, True])
def test_the_page_shows_a_finished_job_once_and_forgets_it(fail: bool) -> None:
    at = AppTest.from_function(_page, args=(fail,)).run(timeout=30)
    assert not at.exception
    if fail:
        assert [e.value for e in at.error][0].startswith("Något gick fel.")
    else:
        assert [s.value for s in at.success] == ["klart"]
    assert at.markdown[-1].value == "kvar: False"  # forgotten: the next run does not show it again
