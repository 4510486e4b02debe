"""What non-English words cost the mood reader, and how often the language detector errs.

`python -m benchmarks.foreign_words [--data ../shared/data] [--no-embedder] [--boot N]`

(a) Agreement. 40 sentences of the recorded captions (4 per photo, each from another vision
    model) and the 10 owners' vibe lines of ../shared/data/vlm_captions_dev.csv were translated
    by hand into Spanish and German (benchmarks/translations/captions_es_de.json holds only ids,
    a digest of the English source and our translations; the English is read from the data at
    run time). MoodReader (as the bot builds it: with the text model unless --no-embedder)
    reads the English and each translation. Reported: Spearman rho of the translation's valence
    and energy against the English readings, and of each language against the owners' targets
    (the owner's vibe scored with benchmarks.mood_quality's independent reference list), with
    95% bootstrap intervals over the 50 texts, and the paired loss against English.
(b) Detection. recsys.language.LanguageDetector on English dev texts (short requests written
    for this benchmark, the vibe lines, every caption sentence, EmoBank's dev sentences): the
    share wrongly taken for another language; on the translations and on short requests in the
    six catalog languages: the share recognised. Its model load and per-text time are printed
    beside one embedding of the same short request (same run, same machine).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.common import SHARED_DATA, Timings, machine
from benchmarks.mood_quality import rho, vibe_reference
from recsys.embedder import Embedder
from recsys.language import LanguageDetector
from recsys.mood_reader import MoodReader

TRANSLATIONS = Path(__file__).resolve().parent / "translations" / "captions_es_de.json"
LANGUAGES = ("es", "de")
# A caption's sentences: split after . ! ? or at line breaks; fragments under 6 words dropped.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
MIN_SENTENCE_WORDS = 6
BOOTSTRAP = 2_000  # resamples for the 95% intervals; enough for two decimals
SEED = 24
TIMED_CALLS = 200  # per-text detection timings sampled
EMBED_CALLS = 20  # embeddings timed for the baseline (each ~10 ms)

# Short English requests of the kind people type (written for this benchmark).
ENGLISH_REQUESTS = (
    "rainy night drive", "sunday morning coffee", "gym pump", "chill lofi for studying",
    "sad breakup songs", "beach bonfire with friends", "road trip", "late night city lights",
    "cozy autumn evening", "upbeat dance party", "quiet rainy sunday, instrumental",
    "sunset at the lake", "heartbreak", "more upbeat", "calmer please", "rainy and lonely",
    "rainy but hopeful", "summer vibes", "focus", "wedding dance", "melancholy piano", "hype",
    "running playlist", "dinner date", "snow day", "good vibes only", "deep house", "romantic",
    "nostalgic 90s", "pool party", "rain", "chill", "late night", "feeling blue",
    "golden hour", "euphoric", "no sad songs", "something to cry to", "windows down summer",
    "slow jams for a quiet night in",
)  # fmt: skip
# Short requests in the catalog languages (written for this benchmark).
FOREIGN_REQUESTS = {
    "es": ("noche lluviosa en el coche", "café del domingo por la mañana", "canciones tristes",
           "fiesta en la playa", "algo más alegre", "para llorar un rato"),
    "pt": ("noite chuvosa", "café de domingo de manhã", "músicas tristes", "festa na praia",
           "algo mais animado", "pra relaxar depois do trabalho"),
    "de": ("regnerische Nacht im Auto", "Kaffee am Sonntagmorgen", "traurige Lieder",
           "Party am Strand", "etwas fröhlicher bitte", "zum Entspannen nach der Arbeit"),
    "fr": ("nuit pluvieuse en voiture", "café du dimanche matin", "chansons tristes",
           "fête à la plage", "un peu plus joyeux", "pour se détendre après le boulot"),
    "vi": ("đêm mưa lái xe", "cà phê sáng chủ nhật", "nhạc buồn", "tiệc trên bãi biển",
           "vui hơn một chút", "nghe cho thư giãn sau giờ làm"),
    "hi": ("बारिश वाली रात", "रविवार सुबह की कॉफ़ी", "उदास गाने", "समुद्र किनारे पार्टी",
           "थोड़ा और खुशनुमा", "काम के बाद आराम के लिए"),
}  # fmt: skip

Reading = tuple[float, float]


@dataclass(frozen=True)
class Unit:
    """One translated text: its id, the English read from the data, and the owner's vibe."""

    id: str  # "vibe/<image>", or "caption/<image>/<vlm>/<sentence index>"
    english: str
    vibe: str  # the photo owner's vibe line, which the readings are scored against
    translations: dict[str, str]  # language code -> our translation


