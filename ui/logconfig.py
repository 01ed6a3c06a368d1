"""Logging for the entry points (the CLI and the app): our own records at the chosen level,
other libraries' only from WARNING up, and personal data masked in every record."""

from __future__ import annotations

import logging

from assistant.privacy import mask_every_log_record

OWN_LOGGERS = frozenset({"kunskapsguide", "assistant", "ingest", "ui", "eval"})
FORMAT = "%(levelname)s %(name)s: %(message)s"


class LibraryNoiseFilter(logging.Filter):
    """Drops other libraries' DEBUG and INFO records. A filter on the handler rather than a
    level on their loggers, since a library may set its own level when it is imported, after
    logging is configured: bm25s sets DEBUG on itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.partition(".")[0] in OWN_LOGGERS


def configure_logging(verbose: bool = False) -> None:
    """Warnings and errors to stderr (with `verbose`, our INFO records too). Calling it again
    adds nothing."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format=FORMAT)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, LibraryNoiseFilter) for f in handler.filters):
            handler.addFilter(LibraryNoiseFilter())
    mask_every_log_record()
