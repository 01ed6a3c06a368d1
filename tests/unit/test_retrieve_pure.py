"""The pure parts of hybrid retrieval: reciprocal rank fusion and joining overlapping chunks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.retrieve import PRIOR_WEIGHT, RRF_K, favour, fuse, join_overlapping

# --- fuse ------------------------------------------------------------------------------------


def test_an_id_ranked_well_by_both_sides_wins() -> None:
    dense = [("sekretess", 0.91), ("samtycke", 0.88), ("överklagande", 0.80)]
    lexical = [("ansökan", 14.2), ("samtycke", 11.0), ("hyra", 3.0)]
    fused = fuse(dense, lexical)
    assert fused[0] == ("samtycke", pytest.approx(2 / (RRF_K + 2)))
    assert [cid for cid, _ in fused[1:3]] == ["ansökan", "sekretess"]  # tied: by id
    assert {cid for cid, _ in fused} == {"sekretess", "samtycke", "överklagande", "ansökan", "hyra"}


def test_fusion_uses_ranks_not_raw_scores() -> None:
    a = fuse([("x", 0.9), ("y", 0.1)], [("y", 1000.0), ("z", 1.0)])
    b = fuse([("x", 0.51), ("y", 0.50)], [("y", 2.0), ("z", 1.9)])
    assert [cid for cid, _ in a] == [cid for cid, _ in b] == ["y", "x", "z"]
    assert [s for _, s in a] == [s for _, s in b]


def test_ties_are_broken_by_id_whatever_the_order_of_the_sides() -> None:
    dense, lexical = [("ö-chunk", 0.9)], [("a-chunk", 7.0)]
    assert fuse(dense, lexical) == fuse(lexical, dense)
    assert [cid for cid, _ in fuse(dense, lexical)] == ["a-chunk", "ö-chunk"]


def test_fuse_of_one_ranking_keeps_its_order() -> None:
    ranking = [("c", 0.1), ("a", 0.2), ("b", 0.3)]  # ranks, not scores, decide
    assert [cid for cid, _ in fuse(ranking)] == ["c", "a", "b"]


@pytest.mark.parametrize("rankings", [(), ([],), ([], [])])
def test_fuse_of_nothing_is_empty(rankings: tuple[list[tuple[str, float]], ...]) -> None:
    assert fuse(*rankings) == []


ids = st.lists(st.sampled_from("abcdefghij"), unique=True, max_size=10)


@given(ids, ids)
def test_fusion_is_symmetric_sorted_and_complete(
    dense_ids: list[str], lexical_ids: list[str]
) -> None:
    dense = [(cid, 1.0 - i / 10) for i, cid in enumerate(dense_ids)]
    lexical = [(cid, 10.0 - i) for i, cid in enumerate(lexical_ids)]
    fused = fuse(dense, lexical)
    assert fused == fuse(lexical, dense)
    assert [cid for cid, _ in fused] == sorted(
        {*dense_ids, *lexical_ids}, key=lambda c: (-dict(fused)[c], c)
    )
    assert {cid for cid, _ in fused} == {*dense_ids, *lexical_ids}


# --- join_overlapping ------------------------------------------------------------------------

FIRST = "Socialnämnden ska pröva varje ansökan om ekonomiskt bistånd individuellt."
SECOND = "ansökan om ekonomiskt bistånd individuellt. Beslutet ska vara skriftligt och motiverat."


def test_join_drops_the_shared_overlap() -> None:
    assert join_overlapping(FIRST, SECOND) == (
        "Socialnämnden ska pröva varje ansökan om ekonomiskt bistånd individuellt. "
        "Beslutet ska vara skriftligt och motiverat."
    )


def test_join_without_overlap_is_a_paragraph_break() -> None:
    assert join_overlapping("Första stycket om hyra.  ", "\n Andra stycket om el.") == (
        "Första stycket om hyra.\n\nAndra stycket om el."
    )


def test_a_short_coincidental_overlap_is_not_trusted() -> None:
    # Twenty characters or fewer in common may be chance, not the chunker's overlap.
    first, second = "Beslutet gäller bistånd.", "bistånd. Nästa avsnitt börjar här."
    assert join_overlapping(first, second) == first + "\n\n" + second


def test_join_prefers_the_longest_overlap() -> None:
    repeat = "om ekonomiskt bistånd, "
    first = "Regler " + repeat * 3
    second = repeat * 3 + "slut."
    assert join_overlapping(first, second) == "Regler " + repeat * 3 + "slut."


def test_a_second_chunk_inside_the_first_adds_nothing() -> None:
    assert join_overlapping(FIRST, "varje ansökan om ekonomiskt bistånd individuellt.") == FIRST


@given(
    st.text(alphabet="XYZÅÖ", max_size=40),
    st.text(alphabet="abcåäö .\n", min_size=21, max_size=60),
    st.text(alphabet="XYZÅÖ", max_size=40),
)
def test_joining_split_text_with_its_overlap_restores_it(head: str, shared: str, tail: str) -> None:
    """Head and tail share no letter with the overlap, so no longer overlap can exist by chance."""
    assert join_overlapping(head + shared, shared + tail) == head + shared + tail


# --- favour (the sections a follow-up refers to) ---------------------------------------------


def test_favoured_ids_rise_as_if_ranked_by_one_more_side() -> None:
    fused = fuse([("a", 0.9), ("b", 0.8), ("c", 0.7), ("d", 0.6)])
    favoured = favour(fused, {"d", "c"})
    assert [cid for cid, _ in favoured] == ["c", "d", "a", "b"]
    scores = dict(favoured)
    assert scores["c"] == pytest.approx(1 / (RRF_K + 3) + PRIOR_WEIGHT / (RRF_K + 1))
    assert scores["a"] == dict(fused)["a"]  # the others keep their scores


def test_favouring_nothing_changes_nothing() -> None:
    fused = fuse([("a", 0.9), ("b", 0.8)], [("b", 3.0)])
    assert favour(fused, set()) == fused
    assert favour(fused, {"not-retrieved"}) == fused
