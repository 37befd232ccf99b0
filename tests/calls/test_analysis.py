"""Live call analysis: the offline analyzer (VADER and the real MiniLM model),
the sentiment trend, the registry, and the OpenAI analyzer against a fake
Chat Completions endpoint on loopback, including every way it falls back."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from callcenter.calls.analysis import ANALYZERS, SentimentTrend, TurnAnalysis, build_call_analyzer, sentiment_label
from callcenter.calls.analysis.chat import ChatCompletions
from callcenter.calls.analysis.local import LocalCallAnalyzer, vader_score
from callcenter.calls.analysis.openai import OpenAICallAnalyzer
from callcenter.knowledge.embeddings import Embedder, EmbeddingError, get_embedder
from callcenter.settings import Settings
from tests.calls.conftest import agent_settings
from tests.fakes.openai_server import API_KEY, Reply, Script, error, fake_openai


class CountingEmbedder:
    """The real embedder, counting what it is asked to embed."""

    def __init__(self, inner: Embedder, *, fail: bool = False) -> None:
        self._inner = inner
        self.calls: list[list[str]] = []
        self._fail = fail

    @property
    def model_name(self) -> str:
        return self._inner.model_name

    @property
    def dimensions(self) -> int:
        return self._inner.dimensions

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        if self._fail:
            raise EmbeddingError("the embedding service is down", retryable=True)
        return await self._inner.embed(texts)


@pytest.fixture(scope="module")
def local() -> LocalCallAnalyzer:
    return LocalCallAnalyzer(get_embedder(Settings(embedding_provider="local")))


# ---------------------------------------------------------------- offline


@pytest.mark.parametrize(
    ("utterance", "intent", "topic"),
    [
        ("Why was I charged twice this month?", "billing question", "billing and payments"),
        ("I need to change the email on my account", None, "account changes"),
        ("My internet is not working since yesterday", "report a problem", "technical problem"),
        ("I want to cancel my subscription", "cancel service", None),
        ("Where is my package? It hasn't arrived", None, "orders and shipping"),
        ("How do I update my credit card number?", None, "payment details"),
        ("I want my money back for this broken blender", None, "returns and refunds"),
        ("The weather is nice", None, "general question"),  # no topic fits: the catch-all label
    ],
)
async def test_local_intent_and_topic_are_the_nearest_workspace_labels(
    local: LocalCallAnalyzer, utterance: str, intent: str | None, topic: str | None
) -> None:
    result = await local.analyze(utterance, [], agent_settings())
    if intent is not None:
        assert result.intent == intent
    if topic is not None:
        assert result.topic == topic


@pytest.mark.parametrize(
    ("utterance", "label", "low", "high"),
    [
        ("This is terrible, I am furious and fed up with your awful service!", "negative", -1.0, -0.6),
        ("Thank you so much, that is really great and helpful!", "positive", 0.6, 1.0),
        ("I am calling about order 12345.", "neutral", -0.05, 0.05),
    ],
)
async def test_local_sentiment_is_vaders_compound_score(
    local: LocalCallAnalyzer, utterance: str, label: str, low: float, high: float
) -> None:
    result = await local.analyze(utterance, [], agent_settings())
    assert result.sentiment_label == label
    assert low <= result.sentiment_score <= high
    assert result.sentiment_score == pytest.approx(vader_score(utterance))


@pytest.mark.parametrize("utterance", ["Operator!", "I'd like to speak with a representative about my bill"])
async def test_a_request_for_a_person_is_the_person_intent(local: LocalCallAnalyzer, utterance: str) -> None:
    settings = agent_settings()
    settings.intent_labels = ["billing question", "escalate to a human agent", "other"]
    assert (await local.analyze(utterance, [], settings)).intent == "escalate to a human agent"


async def test_without_a_person_label_a_request_for_a_person_gets_the_nearest_label(
    local: LocalCallAnalyzer,
) -> None:
    settings = agent_settings()
    settings.intent_labels = ["billing question", "cancel service"]
    result = await local.analyze("I'd like to speak with a representative about my bill", [], settings)
    assert result.intent == "billing question"


async def test_small_talk_keeps_the_topic_of_the_callers_last_question(local: LocalCallAnalyzer) -> None:
    history = ["Where is my package? It hasn't arrived", "ok"]
    result = await local.analyze("Thanks!", history, agent_settings())
    assert result.topic == "orders and shipping"
    assert result.sentiment_label == "positive"  # the sentiment is of the utterance itself


async def test_label_embeddings_are_computed_once_per_label_set() -> None:
    embedder = CountingEmbedder(get_embedder(Settings(embedding_provider="local")))
    analyzer = LocalCallAnalyzer(embedder)
    settings = agent_settings()
    await analyzer.analyze("Where is my parcel?", [], settings)
    await analyzer.analyze("I want a refund", [], settings)
    label_calls = [call for call in embedder.calls if len(call) > 1]
    assert label_calls == [settings.intent_labels, settings.topic_labels]
    assert len(embedder.calls) == 4  # two label sets, then one utterance per turn

    settings.topic_labels = ["shipping", "refunds"]
    assert (await analyzer.analyze("I want a refund", [], settings)).topic == "refunds"
    assert [call for call in embedder.calls if len(call) > 1][-1] == ["shipping", "refunds"]
    assert len(embedder.calls) == 6


async def test_when_embedding_fails_labels_are_matched_by_their_words() -> None:
    embedder = CountingEmbedder(get_embedder(Settings(embedding_provider="local")), fail=True)
    result = await LocalCallAnalyzer(embedder).analyze("I have a billing question about refunds", [], agent_settings())
    assert (result.intent, result.topic) == ("billing question", "returns and refunds")
    unrelated = await LocalCallAnalyzer(embedder).analyze("Hmm", [], agent_settings())
    assert (unrelated.intent, unrelated.topic) == ("other", "general question")


# ---------------------------------------------------------------- trend and labels


@pytest.mark.parametrize(
    ("scores", "trends"),
    [
        ([0.0], ["steady"]),
        ([0.0, -0.5, -0.8], ["steady", "worsening", "worsening"]),
        ([-0.6, -0.2, 0.4], ["steady", "improving", "improving"]),
        ([0.1, 0.15, 0.1, 0.12], ["steady", "steady", "steady", "steady"]),
        # Against the mean of the last three: one good turn after three bad ones is an improvement.
        ([-0.9, -0.9, -0.9, -0.5], ["steady", "steady", "steady", "improving"]),
    ],
)
def test_sentiment_trend(scores: list[float], trends: list[str]) -> None:
    trend = SentimentTrend()
    assert [trend.add(score) for score in scores] == trends


def test_sentiment_label_thresholds() -> None:
    assert [sentiment_label(s) for s in (-0.05, -0.04, 0.0, 0.04, 0.05)] == [
        "negative",
        "neutral",
        "neutral",
        "neutral",
        "positive",
    ]


def test_turn_analysis_refuses_scores_outside_minus_one_to_one() -> None:
    with pytest.raises(ValueError):
        TurnAnalysis(intent="other", topic="general question", sentiment_label="negative", sentiment_score=-1.5)


# ---------------------------------------------------------------- registry


@pytest.mark.parametrize(
    ("options", "kind"),
    [
        ({"call_analysis_provider": "local"}, LocalCallAnalyzer),
        ({"call_analysis_provider": "openai", "openai_api_key": API_KEY}, OpenAICallAnalyzer),
        ({"call_analysis_provider": "", "voice_provider": "offline", "openai_api_key": API_KEY}, LocalCallAnalyzer),
        ({"call_analysis_provider": "", "voice_provider": "", "openai_api_key": ""}, LocalCallAnalyzer),
        ({"call_analysis_provider": "", "voice_provider": "", "openai_api_key": API_KEY}, OpenAICallAnalyzer),
        ({"call_analysis_provider": "", "voice_provider": "aws", "openai_api_key": API_KEY}, OpenAICallAnalyzer),
    ],
)
def test_registry_follows_configuration(options: dict[str, Any], kind: type) -> None:
    assert isinstance(build_call_analyzer(Settings(**options)), kind)
    assert set(ANALYZERS) == {"local", "openai"}


# ---------------------------------------------------------------- OpenAI (fake on loopback)


@pytest.fixture
def chat() -> Iterator[tuple[str, Script]]:
    with fake_openai() as served:
        yield served


def openai_analyzer(base_url: str, local: LocalCallAnalyzer, *, timeout: float = 2.0, key: str = API_KEY) -> Any:
    return OpenAICallAnalyzer(
        ChatCompletions(key, base_url=base_url, model="gpt-4.1-mini", timeout=timeout), fallback=local
    )


async def test_openai_sends_a_strict_schema_restricted_to_the_workspace_labels(
    chat: tuple[str, Script], local: LocalCallAnalyzer
) -> None:
    base_url, script = chat
    settings = agent_settings()
    script.replies.append(
        Reply(
            content=json.dumps(
                {
                    "intent": "cancel service",
                    "topic": "account changes",
                    "sentiment_label": "negative",
                    "sentiment_score": -0.4,
                }
            )
        )
    )
    result = await openai_analyzer(base_url, local).analyze(
        "Then just close my account.", ["I was charged twice", "That is not ok"], settings
    )
    assert result == TurnAnalysis(
        intent="cancel service", topic="account changes", sentiment_label="negative", sentiment_score=-0.4
    )
    [request] = script.requests
    assert request.path == "/v1/chat/completions"
    assert request.auth == f"Bearer {API_KEY}"
    body = request.body
    assert body["model"] == "gpt-4.1-mini"
    schema = body["response_format"]["json_schema"]
    assert body["response_format"]["type"] == "json_schema" and schema["strict"] is True
    properties = schema["schema"]["properties"]
    assert properties["intent"]["enum"] == settings.intent_labels
    assert properties["topic"]["enum"] == settings.topic_labels
    assert properties["sentiment_label"]["enum"] == ["negative", "neutral", "positive"]
    user = json.loads(body["messages"][-1]["content"])
    assert user == {
        "earlier_utterances": ["I was charged twice", "That is not ok"],
        "latest_utterance": "Then just close my account.",
    }
    assert "Support" in body["messages"][0]["content"]


async def test_openai_answer_chosen_by_the_fake_model_from_the_schema(
    chat: tuple[str, Script], local: LocalCallAnalyzer
) -> None:
    base_url, script = chat
    result = await openai_analyzer(base_url, local).analyze("I have a billing question", [], agent_settings())
    # The fake accepted the schema as strict-valid and answered inside it.
    assert result.intent == "billing question"
    assert result.sentiment_score == 0
    assert len(script.requests) == 1


def _failure(script: Script, kind: str) -> None:
    if kind == "server error":
        script.failures.append((500, {}, error(500, "The server had an error", "server_error", None)[1]))
    elif kind == "rate limit":
        script.failures.append((429, {"retry-after": "20"}, error(429, "Rate limit reached", "requests", None)[1]))
    elif kind == "refusal":
        script.replies.append(Reply(content=None, refusal="I'm sorry, I cannot help with that."))
    elif kind == "cut short":
        script.replies.append(Reply(content='{"intent": "cancel serv', finish_reason="length"))
    elif kind == "not json":
        script.replies.append(Reply(content="The caller is upset."))
    elif kind == "label outside the lists":
        script.replies.append(
            Reply(
                content=json.dumps(
                    {
                        "intent": "complaint",
                        "topic": "general question",
                        "sentiment_label": "neutral",
                        "sentiment_score": 0,
                    }
                )
            )
        )
    elif kind == "missing field":
        script.replies.append(Reply(content=json.dumps({"intent": "other", "topic": "general question"})))


@pytest.mark.parametrize(
    "kind",
    [
        "server error",
        "rate limit",
        "refusal",
        "cut short",
        "not json",
        "label outside the lists",
        "missing field",
        "wrong key",
    ],
)
async def test_openai_falls_back_to_the_offline_analysis(
    chat: tuple[str, Script], local: LocalCallAnalyzer, kind: str
) -> None:
    base_url, script = chat
    _failure(script, kind)
    analyzer = openai_analyzer(base_url, local, key="sk-wrong" if kind == "wrong key" else API_KEY)
    utterance = "This is awful, my parcel is lost again!"
    result = await analyzer.analyze(utterance, [], agent_settings())
    assert result == await local.analyze(utterance, [], agent_settings())
    assert result.topic == "orders and shipping" and result.sentiment_label == "negative"
    assert len(script.requests) == 1  # no retries: the fallback answers at once


async def test_openai_timeout_falls_back_without_waiting_for_the_api(
    chat: tuple[str, Script], local: LocalCallAnalyzer
) -> None:
    base_url, script = chat
    script.delay = 3.0
    started = time.monotonic()
    result = await openai_analyzer(base_url, local, timeout=0.5).analyze("Where is my parcel?", [], agent_settings())
    assert time.monotonic() - started < 2.0
    assert result.topic == "orders and shipping"


async def test_openai_unreachable_falls_back(local: LocalCallAnalyzer) -> None:
    with fake_openai() as (base_url, _):
        pass  # the port is closed again
    result = await openai_analyzer(base_url, local).analyze("Where is my parcel?", [], agent_settings())
    assert result.topic == "orders and shipping"


def test_openai_settings_reach_the_client() -> None:
    analyzer = build_call_analyzer(
        Settings(
            call_analysis_provider="openai",
            openai_api_key=API_KEY,
            openai_base_url="http://127.0.0.1:1/v1/",
            openai_analysis_model="gpt-test",
            openai_timeout_seconds=3.0,
        )
    )
    assert isinstance(analyzer, OpenAICallAnalyzer)
    chat = analyzer._chat
    assert (chat._url, chat.model, chat._timeout) == ("http://127.0.0.1:1/v1/chat/completions", "gpt-test", 3.0)
