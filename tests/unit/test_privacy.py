"""Personal data is masked in questions and logs; legal references and years are not."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.privacy import (
    EPOST,
    NAMN,
    PERSONNUMMER,
    SAMORDNINGSNUMMER,
    TELEFONNUMMER,
    MaskResult,
    PersonalDataFilter,
    luhn_ok,
    mask_personal_data,
    privacy_notice,
)


def check_digit(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("811218-9876", PERSONNUMMER),
        ("8112189876", PERSONNUMMER),
        ("19811218-9876", PERSONNUMMER),
        ("198112189876", PERSONNUMMER),
        ("811218+9876", PERSONNUMMER),  # 100 years or older
        ("811218 9876", PERSONNUMMER),
        ("811218-9875", PERSONNUMMER),  # wrong check digit: still someone's number
        ("20050229-1234", None),  # no 29 February in 2005
        ("040229-1234", PERSONNUMMER),  # 2004 was a leap year
        ("0501011233", PERSONNUMMER),  # ten bare digits from 0, right check digit
        ("811278-9870", SAMORDNINGSNUMMER),  # day + 60
        ("19811278-9870", SAMORDNINGSNUMMER),
        ("701063-2391", SAMORDNINGSNUMMER),
        ("070-123 45 67", TELEFONNUMMER),
        ("070-1234567", TELEFONNUMMER),
        ("0701234567", TELEFONNUMMER),  # fails the Luhn check: a mobile number
        ("070 123 45 67", TELEFONNUMMER),
        ("08-123 456 78", TELEFONNUMMER),
        ("08-12345678", TELEFONNUMMER),
        ("08/123 456 78", TELEFONNUMMER),
        ("031-12 34 56", TELEFONNUMMER),
        ("0771-123 456", TELEFONNUMMER),
        ("+46 70 123 45 67", TELEFONNUMMER),
        ("+46701234567", TELEFONNUMMER),
        ("+46 (0)70-123 45 67", TELEFONNUMMER),
        ("0046 8 123 456 78", TELEFONNUMMER),
        # Dashes, spaces, full-width digits and invisible characters as typed or pasted.
        ("850312\u20131234", PERSONNUMMER),  # en dash
        ("850312\u20141234", PERSONNUMMER),  # em dash
        ("850312\u22121234", PERSONNUMMER),  # minus sign
        ("850312\u20111234", PERSONNUMMER),  # non-breaking hyphen
        ("850312\u00a01234", PERSONNUMMER),  # NBSP
        ("850312 - 1234", PERSONNUMMER),
        ("850312\u202f\u2013\u202f1234", PERSONNUMMER),
        ("85 03 12-1234", PERSONNUMMER),
        ("1985 03 12-1234", PERSONNUMMER),
        ("８５０３１２－１２３４", PERSONNUMMER),  # full-width
        ("８５０３１２-1234", PERSONNUMMER),
        ("85\u200b0312-12\u200d34", PERSONNUMMER),  # zero-width space and joiner
        ("1985\u00ad0312\ufeff1234", PERSONNUMMER),  # soft hyphen, BOM
        ("850372\u20131234", SAMORDNINGSNUMMER),
        ("070\u2011123 45 67", TELEFONNUMMER),
        ("070\u2013123\u00a045\u00a067", TELEFONNUMMER),
        ("070.123.45.67", TELEFONNUMMER),
        ("08.123.456.78", TELEFONNUMMER),
        ("(08) 123 456 78", TELEFONNUMMER),
        ("(08)-123 456 78", TELEFONNUMMER),
        ("(0771) 12 34 56", TELEFONNUMMER),
        ("070 - 123 45 67", TELEFONNUMMER),
        ("070 1234567", TELEFONNUMMER),
        ("0046 70 123 45 67", TELEFONNUMMER),
        ("+46\u00a070\u00a0123\u00a045\u00a067", TELEFONNUMMER),
        ("＋４６ ７０ １２３ ４５ ６７", TELEFONNUMMER),
        ("07\u200b0-12\u200c3 45 67", TELEFONNUMMER),
        ("anna.svensson@exempel.se", EPOST),
        ("anna.svensson@exempel\u200b.se", EPOST),
        ("Anna.Svensson+akt@kommun.goteborg.se", EPOST),
        ("åsa.öberg@kommun.se", EPOST),
    ],
)
def test_masks_each_form(value: str, kind: str | None) -> None:
    text = f"Klienten ({value}) hörde av sig."
    result = mask_personal_data(text)
    if kind is None:
        assert result == MaskResult(text, ())
        return
    assert result.text == f"Klienten ([{kind}]) hörde av sig."
    assert result.found == (kind,)


@pytest.mark.parametrize(
    "text",
    [
        "Enligt 4 kap. 1 § SoL har den enskilde rätt till bistånd.",
        "Socialtjänstlagen (2001:453) och förvaltningslagen (2017:900).",
        "Se SOSFS 2013:1 och SOSFS 2014:5.",
        "År 2016 och 2018, under perioden 2014-2017 och 1980–2012.",
        "Sida 7 (30)",
        "Beslutet fattades 2016-05-20 och gällde till 2018-12-31.",
        "ISBN 978-91-7585-323-9",
        "0,5 procent av 1 250 000 kronor",
        "Dnr 2019/123-1.2.3",
        "Mötet 13.00–15.30 i rum 204, tel. kl 8-12.",
        "7 webbplats 2016-05-20. 30 % av 45 personer",
        "https://www.skl.se/download/18.52448df015309d5740849938/145622054",
        "dir 2017:39 och SFS 2001:453",
        "SFS 2001:453, 4 kap. 1 § och 2 kap. 3\u00a0§",
        "Avgiften är 1 234 kr, eller 1\u00a0234\u00a0kr, eller 1\u202f250\u202f000 kronor.",
        "Beslutet gäller från 2024-01-01, 2024\u201101\u201101 och ２０２４－０１－０１.",
        "Se prop. 2023/24:123 s. 45 och bet. 2023/24:SoU12, sidorna 112\u2013118.",
        "Öppet kl. 08.30\u201316.30, lunch 12\u201313, telefontid 08\u201310.",
        "Mötet den 01.02.2024 kl. 09.00 \u2013 11.30.",
        "Under åren 1985 \u2013 2012 och 2001\u20132009.",
    ],
)
def test_legal_references_dates_and_numbers_are_not_masked(text: str) -> None:
    assert mask_personal_data(text) == MaskResult(text, ())


def test_several_kinds_in_one_question() -> None:
    text = "Får jag ringa 070-123 45 67 om 19811218-9876, eller maila a.b@kommun.se?"
    result = mask_personal_data(text)
    assert result.text == "Får jag ringa [telefonnummer] om [personnummer], eller maila [e-post]?"
    assert result.found == (PERSONNUMMER, TELEFONNUMMER, EPOST)


def test_text_around_a_number_is_kept_as_typed() -> None:
    around = ("Klienten \u2013 ", " \u2013 ringde\u00a0från ", " i går.")
    numbers = ("８５０３１２\u20131234", "070\u2011123 45 67")
    text = around[0] + numbers[0] + around[1] + numbers[1] + around[2]
    expected = around[0] + "[personnummer]" + around[1] + "[telefonnummer]" + around[2]
    assert mask_personal_data(text).text == expected


def test_numbers_glued_together_are_all_masked_at_once() -> None:
    text = "0701234567(08) 123 456 78 och a.b@kommun.sea.b@kommun.se"
    result = mask_personal_data(text)
    assert result.text == "[telefonnummer][telefonnummer] och [e-post][e-post]"
    assert mask_personal_data(result.text) == MaskResult(result.text, ())


def test_phone_groups_do_not_swallow_following_numbers() -> None:
    result = mask_personal_data("Ring 070-123 45 67 20 gånger")
    assert result.text == "Ring [telefonnummer] 20 gånger"


def test_luhn() -> None:
    assert luhn_ok("8112189876")
    assert not luhn_ok("8112189875")


@st.composite
def personnummer(draw: st.DrawFn) -> tuple[str, str]:
    """A valid personnummer or samordningsnummer in any written form, and its kind."""
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today()))
    coordination = draw(st.booleans())
    day = born.day + (60 if coordination else 0)
    serial = draw(st.integers(0, 999))
    nine = f"{born:%y%m}{day:02d}{serial:03d}"
    ten = nine + check_digit(nine)
    century = f"{born.year // 100:02d}"
    old = dt.date.today().year - born.year >= 100
    form = draw(st.sampled_from(["short-dash", "short", "long-dash", "long", "space"]))
    value = {
        "short-dash": f"{ten[:6]}{'+' if old else '-'}{ten[6:]}",
        "short": ten,
        "long-dash": f"{century}{ten[:6]}-{ten[6:]}",
        "long": century + ten,
        "space": f"{ten[:6]} {ten[6:]}",
    }[form]
    return value, SAMORDNINGSNUMMER if coordination else PERSONNUMMER


@given(personnummer(), st.sampled_from(["", "Pnr: ", "personnummer ", "(", "klient "]))
def test_any_valid_personnummer_is_masked(number: tuple[str, str], before: str) -> None:
    value, kind = number
    result = mask_personal_data(f"{before}{value}, se akten.")
    assert value not in result.text
    assert f"[{kind}]" in result.text
    assert result.found == (kind,)


GROUPINGS = {5: (3, 2), 6: (2, 2, 2), 7: (3, 2, 2), 8: (3, 3, 2)}


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    """A Swedish number as people write it: area code, then the subscriber number."""
    area, lengths = draw(
        st.sampled_from(
            [("070", [7]), ("073", [7]), ("08", [7, 8]), ("031", [6, 7]), ("0771", [6])]
        )
    )
    length = draw(st.sampled_from(lengths))
    digits = "".join(str(draw(st.integers(0, 9))) for _ in range(length))
    groups, at = [], 0
    for size in GROUPINGS[length]:
        groups.append(digits[at : at + size])
        at += size
    style = draw(st.sampled_from(["dash", "spaces", "bare", "international"]))
    if style == "bare":
        return area + digits
    if style == "international":
        return f"+46 {area[1:]} {' '.join(groups)}"
    return f"{area}{'-' if style == 'dash' else ' '}{' '.join(groups)}"


@given(phone_numbers())
def test_swedish_phone_numbers_are_masked(number: str) -> None:
    result = mask_personal_data(f"Ring {number} i morgon")
    # Ten bare digits that pass the Luhn check read as a personnummer; masked either way.
    kinds = (TELEFONNUMMER, PERSONNUMMER, SAMORDNINGSNUMMER)
    assert result.text in {f"Ring [{kind}] i morgon" for kind in kinds}, number


@given(st.integers(1, 30), st.integers(1, 80), st.integers(1900, 2030), st.integers(1, 9999))
def test_references_are_never_masked(chapter: int, section: int, year: int, number: int) -> None:
    text = f"{chapter} kap. {section} § SoL, SFS {year}:{number}, SOSFS {year}:{number % 50}, år {year}"
    assert mask_personal_data(text).found == ()


def test_privacy_notice() -> None:
    assert privacy_notice((PERSONNUMMER,)) == (
        "Din fråga innehöll ett personnummer. Det har maskerats innan frågan behandlades, "
        "eftersom uppgifter om enskilda omfattas av sekretess. Skriv aldrig personuppgifter i "
        "frågor."
    )
    several = privacy_notice((EPOST, PERSONNUMMER, TELEFONNUMMER))
    assert several.startswith(
        "Din fråga innehöll ett personnummer, ett telefonnummer och en e-postadress. De har maskerats"
    )
    assert "ett samordningsnummer" in privacy_notice([SAMORDNINGSNUMMER])
    assert privacy_notice(()) == ""


@pytest.fixture
def captured() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("test_privacy.captured")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_log_filter_masks_messages_and_arguments(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("fråga: %s", "gäller det 811218-9876?")
    logger.warning("ring 070-123 45 67")
    logger.info("inget känsligt i %d frågor", 3)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "fråga: gäller det [personnummer]?",
        "ring [telefonnummer]",
        "inget känsligt i 3 frågor",
    ]


def test_log_filter_masks_tracebacks(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    try:
        raise ValueError("okänd klient 19811218-9876")
    except ValueError:
        logger.exception("misslyckades")
    output = stream.getvalue()
    assert "9876" not in output and "[personnummer]" in output


def test_log_filter_keeps_malformed_records() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s", ("bara ett",), None)
    assert PersonalDataFilter().filter(record) is True


def test_names_are_masked_and_told() -> None:
    result = mask_personal_data(
        "Min klient Anna Svensson 811218-9876 vill veta om lex Sarah gäller."
    )
    assert result.text == "Min klient [namn] [personnummer] vill veta om lex Sarah gäller."
    assert result.found == (PERSONNUMMER, NAMN)
    assert privacy_notice(result.found).startswith(
        "Din fråga innehöll ett personnummer och ett namn. De har maskerats"
    )
