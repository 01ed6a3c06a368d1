"""The extractive answer: units of a passage, and `compose`'s promises — every sentence is
quoted from its cited passage, ends in its marker, numbers run 1..n, at most MAX_SENTENCES."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.citations import renumber
from assistant.extractive import (
    MAX_PASSAGES,
    MAX_SENTENCES,
    answer_units,
    compose,
    local_place,
)
from assistant.types import Citation, Passage
from core.textnorm import content_terms
from tests import parts

PART = re.compile(r"(.+?) \[(\d+)\](?:\s+|$)", re.S)


def make_passage(text: str, i: int = 0) -> Passage:
    return parts.passage(
        chunk_id=f"doc{i}::0000", doc_id=f"doc{i}", source=f"kunskapsguiden/doc{i}.txt",
        title=f"Dokument {i}", publisher="Socialstyrelsen", year=2021,
        kind="nationell_vagledning", municipality=None, section=("Ekonomiskt bistånd",),
        page_start=None, page_end=None, position=0, text=text,
    )  # fmt: skip


def squash(text: str) -> str:
    return " ".join(text.split())


def parts_of(answer: str) -> list[tuple[str, int]]:
    """(quoted unit, marker number) for each part; asserts nothing is left over."""
    matches = list(PART.finditer(answer))
    assert "".join(m.group(0) for m in matches) == answer, answer
    return [(m.group(1), int(m.group(2))) for m in matches]


def check_promises(answer: str, citations: tuple[Citation, ...], passages: list[Passage]) -> None:
    parts = parts_of(answer)
    assert 1 <= len(parts) <= MAX_SENTENCES
    assert [c.n for c in citations] == list(range(1, len(citations) + 1))
    assert sorted({n for _, n in parts}) == [c.n for c in citations]
    first_use = list(dict.fromkeys(n for _, n in parts))
    assert first_use == sorted(first_use)  # numbered in reading order
    by_n = {c.n: c for c in citations}
    for unit, n in parts:
        assert by_n[n].passage in passages[:MAX_PASSAGES]
        assert squash(unit) in squash(by_n[n].passage.text)
        assert unit in by_n[n].quote
    for c in citations:  # the quote holds the units cited with n, in reading order
        at = 0
        for unit in (unit for unit, n in parts if n == c.n):
            at = c.quote.index(unit, at) + len(unit)


# --- answer_units ----------------------------------------------------------------------------

LIST_PASSAGE = (
    "Ansökan prövas av socialnämnden. Till ansökan ska du bifoga:\n\n"
    "- kontoutdrag för de senaste tre månaderna\n"
    "- hyreskontrakt eller avtal om bostad\n"
    "- beslut om bostadsbidrag, om du har det\n\n"
    "Handläggaren kontaktar dig inom två veckor."
)


def test_a_list_stays_with_the_sentence_that_introduces_it() -> None:
    assert answer_units(LIST_PASSAGE) == [
        "Ansökan prövas av socialnämnden.",
        "Till ansökan ska du bifoga:\n"
        "- kontoutdrag för de senaste tre månaderna\n"
        "- hyreskontrakt eller avtal om bostad\n"
        "- beslut om bostadsbidrag, om du har det",
        "Handläggaren kontaktar dig inom två veckor.",
    ]


@pytest.mark.parametrize("bullet", ["•", "-", "–", "*", "1.", "10."])
def test_every_bullet_style_counts_as_a_list(bullet: str) -> None:
    text = f"Följande gäller:\n\n{bullet} första punkten\n{bullet} andra punkten"
    assert answer_units(text) == [
        f"Följande gäller:\n{bullet} första punkten\n{bullet} andra punkten"
    ]


def test_a_list_numbered_with_parentheses_stays_with_its_introduction() -> None:
    text = "Följande gäller:\n\n1) första punkten\n2) andra punkten"
    assert answer_units(text) == ["Följande gäller:\n1) första punkten\n2) andra punkten"]


def test_a_list_without_an_introducing_colon_stands_alone() -> None:
    text = "Ansökan prövas individuellt.\n\n- kontoutdrag\n- hyreskontrakt"
    assert answer_units(text) == ["Ansökan prövas individuellt.", "- kontoutdrag\n- hyreskontrakt"]


def test_a_list_in_the_paragraph_of_its_introduction_stays_with_it() -> None:
    units = answer_units("Till ansökan ska du bifoga:\n- kontoutdrag\n- hyreskontrakt")
    assert [squash(u) for u in units] == [
        "Till ansökan ska du bifoga: - kontoutdrag - hyreskontrakt"
    ]


def test_units_respect_swedish_abbreviations() -> None:
    text = "Bistånd ges t.ex. till hyra enl. 4 kap. 1 § SoL. Beslutet kan överklagas."
    assert answer_units(text) == [
        "Bistånd ges t.ex. till hyra enl. 4 kap. 1 § SoL.",
        "Beslutet kan överklagas.",
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n", " \n \n "])
def test_blank_text_has_no_units(text: str) -> None:
    assert answer_units(text) == []


# --- compose ---------------------------------------------------------------------------------

OVERKLAGANDE = make_passage(
    "Ett beslut om ekonomiskt bistånd kan överklagas till förvaltningsrätten. "
    "Överklagandet ska ha kommit in inom tre veckor från det att du fick beslutet. "
    "Kommunen har öppet på vardagar.",
    0,
)
DOKUMENTATION = make_passage(
    "Handläggaren ska dokumentera varje beslut om ekonomiskt bistånd i akten. "
    "Dokumentationen ska vara saklig.",
    1,
)


def test_compose_quotes_the_matching_sentences_with_markers() -> None:
    q = content_terms("Hur överklagar man ett beslut om ekonomiskt bistånd?")
    answer, citations = compose(q, [OVERKLAGANDE, DOKUMENTATION])
    check_promises(answer, citations, [OVERKLAGANDE, DOKUMENTATION])
    assert answer.startswith(
        "Ett beslut om ekonomiskt bistånd kan överklagas till förvaltningsrätten. [1]"
    )
    assert "Kommunen har öppet" not in answer  # shares nothing with the question


def test_compose_numbers_sources_in_reading_order() -> None:
    q = content_terms("Hur dokumenteras ett beslut om ekonomiskt bistånd och överklagas det?")
    answer, citations = compose(q, [OVERKLAGANDE, DOKUMENTATION])
    check_promises(answer, citations, [OVERKLAGANDE, DOKUMENTATION])
    assert [c.passage.doc_id for c in citations] == ["doc0", "doc1"]


def test_compose_quotes_a_list_with_its_introduction() -> None:
    q = content_terms("Vad ska jag bifoga till ansökan?")
    answer, citations = compose(q, [make_passage(LIST_PASSAGE)])
    check_promises(answer, citations, [make_passage(LIST_PASSAGE)])
    assert answer == (
        "Ansökan prövas av socialnämnden. [1]\n\n"  # a list sets the parts apart
        "Till ansökan ska du bifoga:\n"
        "- kontoutdrag för de senaste tre månaderna\n"
        "- hyreskontrakt eller avtal om bostad\n"
        "- beslut om bostadsbidrag, om du har det [1]"
    )


def test_compose_falls_back_to_the_first_unit_of_the_best_passage() -> None:
    passages = [
        make_passage("Socialnämnden prövar rätten till bistånd. Beslutet är skriftligt.", 0),
        make_passage("Handläggaren ska dokumentera beslutet.", 1),
    ]
    answer, citations = compose(content_terms("Vad kostar busskortet?"), passages)
    assert answer == "Socialnämnden prövar rätten till bistånd. [1]"
    assert [(c.n, c.passage.doc_id, c.quote) for c in citations] == [
        (1, "doc0", "Socialnämnden prövar rätten till bistånd.")
    ]


def test_compose_fallback_with_no_question_terms() -> None:
    answer, citations = compose(set(), [OVERKLAGANDE])
    assert answer == "Ett beslut om ekonomiskt bistånd kan överklagas till förvaltningsrätten. [1]"
    assert len(citations) == 1


@pytest.mark.parametrize("passages", [[], [make_passage("")], [make_passage(" \n\n ")]])
def test_compose_with_nothing_to_quote(passages: list[Passage]) -> None:
    assert compose(content_terms("samtycke"), passages) == ("", ())


def test_compose_uses_at_most_max_sentences() -> None:
    text = " ".join(f"Samtycke krävs i fall nummer {i} enligt rutinen." for i in range(10))
    answer, citations = compose(
        content_terms("När krävs samtycke enligt rutinen?"), [make_passage(text)]
    )
    assert len(parts_of(answer)) == MAX_SENTENCES
    check_promises(answer, citations, [make_passage(text)])


def test_compose_quotes_only_from_the_best_passages() -> None:
    weak = [make_passage(f"Ett annat ämne nummer {i} utan träff.", i) for i in range(MAX_PASSAGES)]
    late = make_passage("Samtycke ska alltid dokumenteras i akten av handläggaren.", MAX_PASSAGES)
    answer, citations = compose(content_terms("samtycke dokumenteras akten"), [*weak, late])
    assert "Samtycke" not in answer
    assert all(c.passage is not late for c in citations)


# --- the promises, over generated passages ---------------------------------------------------

WORDS = [
    "bistånd", "ansökan", "handläggaren", "socialnämnden", "samtycke", "försörjningsstöd",
    "överklagande", "åtgärd", "sekretess", "hyra", "beslut", "prövning", "kontoutdrag",
    "vägledning", "uppgifter", "rätt", "skäligt", "levnadsnivå", "vårdnadshavare", "räkning",
    "t.ex.", "bl.a.", "SoL", "4", "kap.", "1", "§", "enligt", "och", "för", "att", "är",
]  # fmt: skip


STARTS = ["Den", "Ett", "Även", "Ärendet", "Öppna", "Handläggaren"]


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(3, 12))
    return f"{rng.choice(STARTS)} {' '.join(words)}{rng.choice('..?!')}"


def paragraph(rng: random.Random) -> str:
    if rng.random() < 0.2:  # a list with its introduction
        items = [f"- {sentence(rng)}" for _ in range(rng.randint(1, 4))]
        return sentence(rng)[:-1] + ":\n\n" + "\n".join(items)
    sep = rng.choice([" ", " ", "\n"])  # "\n": a line wrapped as in a PDF
    return sep.join(sentence(rng) for _ in range(rng.randint(1, 5)))


@st.composite
def passage_sets(draw: st.DrawFn) -> list[Passage]:
    # Text comes from a seeded Random: drawing each word through Hypothesis is far slower.
    rng = random.Random(draw(st.integers(0, 2**32)))
    return [
        make_passage("\n\n".join(paragraph(rng) for _ in range(rng.randint(1, 3))), i)
        for i in range(draw(st.integers(1, 6)))
    ]


@settings(max_examples=300, deadline=None)
@given(passages=passage_sets(), question=st.lists(st.sampled_from(WORDS), max_size=5))
def test_compose_promises_hold_for_generated_passages(
    passages: list[Passage], question: list[str]
) -> None:
    answer, citations = compose(content_terms(" ".join(question)), passages)
    check_promises(answer, citations, passages)
    # compose numbers as renumber would, so the service's renumber changes nothing.
    assert renumber(answer, citations) == (answer, citations)


def test_a_bracketed_number_in_the_source_survives_renumbering() -> None:
    footnoted = make_passage(
        "Ett beslut om ekonomiskt bistånd kan överklagas enligt 16 kap. 3 § SoL [2]. "
        "Överklagandet ska ha kommit in inom tre veckor.",
        0,
    )
    passages = [footnoted, DOKUMENTATION]
    q = content_terms("Hur överklagas ett beslut om ekonomiskt bistånd?")
    answer, citations = renumber(*compose(q, passages))
    assert "16 kap. 3 § SoL [2]." in answer
    assert [c.passage.doc_id for c in citations] == ["doc0", "doc1"]


# --- composing by meaning (similarity from the sentence index) ------------------------------

DEFINITION = make_passage(
    "Mer information om arbetet med lex Sarah i socialtjänstens verksamheter\n\n"
    "Lex Sarah handlar om att den som är anställd inom socialtjänsten är skyldig att genast "
    "rapportera missförhållanden. Socialstyrelsen har tagit fram en handbok om lex Sarah. "
    "Beslut om ekonomiskt bistånd fattas inom tio arbetsdagar.",
)


def sims(**scores: float) -> dict[str, float]:
    """Similarity by a word each sentence contains (the real one comes from e5)."""
    out = {}
    for unit in answer_units(DEFINITION.text):
        for word, score in scores.items():
            if word in unit and not unit.startswith("Mer information"):
                out[" ".join(unit.split())] = score
    return out


def test_the_most_similar_sentence_is_the_answer_and_a_caption_never_is() -> None:
    similarity = sims(skyldig=0.90, handbok=0.84, arbetsdagar=0.80)
    answer, citations = compose(content_terms("Vad är lex Sarah?"), [DEFINITION], similarity,
                                question="Vad är lex Sarah?")  # fmt: skip
    assert answer.startswith("Lex Sarah handlar om att den som är anställd")
    assert "Mer information" not in answer and "handbok" not in answer  # below the margin
    check_promises(*renumber(answer, citations), [DEFINITION])


def test_a_number_question_gets_the_sentence_with_the_number() -> None:
    similarity = sims(skyldig=0.86, handbok=0.80, arbetsdagar=0.85)
    question = "Hur många dagar tar ett beslut om ekonomiskt bistånd?"
    answer, _ = compose(content_terms(question), [DEFINITION], similarity, question=question)
    assert answer.startswith("Beslut om ekonomiskt bistånd fattas inom tio arbetsdagar.")


def test_a_sentence_in_two_passages_is_quoted_once() -> None:
    twin = make_passage(DEFINITION.text, 1)
    similarity = sims(skyldig=0.9, handbok=0.895, arbetsdagar=0.7)
    answer, citations = compose(content_terms("Vad är lex Sarah?"), [DEFINITION, twin], similarity,
                                question="Vad är lex Sarah?")  # fmt: skip
    assert answer.count("skyldig att genast rapportera") == 1
    assert [c.passage for c in citations] == [DEFINITION]


TRELLEBORG = (
    "I Trelleborg ligger ekonomiskt bistånd under arbetsmarknadsnämnden och företrädare för "
    "kommunens verksamheter menar att arbetssättet innebär snabba processer och ett stort fokus "
    "på arbete. Dagen efter ansökan om ekonomiskt bistånd får den sökande både ett möte med en "
    "arbetsmarknadshandläggare och beslut om sin ansökan. Trelleborg har inget krav på "
    "socionomexamen."
)


def test_a_municipalitys_practice_in_a_report_is_told_as_that_municipalitys() -> None:
    # Reported as a general rule: "Dagen efter ansökan … får den sökande … beslut".
    report = parts.changed(make_passage(TRELLEBORG), kind="rapport", section=("Trelleborgsmodellen",))
    question = "Hur snabbt ska beslut om ekonomiskt bistånd fattas efter ansökan?"
    answer, _ = compose(content_terms(question), [report], question=question)
    assert "I Trelleborg – Dagen efter ansökan om ekonomiskt bistånd" in answer
    # National guidance is the rule; a sentence that names its place needs no attribution.
    guidance = parts.changed(report, kind="nationell_vagledning")
    assert "Trelleborg –" not in compose(content_terms(question), [guidance], question=question)[0]


def test_a_local_documents_sentences_name_its_municipality_once() -> None:
    plan = parts.changed(
        make_passage(
            "Varje nämnd ser över sin egen delegationsordning och förtydligar den. "
            "Delegationsordningen ses över varje år av nämnden."
        ),
        kind="kommunal_plan", municipality="Stockholm",
    )  # fmt: skip
    question = "Vem ser över delegationsordningen?"
    answer, citations = compose(content_terms(question), [plan], question=question)
    assert answer.startswith("I Stockholm – Varje nämnd ser över")
    assert answer.count("Stockholm") == 1 and "Delegationsordningen ses över" in answer
    assert citations[0].quote.startswith("Varje nämnd")  # the quote itself stays verbatim
    # An article is not one municipality's practice (one about Mullsjö tells of Jönköping too).
    article = parts.changed(plan, kind="artikel", municipality="Mullsjö")
    assert "Mullsjö" not in compose(content_terms(question), [article], question=question)[0]


@pytest.mark.parametrize(
    ("text", "section"),
    [
        ("I Sverige har kommunerna ansvaret. I Sverige gäller socialtjänstlagen.", ("Ansvar",)),
        ("I Socialstyrelsens handbok beskrivs arbetet. Socialstyrelsens handbok finns.", ("Handbok",)),
        ("I Trelleborg ligger ekonomiskt bistånd under arbetsmarknadsnämnden.", ("Organisation",)),
    ],
)
def test_no_municipality_is_made_up(text: str, section: tuple[str, ...]) -> None:
    assert local_place(parts.changed(make_passage(text), kind="rapport", section=section)) is None


EXPERIENCES = make_passage(
    "Kommuner och regioner har förmedlat följande erfarenheter om introduktion:\n\n"
    "• Den inledande arbetsplatsintroduktionen kan med fördel genomföras tillsammans med "
    "handläggare och annan personal från socialtjänstens olika delar.\n"
    "• Den nyanställde behöver ett nära och stukturerat stöd av chefer, erfarna kollegor och "
    "gärna en särskilt utsedd mentor, introduktör eller liknande.\n"
    "• Arbetsuppgifterna behöver anpassas efter den nyanställdes erfarenhet och möjlighet ges "
    "att gå bredvid erfarna kollegor."
)


def list_sims(item_scores: tuple[float, ...], whole: float) -> dict[str, float]:
    """The whole list as the sentence index holds it, and its items as they are embedded."""
    (unit,) = answer_units(EXPERIENCES.text)
    items = unit.split("\n")[1:]
    out = {" ".join(unit.split()): whole}
    for item, score in zip(items, item_scores, strict=True):
        out[" ".join(item.lstrip("• ").split())] = score
    return out


def test_a_list_is_given_whole_only_when_a_list_is_asked_for() -> None:
    similarity = list_sims((0.80, 0.82, 0.89), whole=0.86)
    question = "får man gå bredvid en erfaren kollega i början?"
    answer, citations = compose(content_terms(question), [EXPERIENCES], similarity, question)
    assert answer == (
        "Arbetsuppgifterna behöver anpassas efter den nyanställdes erfarenhet och möjlighet ges "
        "att gå bredvid erfarna kollegor. [1]"
    )
    check_promises(*renumber(answer, citations), [EXPERIENCES])
    question = "Vilka erfarenheter har kommuner av introduktion?"
    answer, _ = compose(content_terms(question), [EXPERIENCES], similarity, question)
    assert answer.startswith("Kommuner och regioner har förmedlat följande erfarenheter")
    assert answer.count("•") == 3


DECIDING = make_passage(
    "Socialnämnden ansvarar för att handläggarna har rätt kompetens. Handläggaren kan fatta "
    "vissa beslut själv enligt delegationsordningen, medan andra beslut fattas av chefen, en "
    "ledamot eller nämnden."
)


@pytest.mark.parametrize(
    ("question", "deciding_first"),
    [
        ("Får handläggaren fatta beslut själv?", True),
        ("Vem får fatta beslut själv, handläggaren?", False),  # reading order
    ],
)
def test_a_yes_no_question_gets_its_deciding_sentence_first(
    question: str, deciding_first: bool
) -> None:
    units = answer_units(DECIDING.text)
    similarity = {" ".join(units[0].split()): 0.93, " ".join(units[1].split()): 0.90}
    answer, citations = compose(content_terms(question), [DECIDING], similarity, question)
    assert answer.startswith("Handläggaren kan fatta vissa beslut") is deciding_first
    assert "Socialnämnden ansvarar" in answer
    check_promises(*renumber(answer, citations), [DECIDING])


def test_a_list_item_that_is_a_fragment_or_a_question_is_never_quoted_alone() -> None:
    passage = make_passage(
        "Följande tas upp under introduktionen:\n\n"
        "• färdigheter som kan tränas\n"
        "• De som byter tjänst, vad går de vidare till?\n"
        "• Färdighetsträning sker på arbetsplatsen genom praktisk övning och handledning."
    )
    (unit,) = answer_units(passage.text)
    items = [" ".join(line.lstrip("• ").split()) for line in unit.split("\n")[1:]]
    similarity = {" ".join(unit.split()): 0.80} | dict(zip(items, (0.95, 0.94, 0.85), strict=True))
    question = "hur ska man träna upp färdigheterna som ny?"
    answer, _ = compose(content_terms(question), [passage], similarity, question)
    assert answer.startswith("Färdighetsträning sker på arbetsplatsen")
    assert "kan tränas" not in answer and "vad går de vidare" not in answer
