"""One error hierarchy for the whole product.

Library code raises these with an actionable message (in Swedish, since the edges
show `str(error)` to people as-is). The CLI and UI translate them for people; nothing
else catches them broadly.
"""

from __future__ import annotations


class KunskapsguideError(Exception):
    """Base of every error this product raises on purpose."""


class ConfigError(KunskapsguideError):
    """A setting is missing or invalid."""


class DocumentError(KunskapsguideError):
    """A document could not be used. `path` names the file for the report."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class UnsupportedFileError(DocumentError):
    """The file type is not one we can read."""


class UnreadableDocumentError(DocumentError):
    """The file is corrupt, encrypted, empty, too large or has no text."""


class ManifestError(KunskapsguideError):
    """The corpus manifest is malformed or points at missing files."""


class ModelError(KunskapsguideError):
    """The embedding model could not be prepared or loaded."""


class StoreError(KunskapsguideError):
    """The index is missing, corrupt, locked or built with another model."""


class IndexMismatchError(StoreError):
    """The index was built with a different embedding model."""


class IndexLockedError(StoreError):
    """Another process is writing to the index."""


class EmptyIndexError(StoreError):
    """Nothing is indexed yet."""


class LLMError(KunskapsguideError):
    """The language model could not be reached or failed."""
