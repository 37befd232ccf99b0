"""Embedders: the local MiniLM model (semantics, batching, no network) and
OpenAI's API through a fake served on loopback; the registry that picks one."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from callcenter.knowledge.embeddings import PROVIDERS, Embedder, EmbeddingError, build_embedder, get_embedder
from callcenter.knowledge.embeddings import local as local_module
from callcenter.knowledge.embeddings.local import MiniLmEmbedder
from callcenter.knowledge.embeddings.openai import OpenAIEmbedder
from callcenter.settings import Settings
from tests.fakes.openai_server import API_KEY, fake_openai, fake_vector

# ---------------------------------------------------------------- local


@pytest.fixture(scope="module")
def minilm() -> MiniLmEmbedder:
    embedder = MiniLmEmbedder()
    embedder.warm_up()
    return embedder


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))


@pytest.mark.parametrize(
    ("query", "related", "unrelated"),
    [
        ("How do I get my money back?", "Refunds are paid to your card within 5 days.", "The office opens at 9am."),
        ("My parcel has not arrived yet", "Where is my package? Track your delivery here.", "Reset your password."),
        ("Can I change my password?", "To reset your password, open Settings and choose Security.",
         "We ship to 40 countries."),
        ("Do you deliver to Canada?", "We ship worldwide, including the United States and Canada.",
         "Invoices are sent by email."),
    ],
)
async def test_local_model_places_related_texts_closer(
    minilm: MiniLmEmbedder, query: str, related: str, unrelated: str
) -> None:
    q, r, u = await minilm.embed([query, related, unrelated])
    assert cosine(q, r) > cosine(q, u) + 0.15


async def test_local_vectors_are_unit_length_and_independent_of_the_batch(minilm: MiniLmEmbedder) -> None:
    assert (minilm.model_name, minilm.dimensions) == ("minilm-l6-v2-int8", 384)
    text = "Refunds take five business days."
    alone = (await minilm.embed([text]))[0]
    # Padded next to a much longer text, the mean over real tokens must not change.
    batched = (await minilm.embed(["A much longer text " * 30, text, "short"]))[1]
    assert len(alone) == 384
    assert np.linalg.norm(alone) == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(alone, batched, atol=1e-4)
    assert await minilm.embed([]) == []
    # Longer than the model's 256 word pieces: truncated, still a vector.
    assert len((await minilm.embed(["word " * 2000]))[0]) == 384


async def test_local_model_batches_many_texts_in_order(minilm: MiniLmEmbedder) -> None:
    texts = [f"Question number {i} about order {i * 7}" for i in range(70)]
    vectors = await minilm.embed(texts)
    assert len(vectors) == 70
    assert np.allclose(vectors[42], (await minilm.embed([texts[42]]))[0], atol=1e-4)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise OSError("network access is not allowed in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts


async def test_local_model_loads_and_runs_without_any_network(no_network: list[str]) -> None:
    local_module._load.cache_clear()
    embedder = MiniLmEmbedder()
    started = time.monotonic()
    vectors = await embedder.embed(["Nothing is downloaded at run time."])
    assert len(vectors[0]) == 384
    assert no_network == []
    assert time.monotonic() - started < 30


def test_local_model_files_come_from_the_pinned_wheels() -> None:
    assert local_module.default_model_path().name == "model.onnx"
    assert local_module.default_tokenizer_path().name == "tokenizer.json"


def test_a_missing_model_file_is_reported(tmp_path: Any) -> None:
    embedder = MiniLmEmbedder(tmp_path / "missing.onnx", tmp_path / "tokenizer.json")
    with pytest.raises(EmbeddingError, match="missing"):
        embedder.warm_up()


# ---------------------------------------------------------------- OpenAI (fake on loopback)


def openai(base_url: str, **overrides: Any) -> OpenAIEmbedder:
    api_key = overrides.pop("api_key", API_KEY)
    options: dict[str, Any] = {"base_url": base_url, "timeout": 2.0, "max_retries": 2, "backoff_base": 0.01}
    options.update(overrides)
    return OpenAIEmbedder(api_key, **options)


async def test_openai_client_sends_the_documented_request_and_orders_by_index() -> None:
    with fake_openai() as (base_url, script):
        embedder = openai(base_url, batch_size=3)
        texts = ["first", "second", "", "fourth", "fifth"]
        vectors = await embedder.embed(texts)
    assert (embedder.model_name, embedder.dimensions) == ("text-embedding-3-small", 1536)
    assert len(vectors) == 5
    assert vectors[0] == pytest.approx(fake_vector("first", 1536))
    assert vectors[4] == pytest.approx(fake_vector("fifth", 1536))
    # Empty strings are refused by the API: sent as a space.
    assert vectors[2] == pytest.approx(fake_vector(" ", 1536))
    assert [r.body["input"] for r in script.requests] == [["first", "second", " "], ["fourth", "fifth"]]
    assert all(r.path == "/v1/embeddings" for r in script.requests)
    assert all(r.auth == f"Bearer {API_KEY}" for r in script.requests)
    assert all(r.body["model"] == "text-embedding-3-small" for r in script.requests)
    assert all(r.body["encoding_format"] == "float" for r in script.requests)


async def test_openai_client_retries_rate_limits_and_server_errors() -> None:
    with fake_openai() as (base_url, script):
        script.failures = [
            (429, {"retry-after": "0.05"}, {"error": {"message": "Rate limit reached", "type": "requests",
                                                      "param": None, "code": "rate_limit_exceeded"}}),
            (503, {}, {"error": {"message": "The server is overloaded", "type": "server_error", "param": None,
                                 "code": None}}),
        ]
        vectors = await openai(base_url).embed(["hello"])
    assert vectors[0] == pytest.approx(fake_vector("hello", 1536))
    assert len(script.requests) == 3


async def test_openai_client_gives_up_with_a_readable_reason() -> None:
    overloaded = (500, {}, {"error": {"message": "The server had an error", "type": "server_error", "param": None,
                                      "code": None}})
    with fake_openai() as (base_url, script):
        script.failures = [overloaded] * 5
        with pytest.raises(EmbeddingError) as failure:
            await openai(base_url).embed(["hello"])
    assert failure.value.retryable
    assert "trouble" in failure.value.message and "The server had an error" in failure.value.message
    assert len(script.requests) == 3  # the first try and two retries


async def test_openai_client_does_not_retry_a_refused_key() -> None:
    with fake_openai() as (base_url, script), pytest.raises(EmbeddingError) as failure:
        await openai(base_url, api_key="sk-wrong").embed(["hello"])
    assert not failure.value.retryable
    assert "API key was refused" in failure.value.message
    assert len(script.requests) == 1


async def test_openai_client_times_out_and_retries() -> None:
    with fake_openai() as (base_url, script):
        script.delay = 0.5
        with pytest.raises(EmbeddingError) as failure:
            await openai(base_url, timeout=0.1, max_retries=1).embed(["slow"])
    assert failure.value.retryable
    assert "did not answer" in failure.value.message
    assert len(script.requests) == 2


async def test_openai_client_rejects_a_wrong_shape() -> None:
    with fake_openai() as (base_url, _), pytest.raises(EmbeddingError, match="wrong shape"):
        await openai(base_url, model="text-embedding-3-large", dimensions=1536).embed(["x"])


async def test_openai_without_a_key_says_so() -> None:
    with pytest.raises(EmbeddingError, match="no OpenAI API key"):
        await OpenAIEmbedder("").embed(["x"])


# ---------------------------------------------------------------- registry


def test_the_registry_picks_the_configured_provider_once_per_configuration() -> None:
    local = get_embedder(Settings(embedding_provider="local"))
    assert isinstance(local, MiniLmEmbedder)
    assert get_embedder(Settings(embedding_provider="local")) is local
    remote = get_embedder(Settings(embedding_provider="openai", openai_api_key="k"))
    assert isinstance(remote, OpenAIEmbedder)
    assert (remote.model_name, remote.dimensions) == ("text-embedding-3-small", 1536)
    assert set(PROVIDERS) == {"local", "openai"}
    for provider in PROVIDERS:
        assert isinstance(build_embedder(Settings(embedding_provider=provider)), Embedder)


def test_an_unknown_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="embedding_provider"):
        Settings(embedding_provider="bogus")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown embedding provider"):
        build_embedder(Settings.model_construct(embedding_provider="bogus"))
