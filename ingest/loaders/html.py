"""A saved web page (.html/.htm), such as a Kunskapsguiden page, via BeautifulSoup.

Only the main content counts: <main> or <article> if present; navigation, header, footer,
asides, scripts, forms, cookie banners and newsletter boxes are dropped. h1–h6 nest as
sections, list items stay list lines, table rows become lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag, UnicodeDammit

from core.budget import Budget
from core.documents import Block, DocumentMeta
from ingest.blocks import BlockBuilder
from ingest.clean import is_web_noise, normalize_unicode, web_boilerplate_mask
from ingest.loaders.text import checked_text
from ingest.structure import normalized

_DROP_TAGS = {"nav", "header", "footer", "aside", "script", "style", "noscript", "form",
              "iframe", "svg", "button", "template", "select", "input", "dialog"}  # fmt: skip
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog"}
_BOILERPLATE = re.compile(
    r"cookie|consent|gdpr|newsletter|nyhetsbrev|prenumer|subscribe|breadcrumb|skip-?link"
    r"|(?:^|[-_\s])share(?:$|[-_\s])",
    re.I,
)
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "ul", "ol", "li", "table", "h1", "h2",
               "h3", "h4", "h5", "h6", "blockquote", "pre", "dl", "dt", "dd", "figure",
               "figcaption", "body", "details", "summary", "address", "hr"}  # fmt: skip


def load(raw: bytes, meta: DocumentMeta, budget: Budget) -> tuple[DocumentMeta, list[Block]]:
    # Decode as BeautifulSoup would (BOM, <meta charset>, guess), but refuse binary data:
    # any bytes "parse" as HTML, and random ones would be indexed as garbage text.
    markup = checked_text(UnicodeDammit(raw, is_html=True).unicode_markup or "\x00", meta.source)
    soup = BeautifulSoup(markup, "html.parser")
    budget.check()
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    root = soup.find("main") or soup.find("article") or soup.body or soup
    _drop_boilerplate(root, budget)
    h1 = root.find("h1") if isinstance(root, Tag) else None
    title = meta.title or (_text(h1) if h1 else "") or page_title.split(" | ")[0].strip()
    builder = BlockBuilder(budget=budget)
    _walk(root, builder, title, budget)
    builder.flush()
    blocks = builder.blocks
    keep = web_boilerplate_mask([block.text for block in blocks])
    return replace(meta, title=title), [b for b, k in zip(blocks, keep, strict=True) if k]


def _drop_boilerplate(root: Tag | BeautifulSoup, budget: Budget) -> None:
    """Remove navigation, scripts, cookie banners, … in one pass that never enters what it
    removes (so it is linear however deep the markup nests)."""
    dropped: list[Tag] = []
    stack = [root]
    while stack:
        budget.check()
        for child in stack.pop().children:
            if not isinstance(child, Tag):
                continue
            if _is_boilerplate(child):
                dropped.append(child)
            else:
                stack.append(child)
    for tag in dropped:
        tag.decompose()


def _is_boilerplate(tag: Tag) -> bool:
    if tag.name in _DROP_TAGS:
        return True
    marks = " ".join([_attr(tag, "id"), *_classes(tag)])
    hidden = tag.get("aria-hidden") == "true" or tag.has_attr("hidden")
    return hidden or tag.get("role") in _DROP_ROLES or bool(_BOILERPLATE.search(marks))


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    return value if isinstance(value, str) else " ".join(value or [])


def _classes(tag: Tag) -> list[str]:
    value = tag.get("class")
    return [value] if isinstance(value, str) else list(value or [])


def _text(tag: Tag, stop: Callable[[Tag], bool] | None = None) -> str:
    """The tag's text on one line; without the tags `stop` picks, if given."""
    strings = (
        tag.stripped_strings
        if stop is None
        else (str(n).strip() for n in _descend(tag, stop) if type(n) in _TEXT_TYPES)
    )
    return re.sub(r"\s+", " ", normalize_unicode(" ".join(s for s in strings if s))).strip()


