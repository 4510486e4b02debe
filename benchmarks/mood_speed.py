"""The mood reader's share of a text answer: read_embedded beside one embedding, same run.

Run: python -m benchmarks.mood_speed [--rounds 30]

For a short query ("rainy sunday, instrumental"), an OASIS-style theme and a long recorded-style
caption: p50/p95 of MoodReader.read_embedded given the vector the query already has, and of
embedding the same text once (what the answer pays anyway). Machine noted.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import machine, percentile
from recsys.embedder import Embedder
from recsys.mood_reader import MoodReader

TEXTS = {
    "short words": "rainy sunday, instrumental",
    "theme": "A photo of a storm.",
    "long caption": (
        "Hey there, music lovers! The image captures a solitary figure on a bench under a "
        "street lamp on a rainy night. The atmosphere is one of quiet introspection and "
        "melancholy, with muted grey tones, soft shadows and a hint of warmth from the distant "
        "lights. A slow piano piece or a gentle acoustic ballad would fit this lonely evening."
    ),
}


def timed(fn, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds of each of `rounds` calls."""
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def fresh_embedding(embedder: Embedder, text: str) -> None:
    """One embedding of text computed anew: the embedder's cache would answer a repeat free."""
    embedder.cache.clear()
    embedder.embed_texts([text])


def main() -> int:
    """Print p50/p95 of reading and of embedding for each text."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    print(f"machine: {machine().line()}")
    embedder = Embedder()
    reader = MoodReader(embedder)
    reader.warm()
    for name, text in TEXTS.items():
        vector = embedder.embed_texts([text])[0]
        reader.read_embedded(text, vector)
        read = timed(lambda t=text, v=vector: reader.read_embedded(t, v), args.rounds)
        embed = timed(lambda t=text: fresh_embedding(embedder, t), args.rounds)
        ratio = percentile(read, 50) / percentile(embed, 50)
        print(
            f"  {name:<13} read_embedded p50 {percentile(read, 50):6.2f} ms  p95 "
            f"{percentile(read, 95):6.2f} ms | one embedding p50 {percentile(embed, 50):6.2f} ms"
            f"  p95 {percentile(embed, 95):6.2f} ms | read/embed p50 {ratio:.3f}"
        )
    embedder.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
