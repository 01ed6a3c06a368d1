"""The domain glossary (corpus/ordlista.yaml) expands queries, and documents for abbreviations."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.glossary import Glossary, Rule
from assistant.lexical import LexicalIndex
from core.errors import ConfigError
from core.settings import ROOT, Settings

GLOSSARY_PATH = ROOT / "corpus" / "ordlista.yaml"


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load(GLOSSARY_PATH)


def test_the_settings_point_at_the_real_glossary() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.corpus_dir / settings.glossary_name == GLOSSARY_PATH


def test_supervision_question(glossary: Glossary) -> None:
    expanded = glossary.expand("vem har tillsyn över soc, IVO eller JO?")
    assert expanded.startswith("vem har tillsyn över soc, IVO eller JO?")
    for long_form in ("socialtjänsten", "Inspektionen för vård och omsorg", "Justitieombudsmannen"):
        assert long_form in expanded


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Vad säger SoL?", "socialtjänstlagen"),
        ("vad säger sol om detta", "socialtjänstlagen"),  # case-insensitive
        ("IVO:s granskning", "Inspektionen för vård och omsorg"),  # genitive after colon
        ("Gäller OSL här?", "offentlighets- och sekretesslagen"),
        ("lex Sarah", "rapportering av missförhållanden"),  # a phrase
        ("Lex sarah-anmälan", "rapportering av missförhållanden"),
        ("Hur söker man ekonomiskt bistånd?", "försörjningsstöd"),  # phrase to word
        ("ekonomiskt biståndet", "försörjningsstöd"),  # inflected
        ("ekonomiskt bistand", "försörjningsstöd"),  # without å
        ("Vad gäller för försörjningsstödet?", "ekonomiskt bistånd"),
        ("nar far man bryta sekretesen", "tystnadsplikt"),
        ("Vad gäller om tystnadsplikten?", "sekretess"),
        ("Hur ser introduktionen ut?", "yrkesintroduktion"),
        ("jag är ny i yrket", "nyanställd"),
        ("anmälningsplikt", "anmälningsskyldighet"),
        ("Vad är riksnormen?", "skälig levnadsnivå"),
        ("What are the confidentiality rules?", "sekretess"),
        ("social assistance for students", "ekonomiskt bistånd"),
        ("who does supervision?", "tillsyn"),
        ("advice for a new caseworker", "handläggare"),
        ("onboarding of social workers", "introduktion"),
        ("onboarding of social workers", "socialsekreterare"),
        ("is consent needed?", "samtycke"),
        ("reporting duty", "anmälningsskyldighet"),
    ],
)
def test_expansions(glossary: Glossary, query: str, expected: str) -> None:
    expanded = glossary.expand(query)
    assert expanded.startswith(query)
    assert expected in expanded[len(query) :]


@pytest.mark.parametrize(
    "query",
    [
        "Hur fungerar socialt arbete?",  # "soc" must not match inside words
        "sociala frågor och socialnämnden",
        "en vanlig fråga utan förkortningar",
        "",
        "🙂 2001:453 4 kap. 1 §",
    ],
)
def test_no_expansion(glossary: Glossary, query: str) -> None:
    assert glossary.expand(query) == query


def test_nothing_added_twice_or_already_said(glossary: Glossary) -> None:
    expanded = glossary.expand("SoL och socialtjänstlagen, SoL igen")
    assert expanded == "SoL och socialtjänstlagen, SoL igen"
    expanded = glossary.expand("SKL och SKR")
    assert expanded.count("Sveriges Kommuner och Regioner") == 1


def test_documents_get_long_forms_of_abbreviations_only(glossary: Glossary) -> None:
    text = "Enligt SoL utövar IVO tillsyn över socialtjänsten."
    expanded = glossary.expand_document(text)
    assert expanded.startswith(text)
    assert "socialtjänstlagen" in expanded and "Inspektionen för vård och omsorg" in expanded
    assert "granskning" not in expanded  # synonyms are for queries
    assert glossary.expand_document("Inga förkortningar här.") == "Inga förkortningar här."


def test_both_sides_meet_in_the_lexical_index(glossary: Glossary) -> None:
    chunks = [
        ("ivo", "Tillsyn › IVO\nIVO granskar verksamheten regelbundet."),
        ("sol", "Regelverk\nSocialtjänstlagen är en ramlag."),
        ("annat", "Introduktion\nNya handläggare får en mentor."),
    ]
    index = LexicalIndex((cid, glossary.expand_document(text)) for cid, text in chunks)
    hits = index.search(glossary.expand("Vad gör Inspektionen för vård och omsorg?"), 3)
    assert hits[0][0] == "ivo"
    hits = index.search(glossary.expand("Vad säger SoL?"), 3)
    assert hits[0][0] == "sol"


def test_every_entry_of_the_real_glossary_is_usable() -> None:
    data = yaml.safe_load(GLOSSARY_PATH.read_text(encoding="utf-8"))
    glossary = Glossary.from_data(data)
    expected = (
        len(data["förkortningar"])
        + sum(len(group) for group in data["synonymer"])
        + len(data["engelska"])
    )
    assert len(glossary) == expected
    for rule in glossary.rules:
        assert rule.key, rule
        assert glossary.expansions(rule.phrase, documents=rule.documents), rule.phrase


def test_from_data_with_all_sections() -> None:
    glossary = Glossary.from_data(
        {
            "förkortningar": {"ABC": ["första betydelsen", "andra betydelsen"]},
            "synonymer": [["bil", "fordon"]],
            "engelska": {"car": "bil"},
        }
    )
    assert glossary.expand("ABC") == "ABC första betydelsen andra betydelsen"
    assert glossary.expand("fordonet") == "fordonet bil"
    assert glossary.expand("a car") == "a car bil"
    assert Rule("ABC", ("första betydelsen", "andra betydelsen"), documents=True) in glossary.rules


@pytest.mark.parametrize(
    "data",
    [
        ["en lista"],
        {"okänt": {}},
        {"förkortningar": ["SoL", "OSL"]},
        {"förkortningar": {"SoL": None}},
        {"förkortningar": {"SoL": [""]}},
        {"förkortningar": {True: "ja"}},  # YAML reads an unquoted yes/no as a boolean
        {"synonymer": [["ensam"]]},
        {"synonymer": [[{"a": 1}, "b"]]},
        {"engelska": "confidentiality: sekretess"},
    ],
)
def test_malformed_data_is_a_config_error(data: object) -> None:
    with pytest.raises(ConfigError):
        Glossary.from_data(data)


def test_load_reports_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ordlista.yaml"
    path.write_text("förkortningar: [SoL\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ordlista.yaml"):
        Glossary.load(path)
    path.write_text("synonymer:\n  - [ensam]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="minst två ord"):
        Glossary.load(path)


def test_missing_or_empty_file_gives_an_empty_glossary(tmp_path: Path) -> None:
    assert len(Glossary.load(tmp_path / "saknas.yaml")) == 0
    (tmp_path / "tom.yaml").write_text("# bara kommentarer\n", encoding="utf-8")
    empty = Glossary.load(tmp_path / "tom.yaml")
    assert len(empty) == 0
    assert empty.expand("SoL") == "SoL"
