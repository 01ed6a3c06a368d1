"""Citation numbering, the JSON shape of an answer (`ask --json`) and the terminal rendering,
on hand-built values."""

from __future__ import annotations

import json

import pytest

from assistant.citations import (
    answer_to_dict,
    format_answer_text,
    hide_brackets,
    original_url,
    renumber,
    source_label,
)
from assistant.types import Answer, Citation, Passage
from core.documents import DocumentKind
from core.markers import cited_numbers
from tests import parts


def make_passage(text: str = "Samtycke ska dokumenteras i akten.", **kw: object) -> Passage:
    values: dict[str, object] = dict(
        chunk_id="rutin::0001::abcd1234", doc_id="lokala-rutiner/samtycke.md",
        source="lokala-rutiner/samtycke.md", title="Rutin för samtycke", publisher="Exempelkommunen",
        year=2024, kind="lokal_rutin", municipality="Exempelkommunen",
        section=("Samtycke", "Dokumentation"), page_start=None, page_end=None, position=1,
        text=text, score=0.0327868852459,
    )  # fmt: skip
    values.update(kw)
    return parts.passage(**values)  # type: ignore[arg-type]


def cite(n: int, title: str) -> Citation:
    p = make_passage(f"{title} gäller.", title=title, chunk_id=f"c{n}", source=f"{title}.txt")
    return Citation(n=n, passage=p, quote=f"{title} gäller.")


def make_answer(**kw: object) -> Answer:
    values: dict[str, object] = dict(
        question="Hur länge gäller ett samtycke?", standalone_question="Hur länge gäller ett samtycke?",
        answer="Samtycke ska dokumenteras i akten. [1]", refused=False,
        citations=(Citation(1, make_passage(), "Samtycke ska dokumenteras i akten."),),
        retrieved=(make_passage(), make_passage("Övrigt om sekretess.", chunk_id="c2")),
        mode="extractive", timings_ms={"retrieve": 12.345, "answer": 3.0},
    )  # fmt: skip
    values.update(kw)
    return Answer(**values)  # type: ignore[arg-type]


# --- cited_numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("Inga hänvisningar här.", []),
        ("Först [3]. Sedan [1, 3]. Sist [2,3].", [3, 1, 2]),
        ("Båda [1][2].", [1, 2]),
        ("Samma [2] igen [2].", [2]),
        ("Inte markörer: [a], [x1], 4 kap. 1 § SoL.", []),
        # Changed deliberately (issue 11, item 10): one grammar for markers everywhere, so
        # what the grounding check reads as a marker is renumbered as one too.
        ("Också markörer: [ 1 ], [2-3], [Källa 4].", [1, 2, 3, 4]),
        ("Åtgärden [12] och [1].", [12, 1]),
    ],
)
def test_cited_numbers_in_order_of_first_appearance(text: str, expected: list[int]) -> None:
    assert cited_numbers(text) == expected


# --- renumber --------------------------------------------------------------------------------


def test_renumber_keeps_cited_sources_numbered_by_first_appearance() -> None:
    citations = [cite(1, "Ansökan"), cite(2, "Oanvänd"), cite(3, "Sekretess")]
    text, new = renumber("Sekretess gäller [3]. Ansökan prövas [1, 3].", citations)
    assert text == "Sekretess gäller [1]. Ansökan prövas [2, 1]."
    assert [(c.n, c.passage.title) for c in new] == [(1, "Sekretess"), (2, "Ansökan")]
    assert [c.quote for c in new] == ["Sekretess gäller.", "Ansökan gäller."]


def test_renumber_drops_markers_of_unknown_numbers() -> None:
    text, new = renumber("Åtgärd [7]. Beslut [2]. Båda [7, 2].", [cite(2, "Beslut")])
    assert "7" not in text
    assert "Beslut [1]." in text and text.endswith("Båda [1].")
    assert [c.n for c in new] == [1]
    assert cited_numbers(text) == [1]


def test_renumber_merges_repeated_numbers_in_one_marker() -> None:
    text, _ = renumber("Beslut [2, 2,2].", [cite(2, "Beslut")])
    assert text == "Beslut [1]."


def test_renumber_without_markers_cites_nothing() -> None:
    assert renumber("Källorna täcker inte frågan.", [cite(1, "Beslut")]) == (
        "Källorna täcker inte frågan.",
        (),
    )


def test_renumber_is_idempotent() -> None:
    citations = [cite(1, "Ansökan"), cite(3, "Sekretess")]
    once = renumber("Sekretess gäller [3]. Ansökan prövas [1, 3].", citations)
    assert renumber(*once) == once


