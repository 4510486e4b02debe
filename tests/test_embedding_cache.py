"""The LRU of embeddings for repeated short texts: bounded, hit on repeats, never stale."""

from __future__ import annotations

import numpy as np

from recsys.embedder import (
    CACHEABLE_TEXT_CHARS,
    CACHED_BATCH_MAX,
    EMBEDDING_CACHE_SIZE,
    Embedder,
    EmbeddingCache,
)


def _vector(seed: int) -> np.ndarray:
    return np.full(384, seed, dtype=np.float32)


def test_the_cache_keeps_at_most_its_size_dropping_the_least_recently_used() -> None:
    cache = EmbeddingCache(3)
    for i, text in enumerate(["a", "b", "c"]):
        cache.put(text, _vector(i))
    assert cache.get("a") is not None  # "a" is now the most recent; "b" the least
    cache.put("d", _vector(3))
    assert len(cache) == 3
    assert cache.get("b") is None
    assert [cache.get(t) is not None for t in ("a", "c", "d")] == [True, True, True]


def test_the_cache_counts_hits_and_misses() -> None:
    cache = EmbeddingCache(2)
    assert cache.get("rainy night") is None
    cache.put("rainy night", _vector(1))
    assert cache.get("rainy night") is not None
    assert (cache.hits, cache.misses) == (1, 1)


def test_size_zero_and_long_texts_keep_nothing() -> None:
    off = EmbeddingCache(0)
    off.put("rainy night", _vector(1))
    assert len(off) == 0
    cache = EmbeddingCache(4)
    cache.put("x" * (CACHEABLE_TEXT_CHARS + 1), _vector(1))
    assert len(cache) == 0


def test_a_kept_vector_cannot_be_changed_through_what_was_put() -> None:
    cache = EmbeddingCache(2)
    vector = _vector(1)
    cache.put("calm", vector)
    vector[:] = 9
    kept = cache.get("calm")
    assert kept is not None and float(kept[0]) == 1.0


def test_the_shipped_size_is_bounded() -> None:
    assert 0 < EMBEDDING_CACHE_SIZE <= 100_000  # ~150 MB at most of 384-d float32


def test_a_repeated_short_text_is_embedded_once_and_answers_the_same(embedder: Embedder) -> None:
    embedder.cache.clear()
    hits = embedder.cache.hits
    first = embedder.embed_texts(["late night lofi"])
    first[0, :] = 0  # the caller's copy; the cache must not see this
    second = embedder.embed_texts(["late night lofi"])
    assert embedder.cache.hits == hits + 1
    fresh = embedder._encode(["late night lofi"])
    assert np.allclose(second, fresh, atol=1e-6)


def test_a_mixed_batch_embeds_only_the_new_text_in_order(embedder: Embedder) -> None:
    embedder.cache.clear()
    embedder.embed_texts(["missing home"])
    both = embedder.embed_texts(["heartbreak at 3am", "missing home"])
    assert len(embedder.cache) == 2
    assert np.allclose(both, embedder._encode(["heartbreak at 3am", "missing home"]), atol=1e-6)


def test_catalog_sized_batches_bypass_the_cache(embedder: Embedder) -> None:
    embedder.cache.clear()
    texts = [f"track {i} by someone" for i in range(CACHED_BATCH_MAX + 1)]
    vectors = embedder.embed_texts(texts)
    assert vectors.shape == (len(texts), 384)
    assert len(embedder.cache) == 0
