"""Citations: numbering, the JSON shape of answers, and the plain-text rendering."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.types import Answer, Citation, Passage, SectionKey
from core import markers
from core.documents import KINDS, DocumentMeta

# A quoted sentence may hold bracketed numbers of its own ("16 kap. 3 § SoL [2].", a footnote)
# that are not markers. Quoted text has its opening brackets hidden behind a private-use
# character that no marker pattern matches; `renumber` puts them back once the markers are set.
_HIDDEN_BRACKET = "\ue000"


def kind_label(kind: str) -> str:
    return KINDS.get(kind, kind)


def whose(meta: DocumentMeta) -> str:
    """'Nationell vägledning'; 'Lokal rutin, Trelleborg'; ', exempel' for an example document
    (a routine of one municipality, shown as such, never as the rule)."""
    label = kind_label(meta.kind)
    if meta.is_local and meta.municipality:
        label += f", {meta.municipality}"
    return label + (", exempel" if meta.example else "")


def original_url(meta: DocumentMeta) -> str | None:
    """The link to the original, if it has one a browser may open (http or https only)."""
    url = (meta.url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) and " " not in url else None


def source_label(p: Passage) -> str:
    """'Titel › Avsnitt, s. 7 (2021, Nationell vägledning)'."""
    where = p.title + (f" › {p.section_path}" if p.section else "")
    page = f", s. {p.page_label}" if p.page_label else ""
    year = str(p.year) if p.year else "år saknas"
    return f"{where}{page} ({year}, {whose(p.meta)})"


def hide_brackets(text: str) -> str:
    """Source text made safe to quote next to markers; `renumber` restores its brackets.
    A stray private-use character in the source is dropped, so it cannot come back as "["."""
    return text.replace(_HIDDEN_BRACKET, "").replace("[", _HIDDEN_BRACKET)


def renumber(text: str, citations: Sequence[Citation]) -> tuple[str, tuple[Citation, ...]]:
    """Keep only cited sources and number them 1..n in order of first appearance; brackets
    hidden by `hide_brackets` come back as they were."""
    by_n = {c.n: c for c in citations}
    order = [n for n in markers.cited_numbers(text) if n in by_n]
    mapping = {old: new for new, old in enumerate(order, start=1)}
    new_text = markers.replace(text, lambda ns: [mapping[n] for n in ns if n in mapping])
    new_text = new_text.replace(_HIDDEN_BRACKET, "[")
    new_citations = tuple(
        Citation(n=mapping[n], passage=by_n[n].passage, quote=by_n[n].quote) for n in order
    )
    return new_text, new_citations


def passage_to_dict(p: Passage, n: int | None = None, quote: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": p.source,
        "title": p.title,
        "section": p.section_path,
        "page": p.page_label or None,
        "year": p.year,
        "kind": str(p.kind),
        "municipality": p.municipality,
        "example": p.meta.example,
        "url": original_url(p.meta),
        "quote": quote if quote is not None else "",
        "text": p.text,
        "score": round(p.score, 6),
        # What each side saw, so a ranking can be explained: cosine of the chunk, BM25, and
        # cosine of its best sentence (None where that side did not find it).
        "scores": {
            "dense": _rounded(p.dense_score),
            "lexical": _rounded(p.lexical_score),
            "sentence": _rounded(p.sentence_score),
        },
    }
    if n is not None:
        data = {"n": n, **data}
    return data


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answer": answer.answer,
        "refused": answer.refused,
        "citations": [passage_to_dict(c.passage, c.n, c.quote) for c in answer.citations],
        "retrieved": [passage_to_dict(p) for p in answer.retrieved],
        "nearest": [passage_to_dict(p) for p in answer.nearest],
        "mode": answer.mode,
        "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
        "privacy_notice": answer.privacy_notice,
        "standalone_question": answer.standalone_question,
        "prior_sections": [section_to_dict(key) for key in answer.prior_sections],
        "flagged": list(answer.flagged),
    }


def section_to_dict(key: SectionKey) -> dict[str, str]:
    """A section that a follow-up's retrieval favoured, as JSON shows it."""
    doc_id, section = key
    return {"doc_id": doc_id, "section": " › ".join(section)}


def format_answer_text(answer: Answer) -> str:
    """The answer as a terminal shows it: text, then numbered sources with quotes."""
    lines = []
    if answer.privacy_notice:
        lines += [answer.privacy_notice, ""]
    if answer.standalone_question and answer.standalone_question != answer.question:
        lines += [f"Tolkad som: {answer.standalone_question}", ""]
    lines.append(answer.answer)
    if answer.citations:
        lines += ["", "Källor:"]
        for c in answer.citations:
            lines.append(f"  [{c.n}] {source_label(c.passage)} – {c.passage.source}")
            lines.append(f'      "{c.quote}"')
            if url := original_url(c.passage.meta):
                lines.append(f"      Original: {url}")
    if answer.refused and answer.nearest:
        lines += ["", "Närmaste avsnitt i källorna:"]
        for p in answer.nearest:
            lines.append(f"  – {source_label(p)} – {p.source}")
    return "\n".join(lines)
