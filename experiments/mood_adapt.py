"""Experiments of issue 9's third round, cross-validated exactly as benchmarks/mood_cv.py.

Run: python -m experiments.mood_adapt      (needs ../shared/data and the `train` extra)

1. Domain adaptation of the sentence ridge toward photo themes: w = argmin ||X w - y||^2 +
   lam ||w - w_emobank||^2 on the training folds' OASIS themes (their ratings put on the
   EmoBank head's scale by the training themes' mean and spread), lam chosen per output by
   inner category folds inside the training folds; the blend, the arousal alpha and the
   standardisation then refit as in the shipped recipe.
2. Framing words ("A photo of", "The image depicts") taken off before the sentence embedding
   (the word table already skips "photo", "image", "picture").
3. The valence ridge's alpha chosen on the training folds (sum of caption and theme valence
   rho, as the arousal alpha is) instead of on EmoBank dev.
Printed: captions leave-one-photo-out and OASIS category-fold rho (valence / arousal) with and
without each change, all in one run. Modes:
  python -m experiments.mood_adapt [ROW NAME ...]  1 and 2 (every row, or only those named)
  python -m experiments.mood_adapt lams            1 with lam fixed for every fold (diagnostic:
                                                  the best of these is chosen after the fact)
  python -m experiments.mood_adapt alpha           3, and each valence alpha fixed (diagnostic)
  python -m experiments.mood_adapt whole           EmoBank test r and Warriner rho of the
                                                  valence-only adapted model fit on all themes
None of this ships: benchmarks/README.md ("Third round") says what lost and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from recsys.embedder import Embedder
from training import data as mood_data
from training import train_mood
from training.cv import fold_predict, group_folds, held_out, pair
from training.data import Rated
from training.train_mood import Candidate, Material, Readings, predict, rho

# Ridge penalties toward the EmoBank weights; inf keeps the EmoBank head unchanged.
LAMS = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0, float("inf"))
# pick(captions, themes): the valence alpha for a fold whose training masks these are.
Pick = Callable[[np.ndarray, np.ndarray], float]
FRAMING = re.compile(
    r"^\s*(?:a|an|the|this|that)?\s*(?:photo|image|picture|photograph|pic)\s+"
    r"(?:of|shows|depicts|presents|showcases|captures|features|is of)\s+(?:an?\s+|the\s+)?",
    re.IGNORECASE,
)


def strip_framing(text: str) -> str:
    """The text without a leading "A photo of a", "The image depicts a" and the like."""
    out = FRAMING.sub("", text, count=1)
    return out if out.strip() else text


def adapted_options(
    options: dict[float, Candidate],
    material: Material,
    themes: np.ndarray,
    lams: tuple[float, float],
) -> dict[float, Candidate]:
    """Every arousal-alpha candidate with its sentence heads pulled toward the themes[mask]
    ratings (lam per output; inf: unchanged), rescaled on EmoBank dev like the shipped ones."""
    if all(np.isinf(lams)):
        return options
    x = material.oasis_x[themes].astype(np.float64)
    xc = x - x.mean(axis=0)
    targets = (material.oasis.valence[themes], material.oasis.arousal[themes])
    gram = xc.T @ xc
    out = {}
    for alpha, c in options.items():
        w = c.model.sentence_weights.astype(np.float64).copy()
        b = c.model.sentence_bias.astype(np.float64).copy()
        for k, (lam, y) in enumerate(zip(lams, targets, strict=True)):
            if np.isinf(lam):
                continue
            p = x @ w[:, k] + b[k]
            scaled = p.mean() + p.std() * (y - y.mean()) / y.std()
            d = np.linalg.solve(
                gram + lam * np.eye(len(w)), xc.T @ (scaled - scaled.mean() - xc @ w[:, k])
            )
            w[:, k] += d
            b[k] = scaled.mean() - x.mean(axis=0) @ w[:, k]
        base = replace(
            c.model,
            sentence_weights=w.astype(np.float32),
            sentence_bias=b.astype(np.float32),
            feature_mean=np.zeros_like(c.model.feature_mean),
            feature_scale=np.ones_like(c.model.feature_scale),
        )

        def resent(r: Readings, vectors: np.ndarray, m=base) -> Readings:  # type: ignore[no-untyped-def]
            raw = r.raw.copy()
            raw[:, 0] = vectors @ m.sentence_weights + m.sentence_bias
            return Readings(raw, r.word_counts)

        dev = resent(c.dev, material.emobank_x["dev"])
        model = train_mood.with_scaling(base, dev)
        out[alpha] = Candidate(
            model,
            dev,
            resent(c.captions, material.captions_x),
            resent(c.themes, material.oasis_x),
        )
    return out


def choose_lams(
    options: dict[float, Candidate], material: Material, captions: np.ndarray, themes: np.ndarray
) -> tuple[float, float]:
    """Per output, the lam whose inner category folds (within themes) rank held-out themes best."""
    groups = np.array(material.oasis.groups)
    scores = {}
    for lam in LAMS:

        def inner(train: np.ndarray, held: np.ndarray, lam: float = lam) -> np.ndarray:
            adapted = adapted_options(options, material, train, (lam, lam))
            return fold_predict(adapted, material, captions, train, "themes", held)

        pooled = group_folds(groups, inner, within=themes)[themes]
        scores[lam] = (
            rho(pooled[:, 0], material.oasis.valence[themes]),
            rho(pooled[:, 1], material.oasis.arousal[themes]),
        )
    best_v = max(LAMS, key=lambda lam: (scores[lam][0], lam))
    best_a = max(LAMS, key=lambda lam: (scores[lam][1], lam))
    return best_v, best_a


def cross_validate(
    material: Material, adapt: bool, arousal: bool = True, fixed: float | None = None
) -> tuple[tuple[float, float], ...]:
    """(captions LOPO, OASIS category folds) rho, with or without the adaptation (of both heads,
    or of the valence head only); lams chosen in inner folds."""
    options, _ = train_mood.candidates(material, train_mood.SHIPPED)
    chosen = []

    def adapted_on(captions: np.ndarray, themes: np.ndarray) -> dict[float, Candidate]:
        """The candidates adapted to these themes, with lams chosen (and noted) as asked."""
        lams = choose_lams(options, material, captions, themes) if adapt else (np.inf, np.inf)
        lams = lams if arousal else (lams[0], np.inf)
        lams = lams if fixed is None else (fixed, fixed)
        chosen.append(lams)
        return adapted_options(options, material, themes, lams)

    oasis = held_out(material, "themes", adapted_on)
    # the captions' folds share one adaptation, to every theme
    every_caption = np.ones(len(material.captions.texts), bool)
    adapted = adapted_on(every_caption, np.ones(len(material.oasis.texts), bool))
    caps = held_out(material, "captions", lambda captions, themes: adapted)
    print(f"    lams chosen (valence, arousal) per OASIS fold, then captions: {chosen}")
    return pair(caps, material.captions), pair(oasis, material.oasis)


def stripped(material: Material, embedder: Embedder) -> Material:
    """The material with framing words taken off the captions and the themes."""

    def strip(r: Rated, name: str) -> tuple[Rated, np.ndarray]:
        texts = [strip_framing(t) for t in r.texts]
        return replace(r, texts=texts), mood_data.embed_cached(embedder, texts, name)

    captions, captions_x = strip(material.captions, "captions-stripped")
    oasis, oasis_x = strip(material.oasis, "oasis-stripped")
    return replace(material, captions=captions, captions_x=captions_x, oasis=oasis, oasis_x=oasis_x)


def whole_figures(material: Material, embedder: Embedder) -> None:
    """EmoBank test r and Warriner rho of the valence-only adapted model fit on every dev
    theme (lam by inner category folds), beside the shipped recipe fit the same way."""
    from recsys.mood_reader import MoodReader
    from training.cv import whole

    options, _ = train_mood.candidates(material, train_mood.SHIPPED)
    everything = np.ones(len(material.oasis.texts), bool)
    every_caption = np.ones(len(material.captions.texts), bool)
    lam = choose_lams(options, material, every_caption, everything)[0]
    warriner = mood_data.warriner_words()
    wx = mood_data.embed_words(embedder, warriner.texts)
    for name, lams in (
        ("shipped recipe", (np.inf, np.inf)),
        ("valence head adapted", (lam, np.inf)),
    ):
        adapted = adapted_options(options, material, everything, lams)
        model, _ = train_mood.fit_blend(adapted, material, every_caption, everything)
        (ev, ea), (wv, wa) = whole(MoodReader(None, model=model), material, warriner, wx)
        print(
            f"  {name:<22} lam {lams[0]:g}: EmoBank test r {ev:+.3f} / {ea:+.3f}"
            f"  Warriner rho {wv:+.3f} / {wa:+.3f}",
            flush=True,
        )


def main() -> int:
    """Print the experiment rows."""
    import sys

    embedder = Embedder()
    material = train_mood.load_material(embedder)
    if sys.argv[1:] == ["alpha"]:
        print("captions LOPO rho / OASIS cat-fold rho (valence / arousal):")
        valence_alpha_cv(material)
        return 0
    if sys.argv[1:] == ["lams"]:
        print("diagnostic, lam fixed for every fold (captions / OASIS, valence / arousal):")
        for lam in LAMS:
            (cv, ca), (ov, oa) = cross_validate(material, False, True, lam)
            print(f"  lam {lam:<8g}  {cv:+.3f} / {ca:+.3f}  {ov:+.3f} / {oa:+.3f}", flush=True)
        return 0
    if sys.argv[1:] == ["whole"]:
        whole_figures(material, embedder)
        return 0
    bare = stripped(material, embedder)
    print("examples:", bare.oasis.texts[:3], [t[:40] for t in bare.captions.texts[:3]])
    print("captions LOPO rho / OASIS cat-fold rho (valence / arousal):")
    caps_only = replace(bare, oasis=material.oasis, oasis_x=material.oasis_x)
    rows = (
        ("shipped recipe", material, False, True),
        ("framing words stripped", bare, False, True),
        ("  captions only stripped", caps_only, False, True),
        ("adapted to OASIS themes", material, True, True),
        ("  valence head only", material, True, False),
        ("adapted + stripped", bare, True, True),
    )
    wanted = sys.argv[1:]
    for name, m, adapt, arousal in rows:
        if wanted and name.strip() not in wanted:
            continue
        (cv, ca), (ov, oa) = cross_validate(m, adapt, arousal)
        print(f"  {name:<26}  {cv:+.3f} / {ca:+.3f}  {ov:+.3f} / {oa:+.3f}", flush=True)
    return 0


def alpha_options(material: Material) -> dict[float, dict[float, Candidate]]:
    """Per valence alpha, the arousal-alpha candidates (the shipped recipe otherwise)."""
    heads = train_mood.sentence_heads(material)
    vectors = train_mood.word_vector_heads(material)
    alpha_v = train_mood.valence_alpha(material, heads)
    share, _ = train_mood.rating_shares(
        material, heads[alpha_v][0], heads[alpha_v][1], vectors, labmt_shares=(0.0,)
    )
    out: dict[float, dict[float, Candidate]] = {}
    for av in train_mood.ALPHAS:
        out[av] = {}
        for aa in train_mood.ALPHAS:
            model = train_mood.base_model(material, heads[av][0], heads[aa][1], share, vectors)
            dev = train_mood.readings(
                model, material.emobank["dev"].texts, material.emobank_x["dev"]
            )
            model = train_mood.with_scaling(model, dev)
            out[av][aa] = Candidate(
                model,
                dev,
                train_mood.readings(model, material.captions.texts, material.captions_x),
                train_mood.readings(model, material.oasis.texts, material.oasis_x),
            )
    return out


def valence_alpha_cv(material: Material) -> None:
    """The valence alpha chosen on the training folds (sum of caption and theme valence rho,
    like the arousal alpha) instead of on EmoBank dev; and each alpha fixed, as a diagnostic."""
    grid = alpha_options(material)

    def training_score(av: float, caps: np.ndarray, themes: np.ndarray) -> float:
        model, aa = train_mood.fit_blend(grid[av], material, caps, themes)
        c = grid[av][aa]
        return rho(
            predict(model, c.captions.subset(caps))[:, 0], material.captions.valence[caps]
        ) + rho(predict(model, c.themes.subset(themes))[:, 0], material.oasis.valence[themes])

    def run(pick: Pick) -> tuple[np.ndarray, np.ndarray, list[float]]:
        chosen = []

        def picked(captions: np.ndarray, themes: np.ndarray) -> dict[float, Candidate]:
            chosen.append(pick(captions, themes))
            return grid[chosen[-1]]

        oasis = held_out(material, "themes", picked)
        caps = held_out(material, "captions", picked)
        return caps, oasis, chosen

    def show(name: str, caps: np.ndarray, oasis: np.ndarray) -> None:
        cv, ov = pair(caps, material.captions), pair(oasis, material.oasis)
        print(f"  {name:<26}  {cv[0]:+.3f} / {cv[1]:+.3f}  {ov[0]:+.3f} / {ov[1]:+.3f}", flush=True)

    caps, oasis, chosen = run(
        lambda c, t: max(train_mood.ALPHAS, key=lambda av: training_score(av, c, t))
    )
    show("valence alpha in folds", caps, oasis)
    print(f"    valence alphas chosen (4 OASIS folds, 10 photo folds): {chosen}")
    for av in train_mood.ALPHAS:
        caps, oasis, _ = run(lambda c, t, av=av: av)
        show(f"  (fixed valence alpha {av:g})", caps, oasis)


if __name__ == "__main__":
    raise SystemExit(main())
