"""Embeddings behind one interface: `Embedder`. Which implementation runs is
configuration (`Settings.embedding_provider`), resolved in one place:
`get_embedder()`. Nothing else in the code base names a provider."""

from callcenter.knowledge.embeddings.base import Embedder, EmbeddingError
from callcenter.knowledge.embeddings.registry import PROVIDERS, build_embedder, get_embedder

__all__ = ["PROVIDERS", "Embedder", "EmbeddingError", "build_embedder", "get_embedder"]
