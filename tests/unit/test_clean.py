"""Each cleaning rule on short excerpts copied from the seed reports (with their artifacts)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.clean import (
    clean_pdf_pages,
    clean_pdf_text,
    collapse_blank_lines,
    drop_web_boilerplate,
    has_blank_line_artifact,
    join_hyphenated,
    normalize_unicode,
    restore_lost_bullets,
    split_footnotes,
    strip_footnote_refs,
)
from ingest.pages import number_pages, split_pages


def texts(lines: list[tuple[int | None, str]]) -> list[str]:
    return [text for _, text in lines]


# Förstudie, p. 7: an empty line between every line, hyphenation, a glued footnote number.
FORSTUDIE_P7 = (
    "Ekonomiskt bistånd 6 \n\n"
    "Introduktion  \n"
    "I denna rapport redovisas resultatet av en studie som fokuserat på det kommu-\n\n"
    "nala verksamhetsområdet ekonomiskt bistånd. I studien genomförs en forsk-\n\n"
    "ningsöversikt tillsammans med en kartläggning av övriga studier. \n\n"
    "Historiskt sett var mottagandet av ekonomiskt bistånd i Sverige högst i mitten \n\n"
    "på 1990-talet. År 1997 mottog 8,3 procent av befolkningen ekonomiskt bistånd \n\n"
    "någon gång under året.1 Därefter har nivåerna sänkts. \n\n"
    "                                                      \n\n"
    "1 Siffran avser andel biståndsmottagare av befolkningen i riket (inklusive barn). \n\n"
    "http://www.socialstyrelsen.se/statistik/statistikefteramne/ekonomisktbistand\n"
    " Satsningar på området ekonomiskt bistånd i syfte att främja den framtida kom-\n\n"
    "petensförsörjningen inom offentlig sektor blir relevant. \n\n"
    "Ekonomiskt bistånd 8 \n"
)


def test_a_report_excerpt_end_to_end() -> None:
    lines = clean_pdf_text(FORSTUDIE_P7)
    assert lines == [
        (7, "Introduktion"),
        (7, "I denna rapport redovisas resultatet av en studie som fokuserat på det "
            "kommunala verksamhetsområdet ekonomiskt bistånd. I studien genomförs en "
            "forskningsöversikt tillsammans med en kartläggning av övriga studier."),
        (7, "Historiskt sett var mottagandet av ekonomiskt bistånd i Sverige högst i mitten"),
        (7, "på 1990-talet. År 1997 mottog 8,3 procent av befolkningen ekonomiskt bistånd"),
        (7, "någon gång under året. Därefter har nivåerna sänkts."),
        (8, "Satsningar på området ekonomiskt bistånd i syfte att främja den framtida "
            "kompetensförsörjningen inom offentlig sektor blir relevant."),
        # The footnote waits for the sentence running over the page break to end.
        (7, ""),
        (7, "Fotnot 1: Siffran avser andel biståndsmottagare av befolkningen i riket (inklusive barn)."),
    ]  # fmt: skip


def test_blank_line_artifact_is_detected_and_removed() -> None:
    excerpt = "Socialtjänsten inkluderat äldreomsorgen har under det senaste \n\ndecenniet ställts inför \n\n \n\nNästa stycke. \n\nmer text"
    raw = excerpt.split("\n")
    assert has_blank_line_artifact(raw)
    assert collapse_blank_lines(raw, artifact=True) == [
        "Socialtjänsten inkluderat äldreomsorgen har under det senaste ",
        "decenniet ställts inför ",
        "",  # a whitespace-only line was the real paragraph break
        "Nästa stycke. ",
        "mer text",
    ]
    plain = ["Första raden.", "Andra raden.", "", "Nytt stycke.", "Mer."]
    assert not has_blank_line_artifact(plain)
    assert collapse_blank_lines(plain, artifact=False) == plain


@pytest.mark.parametrize(
    "first, second, joined",
    [
        ("studie som fokuserat på det kommu-", "nala verksamhetsområdet", ["studie som fokuserat på det kommunala verksamhetsområdet"]),
        ("med minst två års erfarenhet i den sociala barn-", "och ungdomsvården, dels", None),
        ("samarbete med Sveriges Kommuner och hälso-", "eller sjukvården", None),
        ("organisationer (exempelvis Socialstyrelsen, kommunernas FoU-", "enheter, fackförbund)", ["organisationer (exempelvis Socialstyrelsen, kommunernas FoU-enheter, fackförbund)"]),
        ("både Sveriges Kommuner och Landsting (SKL) och Göteborgs-", "regionens kommunalförbund", ["både Sveriges Kommuner och Landsting (SKL) och Göteborgsregionens kommunalförbund"]),
        ("Det motsatta resonemanget -", "att kvalitativt", None),
    ],
)  # fmt: skip
def test_end_of_line_hyphenation(first: str, second: str, joined: list[str] | None) -> None:
    result = texts(join_hyphenated([(1, first), (1, second)]))
    assert result == (joined if joined is not None else [first, second])


def test_real_hyphens_survive_in_the_joined_paragraph() -> None:
    excerpt = (
        "motsvarande 7,5 högskolepoäng, dels en påbyggnadsutbildning för \n\n"
        "socialsekreterare med minst två års erfarenhet i den sociala barn- \n\n"
        "och ungdomsvården, dels en ledarskapsutbildning för arbetsledare \n\n"
        "och chefer inom individ- och familjeomsorgen.  \n"
    )
    lines = texts(clean_pdf_text(excerpt))
    assert lines[1:3] == [
        "socialsekreterare med minst två års erfarenhet i den sociala barn-",
        "och ungdomsvården, dels en ledarskapsutbildning för arbetsledare",
    ]


def test_page_header_rapport_sida_is_dropped_and_numbers_the_pages() -> None:
    text = (
        " Inledning \n\nTexten börjar på sidan sex. \n\n \n\n \n\n Rapport \n\nSida 7 (30)  \n\n \n\n"
        "Nationellt perspektiv \n\nSedan ett antal år har problem uppmärksammats. \n"
    )
    pages = split_pages(normalize_unicode(text))
    assert [page for page, _ in pages] == [6, 7]
    lines = clean_pdf_text(text)
    assert "Rapport" not in texts(lines) and not any("Sida 7" in t for t in texts(lines))
    assert (7, "Nationellt perspektiv") in lines and (6, "Texten börjar på sidan sex.") in lines


def test_footers_need_to_repeat_to_count_as_footers() -> None:
    once = clean_pdf_text("Ekonomiskt bistånd 6 \n\nEn mening om bistånd. \n")
    assert texts(once) == ["Ekonomiskt bistånd 6", "", "En mening om bistånd."]  # may be text
    assert {page for page, _ in once} == {None}


def test_page_numbers_from_the_nearest_anchor() -> None:
    assert number_pages(5, []) == [None] * 5
    assert number_pages(5, [(2, 6)]) == [4, 5, 6, 7, 8]
    # Page breaks were missed between the anchors: each page trusts the anchor nearest to it.
    assert number_pages(6, [(0, 10), (5, 17)]) == [10, 11, 12, 15, 16, 17]


@given(
    st.integers(0, 40),
    st.lists(st.tuples(st.integers(-3, 43), st.integers(-5, 60)), max_size=10),
)
def test_page_numbers_are_those_of_the_nearest_anchor_by_definition(
    count: int, anchors: list[tuple[int, int]]
) -> None:
    # The linear walk (a 3000-page PDF has thousands of anchors) against the plain definition.
    def nearest(index: int) -> int | None:
        at, number = min(anchors, key=lambda a: (abs(a[0] - index), a[0]))
        return number + index - at if number + index - at > 0 else None

    expected = [nearest(i) for i in range(count)] if anchors else [None] * count
    assert number_pages(count, anchors) == expected


def test_footnote_text_after_the_rule_is_split_off() -> None:
    page = [
        "samtliga dialogcaféer deltog socialborgarrådet, äldre- och ",
        "personalborgarrådet samt socialförvaltningens förvaltningschef. ",
        "                                                 ",
        "1",
        " Dialogcafé är en dialog som sker i form av ett café som syftar till att skapa en ",
        "trygg och välkomnande känsla. ",
        "2 SKL 2017, ”Kvalitetssäkring av modell för arbetstyngdsmätning, en modell ",
        "utvecklad av Göteborgs stad” ",
        "http://www.example.se/rapport.pdf",
    ]
    body, notes = split_footnotes(page)
    assert body == page[:2]
    assert notes == [
        "Fotnot 1: Dialogcafé är en dialog som sker i form av ett café som syftar till att skapa en trygg och välkomnande känsla.",
        "Fotnot 2: SKL 2017, ”Kvalitetssäkring av modell för arbetstyngdsmätning, en modell utvecklad av Göteborgs stad”",
    ]  # fmt: skip


def test_footnote_number_alone_on_a_line_is_dropped() -> None:
    text = (
        "Under senare halvan av 2017 genomfördes i staden ett antal \n\ndialogcaféer\n1\n"
        " där närmare 500 socialsekreterare, \n\nbiståndshandläggare och chefer deltog. \n\n"
        "SKL har gjort en kvalitetssäkring av den s.k. Göteborgsmodellen\n3\n. \n\n"
        "Regelbunden mätning\n4\n, och rapportering till avdelningschef. \n"
    )
    joined = " ".join(texts(clean_pdf_text(text)))
    assert "dialogcaféer där närmare 500" in joined
    assert "\n1" not in joined and " 1 " not in joined and " 3" not in joined


@pytest.mark.parametrize(
    "before, after",
    [
        ("någon gång under året.1 Därefter har nivåerna sänkts.", "någon gång under året. Därefter har nivåerna sänkts."),
        ("mellan 2011 och 2014.2 Dock visar de", "mellan 2011 och 2014. Dock visar de"),
        ("där myndighetsutövning ingår.3 De frågor som behöver besvaras", "där myndighetsutövning ingår. De frågor som behöver besvaras"),
        ("med anställningens början”5. Det verkar alltså", "med anställningens början”. Det verkar alltså"),
        ("med formuleringen från Öppna jämförelser6, den", "med formuleringen från Öppna jämförelser, den"),
        ("en bred litteratursökning på refereegranskat9 material", "en bred litteratursökning på refereegranskat material"),
        ("motsvarar 8,3 procent år 2014 och SOSFS 2013:1.", "motsvarar 8,3 procent år 2014 och SOSFS 2013:1."),
        ("enligt 4 kap. 1 § SoL och 2 kap. 5 §.", "enligt 4 kap. 1 § SoL och 2 kap. 5 §."),
    ],
)  # fmt: skip
def test_glued_footnote_numbers(before: str, after: str) -> None:
    assert strip_footnote_refs(before) == after


def test_bullets_are_unified_and_lost_bullets_restored() -> None:
    text = (
        "Studien identifierar följande områden om särskilt viktiga att beakta vid ett \n\n"
        "framtida utvecklingsarbete kring ekonomiskt bistånd.  \n\n"
        "\uf0b7 Introduktionen av nyanställda socialsekreterare  \n\n\uf0b7 Fungerande samverkan  \n"
    )
    assert texts(clean_pdf_text(text))[2:] == [
        "• Introduktionen av nyanställda socialsekreterare",
        "• Fungerande samverkan",
    ]
    page = [
        "Utredaren ska bland annat se över och lämna förslag på: ",
        "",
        " socialtjänstens struktur och konstruktion, ",
        "",
        " socialtjänstens uppdrag, ",
    ]
    assert restore_lost_bullets(page)[2:] == [
        "• socialtjänstens struktur och konstruktion,",
        "",
        "• socialtjänstens uppdrag,",
    ]


def test_unicode_normalisation() -> None:
    decomposed = "Socialtja\u0308nsten"
    assert normalize_unicode(decomposed) == "Socialtjänsten"
    assert normalize_unicode("social\u00adtjänst") == "socialtjänst"
    assert normalize_unicode("4\u00a0kap.\u202f1\u00a0§") == "4 kap. 1 §"
    assert normalize_unicode("rad1\r\nrad2\rrad3") == "rad1\nrad2\nrad3"


def test_pages_from_pypdf_drop_running_headers_and_page_numbers() -> None:
    pages = [
        (n, f"Riktlinje för ekonomiskt bistånd\nText på sida {n} om bistånd.\nMer text här.\n{n}")
        for n in range(1, 5)
    ]
    lines = clean_pdf_pages(pages)
    assert texts(lines) == [
        line for n in range(1, 5) for line in (f"Text på sida {n} om bistånd.", "Mer text här.")
    ]
    assert [p for p, _ in lines] == [1, 1, 2, 2, 3, 3, 4, 4]


def test_web_boilerplate_is_dropped() -> None:
    page = [
        "Guide till yrkesintroduktionen",
        "",
        "Faktagranskad av: Socialstyrelsen Senast granskad:",
        "",
        "Källor:",
        "Ekonomiskt bistånd – Handbok för socialtjänsten. Socialstyrelsen 2021.",
        "",
        "Prenumerera på nyhetsbrevet!",
        "",
        "Håll dig uppdaterad genom att prenumerera på Kunskapsguidens nyhetsbrev – få nyheter och uppdateringar direkt i din inkorg.",
        "Vi använder kakor (cookies) för att webbplatsen ska fungera. Godkänn alla kakor",
        '""',
    ]
    assert drop_web_boilerplate(page) == [
        "Guide till yrkesintroduktionen", "", "", "Källor:",
        "Ekonomiskt bistånd – Handbok för socialtjänsten. Socialstyrelsen 2021.", "",
    ]  # fmt: skip
