"""What answering in another language costs: wording a five-song answer (mood line, tags,
reasons, buttons' labels) and rendering it as Telegram HTML, per language, as a ratio of the
same work in English in the same run; and the first use of a catalog (compiled in memory).

Run: python -m benchmarks.i18n_wording [--rounds 2000]
"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import machine, percentile
from bot.telegram.render import render
from handlers.i18n import SUPPORTED, _compiled
from handlers.replies import Button, Reply
from handlers.texts import button_label, worded
from recsys.models import (
    AudioTraits,
    MoodLine,
    Reason,
    ReasonKind,
    Recommendation,
    Scene,
    TrackPick,
)

VERBS = ("up", "down", "more", "diff", "calm", "lively")


def answer() -> Recommendation:
    """A five-song answer as recsys reports it (codes and values, no words)."""
    reasons = (
        Reason(ReasonKind.FEEL, ("calm", "acoustic"), Scene("lake", "misty")),
        Reason(ReasonKind.OWN_PLAYLIST, ("melancholic",), playlist="Rainy Days"),
        Reason(ReasonKind.FEEL, ("lonely", "slow"), trending=True),
        Reason(ReasonKind.MEMBER_LIBRARY, ("warm",)),
        Reason(ReasonKind.MEANING),
    )
    picks = tuple(
        TrackPick(n, "4uLU6hMCjMI75M1A2tKUQC", f"Song {n}", ("Artist",), ("nostalgia", "calm"),
                  "", 0.9, why=why, mood_guessed="artist" if n == 2 else None)
        for n, why in enumerate(reasons, 1)
    )  # fmt: skip
    line = MoodLine(("lonely", "calm", "gloomy"), "A rainy window at dusk")
    return Recommendation("", line.words, (), AudioTraits(), picks, recommendation_id=1, line=line)


def one_answer(rec: Recommendation, lang: str) -> None:
    """Word the answer and its buttons in `lang`, then render it for Telegram."""
    buttons = tuple(Button(button_label(lang, verb), f"{verb}:1-x") for verb in VERBS)
    render(Reply("answer", "", recommendation=worded(rec, lang), buttons=buttons))


def timed(lang: str, rec: Recommendation, rounds: int) -> list[float]:
    """Microseconds of each of `rounds` answers."""
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        one_answer(rec, lang)
        out.append((time.perf_counter() - start) * 1e6)
    return out


def main() -> int:
    """Print p50/p95 per language and the ratio to English; then each catalog's first load."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    print(f"machine: {machine().line()}")
    loads = {}
    for lang in SUPPORTED[1:]:
        start = time.perf_counter()
        _compiled(lang)
        loads[lang] = (time.perf_counter() - start) * 1000
    rec = answer()
    runs = {lang: timed(lang, rec, args.rounds) for lang in SUPPORTED}
    base = percentile(runs["en"], 50)
    for lang, micros in runs.items():
        p50, p95 = percentile(micros, 50), percentile(micros, 95)
        load = f" | first load {loads[lang]:5.1f} ms" if lang in loads else ""
        print(f"  {lang:<5} answer p50 {p50:7.1f} us  p95 {p95:7.1f} us  x{p50 / base:4.2f}{load}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
