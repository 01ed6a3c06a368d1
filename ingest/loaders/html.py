"""A saved web page (.html/.htm), such as a Kunskapsguiden page, via BeautifulSoup.

Only the main content counts: <main> or <article> if present; navigation, header, footer,
asides, scripts, forms, cookie banners and newsletter boxes are dropped. h1–h6 nest as
sections, list items stay list lines, table rows become lines.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bs4 import BeautifulSoup, NavigableString, Tag, UnicodeDammit

from ingest.blocks import BlockBuilder
from ingest.clean import is_web_noise, normalize_unicode, web_boilerplate_mask
from ingest.documents import Block, DocumentMeta
from ingest.loaders.text import checked_text
from ingest.structure import normalized

_DROP_TAGS = ["nav", "header", "footer", "aside", "script", "style", "noscript", "form",
              "iframe", "svg", "button", "template", "select", "input", "dialog"]  # fmt: skip
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog"}
_BOILERPLATE = re.compile(
    r"cookie|consent|gdpr|newsletter|nyhetsbrev|prenumer|subscribe|breadcrumb|skip-?link"
    r"|(?:^|[-_\s])share(?:$|[-_\s])",
    re.I,
)
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "ul", "ol", "li", "table", "h1", "h2",
               "h3", "h4", "h5", "h6", "blockquote", "pre", "dl", "dt", "dd", "figure",
               "figcaption", "body", "details", "summary", "address", "hr"}  # fmt: skip


def load(raw: bytes, meta: DocumentMeta) -> tuple[DocumentMeta, list[Block]]:
    # Decode as BeautifulSoup would (BOM, <meta charset>, guess), but refuse binary data:
    # any bytes "parse" as HTML, and random ones would be indexed as garbage text.
    markup = checked_text(UnicodeDammit(raw, is_html=True).unicode_markup or "\x00", meta.source)
    soup = BeautifulSoup(markup, "html.parser")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    root = soup.find("main") or soup.find("article") or soup.body or soup
    _drop_boilerplate(root)
    for br in root.find_all("br"):
        br.replace_with("\n")
    h1 = root.find("h1") if isinstance(root, Tag) else None
    title = meta.title or (_text(h1) if h1 else "") or page_title.split(" | ")[0].strip()
    builder = BlockBuilder()
    _walk(root, builder, title)
    builder.flush()
    blocks = builder.blocks
    keep = web_boilerplate_mask([block.text for block in blocks])
    return replace(meta, title=title), [b for b, k in zip(blocks, keep, strict=True) if k]


def _drop_boilerplate(root: Tag | BeautifulSoup) -> None:
    for tag in root.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in root.find_all(True):
        if tag.decomposed:
            continue
        marks = " ".join([tag.get("id") or "", *(tag.get("class") or [])])  # type: ignore[list-item]
        hidden = tag.get("aria-hidden") == "true" or tag.has_attr("hidden")
        if hidden or tag.get("role") in _DROP_ROLES or _BOILERPLATE.search(marks):
            tag.decompose()


def _text(tag: Tag) -> str:
    return re.sub(r"\s+", " ", normalize_unicode(tag.get_text(" ", strip=True))).strip()


def _walk(node: Tag | BeautifulSoup, builder: BlockBuilder, title: str) -> None:
    """Block-level children become blocks; runs of inline content become paragraphs."""
    inline: list[str] = []
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not comments, CDATA, doctype
                inline.append(str(child))
            continue
        if not isinstance(child, Tag) or child.name not in _BLOCK_TAGS:
            if isinstance(child, Tag):
                inline.append(child.get_text())  # inline markup: "Kunskaps<b>guiden</b>"
            continue
        _paragraph(builder, inline)
        inline = []
        _block(child, builder, title)
    _paragraph(builder, inline)


def _block(tag: Tag, builder: BlockBuilder, title: str) -> None:
    name = tag.name
    if re.fullmatch(r"h[1-6]", name):
        text = _text(tag)
        if text and normalized(text) != normalized(title):
            builder.heading(int(name[1]), text)
        elif text:
            builder.flush()
    elif name == "li":
        nested = tag.find_all(["ul", "ol"], recursive=False)
        for sub in nested:
            sub.extract()
        text = _text(tag)
        if text and not is_web_noise(text):
            builder.item(None, "• " + text)
        for sub in nested:
            _walk(sub, builder, title)
    elif name == "table":
        for row in tag.find_all("tr"):
            cells = [_text(cell) for cell in row.find_all(["td", "th"])]
            if any(cells):
                builder.item(None, " | ".join(c for c in cells if c))
        builder.flush()
    elif name in ("ul", "ol"):
        _walk(tag, builder, title)
        builder.flush()
    elif name in ("p", "dt", "dd", "pre", "figcaption", "summary", "address"):
        _paragraph(builder, [tag.get_text()])
    else:
        _walk(tag, builder, title)


def _paragraph(builder: BlockBuilder, parts: list[str]) -> None:
    text = re.sub(r"\s+", " ", normalize_unicode("".join(parts))).strip()
    if text and not is_web_noise(text):
        builder.line(None, text)
        builder.flush_para()
