"""The work one document may cost: a deadline, and a number of extracted characters.

A small file can hide unbounded work: a zip that inflates a hundredfold, 2000 PDF pages that
share one heavy content stream, markup nested 100 000 levels deep. Loaders and the chunker
check a `Budget` per page, paragraph, element or block; when it is spent, the document is
refused with a message that names the file and the limit, and the rest of the corpus goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from core.errors import UnreadableDocumentError

DOCUMENT_SECONDS = 120.0  # KG_DOCUMENT_SECONDS: loading and chunking one document
DOCUMENT_CHARS = 5_000_000  # KG_DOCUMENT_CHARS: the largest seed document has 179 000


def thousands(number: int) -> str:
    """5000000 -> "5 000 000", as a Swedish reader writes it."""
    return f"{number:,}".replace(",", " ")


class Budget:
    """Time and text one document may take, from the moment the budget is made."""

    def __init__(
        self,
        name: str,
        seconds: float = DOCUMENT_SECONDS,
        max_chars: int = DOCUMENT_CHARS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.seconds = seconds
        self.max_chars = max_chars
        self.chars = 0
        self._clock = clock
        self._deadline = clock() + seconds

    def check(self) -> None:
        """UnreadableDocumentError once the time is up."""
        if self._clock() > self._deadline:
            raise UnreadableDocumentError(
                f"{self.name}: dokumentet tog längre tid än {self.seconds:g} s att läsa, så det "
                "indexerades inte. Dela upp det i mindre dokument (till exempel ett per kapitel) "
                "och lägg in dem var för sig. Gränsen ändras med KG_DOCUMENT_SECONDS.",
                path=self.name,
            )

    def spend(self, chars: int) -> None:
        """Count `chars` more characters of extracted text; UnreadableDocumentError once there
        are more than `max_chars`, or once the time is up."""
        self.chars += chars
        if self.chars > self.max_chars:
            raise UnreadableDocumentError(
                f"{self.name}: dokumentet gav mer än {thousands(self.max_chars)} tecken text, så "
                "det indexerades inte. Dela upp det i mindre dokument (till exempel ett per "
                "kapitel) och lägg in dem var för sig. Gränsen ändras med KG_DOCUMENT_CHARS.",
                path=self.name,
            )
        self.check()