def _descend(tag: Tag, stop: Callable[[Tag], bool]) -> Iterator[PageElement]:
    """The tag's descendants in document order; a tag `stop` picks is yielded, not entered."""
    stack = list(reversed(tag.contents))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Tag) and not stop(node):
            stack.extend(reversed(node.contents))


def _is_table(tag: Tag) -> bool:
    return tag.name == "table"


def _ends_cell_search(tag: Tag) -> bool:
    return tag.name in ("td", "th", "tr", "table")


def _cells(row: Tag) -> list[Tag]:
    """The row's cells: not those of tables nested in them, nor of rows nested in it."""
    return [
        n for n in _descend(row, _ends_cell_search) if isinstance(n, Tag) and n.name in ("td", "th")
    ]


def _inline_text(tag: Tag) -> str:
    """The tag's text as `get_text()` gives it, with a line break for each <br>."""
    if tag.name == "br":
        return "\n"
    parts: list[str] = []
    for node in tag.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
        elif type(node) in _TEXT_TYPES:
            parts.append(str(node))
    return "".join(parts)


_TEXT_TYPES = (NavigableString, CData)  # not comments, doctype, processing instructions


def _walk(root: Tag | BeautifulSoup, builder: BlockBuilder, title: str, budget: Budget) -> None:
    """Walk the tree depth first with a stack of our own (not Python's: a page may nest
    100 000 levels deep). Each `_children` generator yields the tags to walk before it goes
    on, as a recursive call would."""
    stack = [_children(root, builder, title)]
    while stack:
        budget.check()
        try:
            node = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        stack.append(_children(node, builder, title))


def _children(node: Tag | BeautifulSoup, builder: BlockBuilder, title: str) -> Iterator[Tag]:
    """Block-level children become blocks; runs of inline content become paragraphs."""
    inline: list[str] = []
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not comments, CDATA, doctype
                inline.append(str(child))
            continue
        if not isinstance(child, Tag) or child.name not in _BLOCK_TAGS:
            if isinstance(child, Tag):
                inline.append(_inline_text(child))  # inline markup: "Kunskaps<b>guiden</b>"
            continue
        _paragraph(builder, inline)
        inline = []
        yield from _block(child, builder, title)
    _paragraph(builder, inline)


def _block(tag: Tag, builder: BlockBuilder, title: str) -> Iterator[Tag]:
    """Add one block-level tag; yield the tags whose children must be walked for it."""
    name = tag.name
    if re.fullmatch(r"h[1-6]", name):
        text = _text(tag)
        if text and normalized(text) != normalized(title):
            builder.heading(int(name[1]), text)
        elif text:
            builder.flush()
    elif name == "li":
        nested = [c for c in tag.children if isinstance(c, Tag) and c.name in ("ul", "ol")]
        text = _text(tag, lambda t: t.parent is tag and t.name in ("ul", "ol"))
        if text and not is_web_noise(text):
            builder.item(None, "• " + text)
        yield from nested
    elif name == "table":
        # Rows of nested tables are rows of their own, not text of the outer cell: each text
        # once, so a table nested 100 000 deep is linear too.
        for row in tag.find_all("tr"):
            cells = [_text(cell, _is_table) for cell in _cells(row)]
            if any(cells):
                builder.item(None, " | ".join(c for c in cells if c))
        builder.flush()
    elif name in ("ul", "ol"):
        yield tag
        builder.flush()
    elif name in ("p", "dt", "dd", "pre", "figcaption", "summary", "address"):
        _paragraph(builder, [_inline_text(tag)])
    else:
        yield tag


def _paragraph(builder: BlockBuilder, parts: list[str]) -> None:
    text = re.sub(r"\s+", " ", normalize_unicode("".join(parts))).strip()
    if text and not is_web_noise(text):
        builder.line(None, text)
        builder.flush_para()
