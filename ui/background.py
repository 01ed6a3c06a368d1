"""Work a page starts and a later run of the page shows done.

Streamlit stops a page's script and runs it again on every click; work done on the script
thread would stop half-way (a preview, a publish and its re-indexing) or run twice. A `Job`
runs on a thread of its own and lives in the session state: the script only waits for it, and
the run after a rerun waits for the same job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class Job(Generic[T]):
    """`work(job)` on its own thread, started at once. The work may `report` its progress."""

    def __init__(self, work: Callable[[Job[T]], T]) -> None:
        self.fraction = 0.0  # done so far, 0..1
        self.note = ""  # what it is doing, for the progress bar
        self._result: Future[T] = Future()
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[Job[T]], T]) -> None:
        try:
            result = work(self)
        except Exception as exc:  # raised again by result(), in the page that shows it
            self._result.set_exception(exc)
        else:
            self._result.set_result(result)

    def report(self, fraction: float, note: str) -> None:
        self.fraction, self.note = min(max(fraction, 0.0), 1.0), note

    def wait(self, seconds: float) -> bool:
        """True once the work is done (or failed)."""
        try:
            self._result.exception(timeout=seconds)
        except TimeoutError:
            return False
        return True

    def result(self) -> T:
        """What the work returned; the error it raised, if it failed. Waits for it."""
        return self._result.result()
