"""Voice providers behind one interface: `build_voice_providers(models, agent)`
returns the bundle a call's AgentSession runs on, for the provider named by
`Settings.resolved_voice_provider`. This registry is the one place that maps
the configuration to implementations."""

from __future__ import annotations

from collections.abc import Callable

from agent_container.providers import aws, offline, openai
from agent_container.providers.base import SharedModels, VoiceProviders
from callcenter.calls.agent_settings import AgentSettings

ProviderFactory = Callable[[SharedModels, AgentSettings], VoiceProviders]

PROVIDERS: dict[str, ProviderFactory] = {
    "offline": offline.build,
    "openai": openai.build,
    "openai_realtime": openai.build_realtime,
    "aws": aws.build,
}


def build_voice_providers(models: SharedModels, agent: AgentSettings) -> VoiceProviders:
    name = models.settings.resolved_voice_provider
    try:
        factory = PROVIDERS[name]
    except KeyError:
        raise ValueError(f"Unknown voice provider {name!r} (known: {', '.join(sorted(PROVIDERS))})") from None
    return factory(models, agent)


__all__ = ["PROVIDERS", "SharedModels", "VoiceProviders", "build_voice_providers"]
