"""The voices and languages each voice provider offers, for the agent settings
form and its validation. A static catalog: the providers' documented voices
(nothing is fetched), keyed by the same provider names as
`Settings.voice_provider`. "default" is always accepted and lets the provider
use its own default voice."""

from __future__ import annotations

from pydantic import BaseModel

from callcenter.errors import DomainError, ErrorKind
from callcenter.settings import Settings

DEFAULT_VOICE = "default"


class Voice(BaseModel):
    id: str
    label: str
    # BCP 47 of the accent the voice speaks; None: multilingual.
    language: str | None = None


class Language(BaseModel):
    code: str
    label: str


class VoiceProvider(BaseModel):
    id: str
    label: str
    voices: list[Voice]
    # Primary language subtags the provider's speech recognition understands.
    languages: list[Language]

    def voice_ids(self) -> set[str]:
        return {DEFAULT_VOICE} | {voice.id for voice in self.voices}

    def language_codes(self) -> set[str]:
        return {language.code for language in self.languages}


class VoiceOptions(BaseModel):
    # The provider the agent uses (configuration); the form offers its voices.
    provider: str
    providers: list[VoiceProvider]


_ENGLISH = [Language(code="en", label="English")]

# Languages both OpenAI's transcription models and Amazon Transcribe streaming
# recognize (a common subset; the form lists these).
_MAJOR_LANGUAGES = [
    *_ENGLISH,
    Language(code="es", label="Spanish"),
    Language(code="fr", label="French"),
    Language(code="de", label="German"),
    Language(code="it", label="Italian"),
    Language(code="pt", label="Portuguese"),
    Language(code="nl", label="Dutch"),
    Language(code="ja", label="Japanese"),
    Language(code="ko", label="Korean"),
    Language(code="zh", label="Chinese"),
    Language(code="hi", label="Hindi"),
    Language(code="ar", label="Arabic"),
]

# gpt-4o-mini-tts voices (OpenAI text-to-speech guide).
_OPENAI_TTS_VOICES = [
    Voice(id=name, label=name.capitalize())
    for name in (
        "alloy",
        "ash",
        "ballad",
        "cedar",
        "coral",
        "echo",
        "fable",
        "marin",
        "nova",
        "onyx",
        "sage",
        "shimmer",
        "verse",
    )
]

# Voices of the Realtime API's speech-to-speech models.
_OPENAI_REALTIME_VOICES = [
    Voice(id=name, label=name.capitalize())
    for name in ("alloy", "ash", "ballad", "cedar", "coral", "echo", "marin", "sage", "shimmer", "verse")
]

# Amazon Polly's common English neural voices (id = Polly VoiceId).
_POLLY_VOICES = [
    Voice(id=voice_id, label=f"{voice_id} ({language})", language=language)
    for voice_id, language in (
        ("Danielle", "en-US"),
        ("Gregory", "en-US"),
        ("Ivy", "en-US"),
        ("Joanna", "en-US"),
        ("Joey", "en-US"),
        ("Justin", "en-US"),
        ("Kendra", "en-US"),
        ("Kevin", "en-US"),
        ("Kimberly", "en-US"),
        ("Matthew", "en-US"),
        ("Ruth", "en-US"),
        ("Salli", "en-US"),
        ("Stephen", "en-US"),
        ("Amy", "en-GB"),
        ("Arthur", "en-GB"),
        ("Brian", "en-GB"),
        ("Emma", "en-GB"),
        ("Olivia", "en-AU"),
        ("Kajal", "en-IN"),
        ("Niamh", "en-IE"),
        ("Aria", "en-NZ"),
        ("Ayanda", "en-ZA"),
    )
]

PROVIDERS: dict[str, VoiceProvider] = {
    "offline": VoiceProvider(
        id="offline",
        label="Offline (whisper tiny.en and a piper voice, on this server)",
        voices=[Voice(id="joe", label="joe (en-US)", language="en-US")],
        # whisper tiny.en understands English only.
        languages=_ENGLISH,
    ),
    "openai": VoiceProvider(
        id="openai",
        label="OpenAI (speech-to-text, LLM, text-to-speech)",
        voices=_OPENAI_TTS_VOICES,
        languages=_MAJOR_LANGUAGES,
    ),
    "openai_realtime": VoiceProvider(
        id="openai_realtime",
        label="OpenAI Realtime (speech-to-speech)",
        voices=_OPENAI_REALTIME_VOICES,
        languages=_MAJOR_LANGUAGES,
    ),
    "aws": VoiceProvider(
        id="aws", label="AWS (Amazon Transcribe and Polly)", voices=_POLLY_VOICES, languages=_MAJOR_LANGUAGES
    ),
}


def voice_options(settings: Settings) -> VoiceOptions:
    return VoiceOptions(provider=settings.resolved_voice_provider, providers=list(PROVIDERS.values()))


def configured_provider(settings: Settings) -> VoiceProvider:
    return PROVIDERS[settings.resolved_voice_provider]


def check_voice_and_language(provider: VoiceProvider, voice: str, language: str) -> None:
    """Refuses a voice the provider does not offer, or a language its speech recognition does not understand."""
    if voice not in provider.voice_ids():
        choices = ", ".join(sorted(provider.voice_ids()))
        raise DomainError(
            ErrorKind.INVALID,
            "unknown_voice",
            f"The voice “{voice}” is not offered by the configured voice provider ({provider.label}). "
            f"Choose one of: {choices}.",
            field="voice",
        )
    primary = language.split("-", 1)[0].lower()
    if primary not in provider.language_codes():
        names = ", ".join(f"{item.label} ({item.code})" for item in provider.languages)
        raise DomainError(
            ErrorKind.INVALID,
            "unsupported_language",
            f"The configured voice provider ({provider.label}) does not understand “{language}”. Supported: {names}.",
            field="language",
        )