@pytest.mark.parametrize(
    "quoted",
    ["enligt 16 kap. 3 § SoL [2].", "fotnot [1, 3] och [12]", "[Källa 2] [ 1 ] [a]", "[[1]]"],
)
def test_hidden_brackets_of_a_quote_are_not_markers_and_come_back(quoted: str) -> None:
    citations = [cite(2, "Beslut"), cite(5, "Sekretess")]
    text = f"Sekretess gäller [5]. Beslutet överklagas {hide_brackets(quoted)} [2]"
    assert cited_numbers(text) == [5, 2]
    assert renumber(text, citations)[0] == f"Sekretess gäller [1]. Beslutet överklagas {quoted} [2]"


def test_hide_brackets_drops_a_stray_hiding_character_of_the_source() -> None:
    text, _ = renumber(hide_brackets("Tecken \ue000 i en PDF [3]."), [])
    assert text == "Tecken  i en PDF [3]."


# --- source_label ----------------------------------------------------------------------------


def test_source_label_shows_section_page_year_and_kind() -> None:
    p = make_passage(
        title="Handbok för handläggare",
        section=("Ekonomiskt bistånd", "Samtycke"),
        page_start=7,
        page_end=9,
        year=2021,
        kind="nationell_vagledning",
    )
    assert source_label(p) == (
        "Handbok för handläggare › Ekonomiskt bistånd › Samtycke, s. 7–9 (2021, Nationell vägledning)"
    )


def test_source_label_single_page() -> None:
    p = make_passage(section=(), page_start=12, page_end=12, year=2016, kind="rapport")
    assert source_label(p) == "Rutin för samtycke, s. 12 (2016, Rapport)"


def test_source_label_without_year_says_so() -> None:
    p = make_passage(year=None, section=(), municipality=None)
    assert source_label(p) == "Rutin för samtycke (år saknas, Lokal rutin)"


def test_source_label_names_the_municipality_of_a_local_routine_and_an_example() -> None:
    p = make_passage(section=(), municipality="Trelleborg")
    assert source_label(p) == "Rutin för samtycke (2024, Lokal rutin, Trelleborg)"
    p = make_passage(section=(), kind="rapport", municipality="Trelleborg", example=True)
    assert source_label(p) == "Rutin för samtycke (2024, Rapport, exempel)"


# Changed deliberately (issue 11, item 9): kinds are a StrEnum, and a kind no manifest allows
# (an old or damaged index) is read as a local routine, never presented as national guidance.
def test_an_unknown_kind_is_read_as_a_local_routine() -> None:
    p = make_passage(kind="okänd_typ", section=(), municipality=None)
    assert p.kind is DocumentKind.LOCAL_ROUTINE
    assert source_label(p).endswith("(2024, Lokal rutin)")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://www.socialstyrelsen.se/kunskapsguiden", "https://www.socialstyrelsen.se/kunskapsguiden"),
        ("http://intranat.kommun.se/rutin.pdf", "http://intranat.kommun.se/rutin.pdf"),
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("https://a b", None),
        (None, None),
    ],
)
def test_only_a_web_address_is_offered_as_the_original(url: str | None, shown: str | None) -> None:
    p = make_passage(url=url)
    assert original_url(p.meta) == shown
    data = answer_to_dict(make_answer(citations=(Citation(1, p, "Samtycke ska dokumenteras i akten."),)))
    assert data["citations"][0]["url"] == shown
    lines = format_answer_text(make_answer(citations=(Citation(1, p, "Samtycke."),))).splitlines()
    assert (f"      Original: {shown}" in lines) == (shown is not None)


# --- answer_to_dict (the `ask --json` contract) ----------------------------------------------

REQUIRED = {"question", "answer", "refused", "citations", "retrieved", "mode", "timings_ms"}
# Also present: what the UI and the feedback export use besides the required keys.
EXTRA = {"nearest", "privacy_notice", "standalone_question", "prior_sections", "flagged"}
PASSAGE_KEYS = {
    "source", "title", "section", "page", "year", "kind", "municipality", "example", "url",
    "quote", "text", "score", "scores",
}  # fmt: skip


def test_answer_to_dict_has_the_keys_of_the_json_contract() -> None:
    data = answer_to_dict(make_answer(nearest=(make_passage(),)))
    assert set(data) >= REQUIRED
    assert set(data) == REQUIRED | EXTRA
    assert [set(c) for c in data["citations"]] == [PASSAGE_KEYS | {"n"}]
    assert [set(p) for p in data["retrieved"]] == [PASSAGE_KEYS, PASSAGE_KEYS]
    assert [set(p) for p in data["nearest"]] == [PASSAGE_KEYS]
    assert list(data["citations"][0])[0] == "n"


