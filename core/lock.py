"""The one writer lock of an index: a file beside it, so that processes take turns writing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from core.errors import IndexLockedError, StoreError
from core.settings import Settings
from core.store import storage_fault

# A second ingest waits this long for the writer lock before it reports "Indexering pågår":
# long enough to ride out a reader that holds the lock while it re-reads the index.
LOCK_TIMEOUT = 5.0


def writer_lock(settings: Settings, timeout: float = 0.0) -> FileLock:
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(storage_fault(settings.data_dir, exc) or str(exc)) from exc
    return FileLock(str(settings.data_dir / "index.lock"), timeout=timeout)


@contextmanager
def holding_writer_lock(settings: Settings, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the one writer lock of an index; IndexLockedError if another process has it."""
    lock = writer_lock(settings, timeout)
    try:
        lock.acquire()
    except Timeout as exc:
        raise IndexLockedError(
            "Indexering pågår redan i en annan process. Vänta tills den är klar och försök igen."
        ) from exc
    except OSError as exc:  # a read-only or full data folder: the lock file cannot be made
        raise StoreError(storage_fault(settings.data_dir, exc) or str(exc)) from exc
    try:
        yield
    finally:
        lock.release()
