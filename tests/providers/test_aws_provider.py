"""The `aws` provider builds a call's models on Python 3.12 (the agent
image), and on an older interpreter refuses with a message that says why."""

from __future__ import annotations

import sys

import pytest

from agent_container.providers import SharedModels
from agent_container.providers.aws import build, transcribe_locale
from callcenter.calls.agent_settings import AgentSettings


def test_the_aws_provider_builds_or_says_why_not(models: SharedModels, agent_settings: AgentSettings) -> None:
    aws_models = SharedModels(models.settings.model_copy(update={"voice_provider": "aws"}))
    if sys.version_info < (3, 12):
        with pytest.raises(RuntimeError, match=r"needs Python 3\.12"):
            build(aws_models, agent_settings)
        return
    built = build(aws_models, agent_settings)
    assert built.name == "aws" and built.stt is not None and built.tts is not None


@pytest.mark.parametrize(
    ("language", "locale"), [("en", "en-US"), ("en-gb", "en-GB"), ("fr", "fr-FR"), ("xx", "en-US")]
)
def test_transcribe_gets_a_full_locale(language: str, locale: str) -> None:
    assert transcribe_locale(language) == locale