def test_answer_to_dict_values() -> None:
    p = make_passage(page_start=3, page_end=4)
    answer = make_answer(
        citations=(Citation(1, p, "Samtycke ska dokumenteras i akten."),), retrieved=(p,)
    )
    data = answer_to_dict(answer)
    assert data["citations"][0] == {
        "n": 1,
        "source": "lokala-rutiner/samtycke.md",
        "title": "Rutin för samtycke",
        "section": "Samtycke › Dokumentation",
        "page": "3–4",
        "year": 2024,
        "kind": "lokal_rutin",
        "municipality": "Exempelkommunen",
        "example": False,
        "url": None,
        "quote": "Samtycke ska dokumenteras i akten.",
        "text": "Samtycke ska dokumenteras i akten.",
        "score": 0.032787,
        "scores": {"dense": None, "lexical": None, "sentence": None},
    }
    retrieved = data["retrieved"][0]
    assert retrieved["quote"] == "" and "n" not in retrieved
    assert data["timings_ms"] == {"retrieve": 12.3, "answer": 3.0}
    assert data["refused"] is False and data["mode"] == "extractive"
    assert data["flagged"] == [] and data["privacy_notice"] is None


def test_answer_to_dict_without_page_or_year_gives_nulls() -> None:
    data = answer_to_dict(make_answer(retrieved=(make_passage(year=None),)))
    assert data["retrieved"][0]["page"] is None and data["retrieved"][0]["year"] is None


def test_answer_to_dict_is_json_with_swedish_text_intact() -> None:
    data = answer_to_dict(make_answer())
    text = json.dumps(data, ensure_ascii=False)
    assert json.loads(text) == data
    assert "Hur länge gäller ett samtycke?" in text


# --- format_answer_text ----------------------------------------------------------------------


def test_format_answer_text_lists_sources_with_quotes() -> None:
    text = format_answer_text(make_answer())
    assert text.splitlines() == [
        "Samtycke ska dokumenteras i akten. [1]",
        "",
        "Källor:",
        "  [1] Rutin för samtycke › Samtycke › Dokumentation (2024, Lokal rutin, Exempelkommunen) – "
        "lokala-rutiner/samtycke.md",
        '      "Samtycke ska dokumenteras i akten."',
    ]


def test_format_answer_text_for_a_refusal_lists_the_nearest_sections() -> None:
    nearest = (
        make_passage(),
        make_passage(
            title="Handbok", section=("Överklagande",), year=None, kind="rapport",
            source="rapporter/handbok.txt", page_start=5,
        ),
    )  # fmt: skip
    refusal = make_answer(
        answer="Källorna täcker inte den frågan.", refused=True, citations=(), nearest=nearest
    )
    assert format_answer_text(refusal).splitlines() == [
        "Källorna täcker inte den frågan.",
        "",
        "Närmaste avsnitt i källorna:",
        "  – Rutin för samtycke › Samtycke › Dokumentation (2024, Lokal rutin, Exempelkommunen) – "
        "lokala-rutiner/samtycke.md",
        "  – Handbok › Överklagande, s. 5 (år saknas, Rapport) – rapporter/handbok.txt",
    ]


def test_nearest_sections_only_shown_for_a_refusal() -> None:
    text = format_answer_text(make_answer(nearest=(make_passage(),)))
    assert "Närmaste avsnitt" not in text
    refusal = format_answer_text(make_answer(refused=True, citations=(), nearest=()))
    assert "Närmaste avsnitt" not in refusal and "Källor:" not in refusal


def test_format_answer_text_starts_with_the_privacy_notice() -> None:
    notice = "Personnumret i frågan har maskerats."
    lines = format_answer_text(make_answer(privacy_notice=notice)).splitlines()
    assert lines[:3] == [notice, "", "Samtycke ska dokumenteras i akten. [1]"]


def test_format_answer_text_says_how_a_follow_up_was_read() -> None:
    follow = make_answer(
        question="och hur länge gäller det?",
        standalone_question="samtycke: och hur länge gäller det?",
        prior_sections=(("rutin", ("Samtycke", "Giltighet")),),
    )
    lines = format_answer_text(follow).splitlines()
    assert lines[:3] == [
        "Tolkad som: samtycke: och hur länge gäller det?", "", "Samtycke ska dokumenteras i akten. [1]"
    ]
    assert not any(line.startswith("Tolkad som") for line in format_answer_text(make_answer()).splitlines())
    data = answer_to_dict(follow)
    assert data["standalone_question"] == "samtycke: och hur länge gäller det?"
    assert data["prior_sections"] == [{"doc_id": "rutin", "section": "Samtycke › Giltighet"}]
