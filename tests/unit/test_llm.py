"""build_chat_model: the right LangChain class, pointed only at the configured address, and
Swedish errors for a wrong or unreachable address."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from langchain_ollama import ChatOllama
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from assistant.llm import build_chat_model
from core.errors import LLMError
from tests.conftest import make_settings


class _Handler(BaseHTTPRequestHandler):
    status = 200
    body: dict = {"object": "list", "data": [{"id": "local"}]}

    def do_GET(self) -> None:  # noqa: N802
        payload = json.dumps(self.body).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", handler
    server.shutdown()


def closed_port() -> int:
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_port
    server.server_close()
    return port


def test_openai_compatible_server(tmp_path: Path, fake_server) -> None:
    url, _ = fake_server
    settings = make_settings(
        tmp_path,
        llm_provider="openai",
        llm_base_url=url + "/v1/",
        llm_model="local",
        llm_max_tokens=123,
        llm_api_key="hemlig",
    )
    model = build_chat_model(settings)
    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == url + "/v1"
    assert model.streaming and model.max_tokens == 123 and model.temperature == 0.0
    assert (
        model.http_client is not None and not model.http_client.trust_env
    )  # no proxy for loopback
    assert isinstance(model.openai_api_key, SecretStr)
    assert model.openai_api_key.get_secret_value() == "hemlig"


def test_unreachable_server_is_a_swedish_llm_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(LLMError, match="Kan inte nå språkmodellservern.*KG_LLM_BASE_URL"):
        build_chat_model(make_settings(tmp_path, llm_base_url=url))


def test_rejected_key_is_named(tmp_path: Path, fake_server) -> None:
    url, handler = fake_server
    handler.status = 401
    with pytest.raises(LLMError, match="KG_LLM_API_KEY"):
        build_chat_model(make_settings(tmp_path, llm_base_url=url + "/v1"))


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://host/v1", "http:///v1", ""])
def test_malformed_address(tmp_path: Path, url: str) -> None:
    with pytest.raises(LLMError, match="ingen giltig adress"):
        build_chat_model(make_settings(tmp_path, llm_base_url=url), probe=False)


def test_ollama_uses_the_root_address_and_checks_the_model(tmp_path: Path, fake_server) -> None:
    url, handler = fake_server
    handler.body = {"models": [{"name": "qwen2.5:7b"}]}
    model = build_chat_model(
        make_settings(
            tmp_path, llm_provider="ollama", llm_base_url=url + "/v1", llm_model="qwen2.5:7b"
        )
    )
    assert isinstance(model, ChatOllama) and model.base_url == url
    with pytest.raises(LLMError, match="ollama pull llama3"):
        build_chat_model(
            make_settings(tmp_path, llm_provider="ollama", llm_base_url=url, llm_model="llama3")
        )


def test_gguf_with_a_missing_file(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, llm_provider="gguf", llm_gguf_path=tmp_path / "x.gguf")
    with pytest.raises(LLMError, match="finns inte"):
        build_chat_model(settings)