def sentences(caption: str) -> list[str]:
    """A caption's sentences, as the translation ids count them."""
    parts = (s.strip() for s in SENTENCE_END.split(caption))
    return [s for s in parts if len(s.split()) >= MIN_SENTENCE_WORDS]


def digest(text: str) -> str:
    """The 12-hex SHA-256 prefix stored beside each translation."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def load_units(data: Path) -> list[Unit]:
    """The translated texts with their English source; raises if the data changed."""
    with (data / "vlm_captions_dev.csv").open(newline="", encoding="utf-8") as f:
        rows = {(r["image"], r["vlm"]): r for r in csv.DictReader(f)}
    vibes = {image: row["vibe"] for (image, _), row in rows.items()}
    units = []
    for item in json.loads(TRANSLATIONS.read_text(encoding="utf-8"))["items"]:
        kind, image, *rest = item["id"].split("/")
        if kind == "vibe":
            english = vibes[image]
        else:
            english = sentences(rows[(image, rest[0])]["caption"])[int(rest[1])]
        if digest(english) != item["sha256_12"]:
            raise SystemExit(f"{item['id']}: the English source changed; re-check the translation")
        found = {lang: item[lang] for lang in LANGUAGES}
        units.append(Unit(item["id"], english, vibes[image], found))
    return units


def readings(reader: MoodReader, texts: Sequence[str]) -> list[Reading]:
    """(valence, energy) per text; "no opinion" reads as the neutral 0.5."""
    out = []
    for reading in reader.read_many(list(texts)):
        traits = reading.traits
        out.append((_or_mid(traits.valence), _or_mid(traits.energy)))
    return out


def _or_mid(value: float | None) -> float:
    return 0.5 if value is None else value


def bootstrap(stat: Callable[[np.ndarray], float], n: int, boot: int) -> tuple[float, float, float]:
    """The statistic on all n items and its 95% percentile bootstrap interval."""
    rng = np.random.default_rng(SEED)
    every = np.arange(n)
    samples = [stat(rng.integers(0, n, n)) for _ in range(boot)]
    low, high = np.percentile(samples, [2.5, 97.5])
    return stat(every), float(low), float(high)


def rho_at(xs: Sequence[float], ys: Sequence[float]) -> Callable[[np.ndarray], float]:
    """Spearman rho of xs and ys restricted to the given indices."""
    x, y = np.asarray(xs), np.asarray(ys)
    return lambda idx: rho(list(x[idx]), list(y[idx]))


def loss_at(
    en: Sequence[float], other: Sequence[float], target: Sequence[float]
) -> Callable[[np.ndarray], float]:
    """rho(English, target) minus rho(translation, target) on the given indices (paired)."""
    english, translated = rho_at(en, target), rho_at(other, target)
    return lambda idx: english(idx) - translated(idx)


def fmt(triple: tuple[float, float, float]) -> str:
    """A figure with its interval."""
    value, low, high = triple
    return f"{value:+.2f} [{low:+.2f}, {high:+.2f}]"


def report_agreement(reader: MoodReader, units: list[Unit], boot: int) -> dict[str, object]:
    """Print and return the agreement table."""
    n = len(units)
    targets = [vibe_reference(u.vibe) for u in units]
    read = {"en": readings(reader, [u.english for u in units])}
    for lang in LANGUAGES:
        read[lang] = readings(reader, [u.translations[lang] for u in units])
    result: dict[str, object] = {"n": n}
    print(f"\n(a) agreement over {n} texts (40 caption sentences, 10 vibes), 95% bootstrap")
    print(f"{'reading':8} {'axis':8} {'vs English reading':>24} {'vs owners targets':>24} "
          f"{'loss vs English':>24} {'moved':>6}")  # fmt: skip
    for lang in ("en", *LANGUAGES):
        for axis, name in ((0, "valence"), (1, "energy")):
            mine = [r[axis] for r in read[lang]]
            english = [r[axis] for r in read["en"]]
            target = [t[axis] for t in targets]
            agree = bootstrap(rho_at(mine, english), n, boot)
            owners = bootstrap(rho_at(mine, target), n, boot)
            loss = bootstrap(loss_at(english, mine, target), n, boot)
            moved = sum(abs(m - 0.5) > 1e-9 for m in mine) / n
            print(f"{lang:8} {name:8} {fmt(agree):>24} {fmt(owners):>24} {fmt(loss):>24} "
                  f"{moved:6.0%}")  # fmt: skip
            result[f"{lang}_{name}"] = {
                "rho_vs_english": agree, "rho_vs_owners": owners,
                "loss_vs_english": loss, "share_read": moved,
            }  # fmt: skip
    return result


def share(detector: LanguageDetector, texts: Sequence[str], want: str | None) -> float:
    """want None: share that would get the foreign-words notice; else share detected as want."""
    if want is None:
        return sum(detector.is_foreign(t) for t in texts) / len(texts)
    return sum(detector.detect(t) == want for t in texts) / len(texts)


def english_texts(data: Path) -> dict[str, list[str]]:
    """The English dev texts the detector must leave alone."""
    with (data / "vlm_captions_dev.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with (data / "emobank.csv").open(newline="", encoding="utf-8") as f:
        emobank = [r["text"] for r in csv.DictReader(f) if r["split"] == "dev"]
    return {
        "short requests (ours)": list(ENGLISH_REQUESTS),
        "owners' vibe lines": sorted({r["vibe"] for r in rows}),
        "caption sentences": [s for r in rows for s in sentences(r["caption"])],
        "EmoBank dev sentences": emobank,
    }


def report_detection(data: Path, units: list[Unit], embedder: Embedder | None) -> dict[str, float]:
    """Print and return false-positive and recognition rates and the detector's cost."""
    detector = LanguageDetector()
    started = time.perf_counter()
    detector.warm()
    load_ms = (time.perf_counter() - started) * 1000
    result: dict[str, float] = {"load_ms": round(load_ms, 1)}
    print("\n(b) detection (recsys.language.LanguageDetector)")
    for name, texts in english_texts(data).items():
        wrong = share(detector, texts, None)
        result[f"english_fp:{name}"] = wrong
        print(f"  English, {name} ({len(texts)}): wrongly given the notice {wrong:.1%}")
    foreign = [(f"{lang} translations", lang, [u.translations[lang] for u in units])
               for lang in LANGUAGES]  # fmt: skip
    foreign += [(f"{lang} short requests", lang, list(t)) for lang, t in FOREIGN_REQUESTS.items()]
    for name, lang, texts in foreign:
        noticed, named = share(detector, texts, None), share(detector, texts, lang)
        result[f"noticed:{name}"], result[f"named:{name}"] = noticed, named
        print(
            f"  {name} ({len(texts)}): given the notice {noticed:.0%}, language named {named:.0%}"
        )
    timed = Timings(tuple(_time_ms(lambda: detector.detect("rainy night drive"))
                          for _ in range(TIMED_CALLS)))  # fmt: skip
    line = (
        f"  model load {load_ms:.0f} ms; per short text p50 {timed.p50:.3f} ms p95 {timed.p95:.3f}"
    )
    if embedder is not None:
        embedder.embed_texts(["warm"])
        # a new text each time: the embedder caches short texts it has seen
        embed = Timings(tuple(_time_ms(lambda i=i: embedder.embed_texts([f"rainy night {i}"]))
                              for i in range(EMBED_CALLS)))  # fmt: skip
        line += f" ms = {timed.p50 / embed.p50:.4f} x one embedding (p50 {embed.p50:.1f} ms)"
    print(line)
    result.update(detect_p50_ms=timed.p50, detect_p95_ms=timed.p95)
    return result


def _time_ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main(argv: Sequence[str] | None = None) -> None:
    """Run both parts and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    parser.add_argument("--no-embedder", action="store_true", help="words only, no text model")
    parser.add_argument("--boot", type=int, default=BOOTSTRAP)
    args = parser.parse_args(argv)
    if not (args.data / "vlm_captions_dev.csv").exists():
        raise SystemExit(f"{args.data}: no vlm_captions_dev.csv (see ../shared/data/README.md)")
    print(f"machine: {machine().line()}")
    embedder = None if args.no_embedder else Embedder()
    units = load_units(args.data)
    print(f"reader: MoodReader {'words only' if embedder is None else 'with the text model'}")
    report_agreement(MoodReader(embedder), units, args.boot)
    report_detection(args.data, units, embedder)


if __name__ == "__main__":
    main()
