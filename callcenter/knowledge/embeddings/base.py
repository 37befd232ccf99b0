"""The embedding interface and what every implementation shares."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors of `dimensions` floats.

    `model_name` is the name stored with each vector and a row of
    `knowledge_embedding_models`: vectors of different models never mix."""

    @property
    def model_name(self) -> str: ...

    @property
    def dimensions(self) -> int: ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order. Batches internally."""
        ...


class EmbeddingError(Exception):
    """Embedding failed. `message` is written for the person who will read it;
    `retryable` says whether trying again later may work."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


def batches(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    size = max(1, size)
    for start in range(0, len(items), size):
        yield items[start : start + size]
