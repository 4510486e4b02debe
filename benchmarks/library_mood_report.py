"""The tables of `python -m benchmarks.library_mood`: sources scored, errors, ranking effect."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np

from benchmarks.library_mood import (
    LIFT_THRESHOLD,
    TARGET_GRID,
    UNKNOWN_FIT,
    Case,
    World,
    estimate_for,
    score,
    source_of,
)
from recsys.mood_estimate import EstimatorWeights, trusted_fit

SOURCES = (
    "same song (title + first artist)",
    "artist's other songs",
    "known songs of its playlists",
    "title and artist words (text model)",
    "artist + playlists (shipped)",
    "artist + playlists + text",
    "catalog-mean constant",
)
# Bins of the expected error for the calibration table (quantiles of the report half).
ERROR_BINS = 4


def _ci(pair: tuple[float, float]) -> str:
    return f"[{pair[0]:.2f}, {pair[1]:.2f}]"


def _rho(value: float, ci: tuple[float, float]) -> str:
    return "—" if math.isnan(value) else f"{value:.2f} {_ci(ci)}"


def print_sources(
    world: World, chosen: Sequence[Case], weights: EstimatorWeights, title: str
) -> None:
    """One table: each source's coverage, rho and MAE on these cases."""
    print(f"\n### {title} ({len(chosen)} tracks)\n")
    print(
        "| source | coverage | rho valence | rho energy | MAE valence | MAE energy | MAE of the "
        "constant on the same tracks (v / e) |"
    )
    print("|---|---|---|---|---|---|---|")
    constant = source_of("catalog-mean constant", world, weights)
    for name in SOURCES:
        source = source_of(name, world, weights)
        found = score(source, chosen)
        if found is None:
            print(f"| {name} | 0 / {len(chosen)} | | | | | |")
            continue
        covered = [c for c in chosen if source(c) is not None]
        base = score(constant, covered)
        base_mae = f"{base.mae[0]:.3f} / {base.mae[1]:.3f}" if base else ""
        print(
            f"| {name} | {found.covered} / {found.of} ({found.covered / found.of:.0%}) "
            f"| {_rho(found.rho[0], found.rho_ci[0])} | {_rho(found.rho[1], found.rho_ci[1])} "
            f"| {found.mae[0]:.3f} {_ci(found.mae_ci[0])} | {found.mae[1]:.3f} "
            f"{_ci(found.mae_ci[1])} | {base_mae} |"
        )


def print_errors(world: World, every: Sequence[Case], weights: EstimatorWeights) -> None:
    """Per-track expected error against the RMS error seen, in bins of the expected error."""
    print("\n### Expected error per track (RMS per trait), shipped mix, report half, by quartile\n")
    print("| expected error (range) | tracks | mean expected | RMS error seen | bases |")
    print("|---|---|---|---|---|")
    pairs = []
    for case in every:
        found = estimate_for(world, case, weights, use_text=False)
        if case.half == 1 and found is not None:
            seen = ((found.valence - case.truth.valence) ** 2) + (
                (found.energy - case.truth.energy) ** 2
            )
            pairs.append((found.error, seen / 2, found.basis))
    pairs.sort()
    for part in np.array_split(np.arange(len(pairs)), ERROR_BINS):
        chunk = [pairs[i] for i in part]
        bases: dict[str, int] = {}
        for _, _, basis in chunk:
            bases[basis] = bases.get(basis, 0) + 1
        common = ", ".join(f"{b} {n}" for b, n in sorted(bases.items(), key=lambda x: -x[1])[:3])
        print(
            f"| {chunk[0][0]:.3f}-{chunk[-1][0]:.3f} | {len(chunk)} "
            f"| {math.sqrt(np.mean([p[0] ** 2 for p in chunk])):.3f} "
            f"| {math.sqrt(np.mean([p[1] for p in chunk])):.3f} | {common} |"
        )
    constant = [
        ((world.prior.valence - c.truth.valence) ** 2 + (world.prior.energy - c.truth.energy) ** 2)
        / 2
        for c in every
        if c.half == 1
    ]
    print(f"| catalog-mean constant | {len(constant)} | | {math.sqrt(np.mean(constant)):.3f} | |")


def _fit(valence: float, energy: float, want: tuple[float, float]) -> float:
    return 1.0 - math.sqrt(((valence - want[0]) ** 2 + (energy - want[1]) ** 2) / 2)


def _policy_fit(
    policy: str, world: World, case: Case, weights: EstimatorWeights, want: tuple[float, float]
) -> float:
    """The fit the ranker would see for a library track under a policy."""
    if case.in_catalog:
        return _fit(case.truth.valence, case.truth.energy, want)
    if policy != "today" and case.twin is not None:
        return _fit(case.twin.valence, case.twin.energy, want)
    if policy.endswith("service knows half") and _service_knows(case):
        return _fit(case.truth.valence, case.truth.energy, want)
    use_text = "text" in policy
    found = None
    if policy.startswith("+ estimates"):
        found = estimate_for(world, case, weights, use_text=use_text)
    if found is None:
        return UNKNOWN_FIT
    fit = _fit(found.valence, found.energy, want)
    if policy.startswith("+ estimates, naive"):
        return fit
    return trusted_fit(fit, found.error, UNKNOWN_FIT)


def _service_knows(case: Case) -> bool:
    """Half the blind tracks, chosen by id: what a features service that knows half brings."""
    return int(hashlib.sha256(case.truth.spotify_id.encode()).hexdigest(), 16) % 2 == 0


POLICIES = (
    "today",
    "+ same song",
    "+ estimates, naive (artist + playlists)",
    "+ estimates, naive, with text",
    "+ estimates, shrunk (artist + playlists; shipped)",
    "+ estimates, shrunk, with text",
    "+ estimates, shrunk (shipped), and a service knows half",
)


# How many blind songs (not in the catalog by id, no twin in it) the last column follows: the
# ones a policy places best for a target, as they compete for the last places of an answer.
BEST_BLIND = 5


def _best_blind(
    policy: str,
    world: World,
    chosen: Sequence[Case],
    weights: EstimatorWeights,
    want: tuple[float, float],
) -> float:
    """Mean true fit of the BEST_BLIND blind songs the policy places best; songs tied at the
    cut share the places left (the expected value of a random tie-break)."""
    scored = [
        (_policy_fit(policy, world, c, weights, want), _fit(c.truth.valence, c.truth.energy, want))
        for c in chosen
        if not c.in_catalog and c.twin is None
    ]
    scored.sort(key=lambda pair: -pair[0])
    cut = scored[BEST_BLIND - 1][0]
    above = [truth for fit, truth in scored if fit > cut]
    tied = [truth for fit, truth in scored if fit == cut]
    left = BEST_BLIND - len(above)
    return (sum(above) + left * float(np.mean(tied))) / BEST_BLIND


def print_ranking(world: World, chosen: Sequence[Case], weights: EstimatorWeights) -> None:
    """Per policy, over the target grid: the library songs lifted and how well they truly fit."""
    targets = [(v, e) for v in TARGET_GRID for e in TARGET_GRID]
    print(
        f"\n### Ranking effect: the library lift over {len(targets)} targets "
        f"(valence x energy in {TARGET_GRID}), report half ({len(chosen)} tracks)\n"
    )
    print(
        "| policy | lifted songs per target | true fit of the lifted | of them truly fitting "
        "| truly fitting songs lifted (eligible) | blind songs among the lifted "
        f"| true fit of the {BEST_BLIND} best-placed blind songs without a twin |"
    )
    print("|---|---|---|---|---|---|---|")
    for policy in POLICIES:
        lifted = fits = fitting = eligible = blind = 0.0
        true_fits: list[float] = []
        best_blind: list[float] = []
        for want in targets:
            best_blind.append(_best_blind(policy, world, chosen, weights, want))
            for case in chosen:
                truth = _fit(case.truth.valence, case.truth.energy, want)
                fits += truth >= LIFT_THRESHOLD
                if _policy_fit(policy, world, case, weights, want) >= LIFT_THRESHOLD:
                    lifted += 1
                    true_fits.append(truth)
                    fitting += truth >= LIFT_THRESHOLD
                    blind += not case.in_catalog
        eligible = fitting / fits if fits else 0.0
        print(
            f"| {policy} | {lifted / len(targets):.1f} | {np.mean(true_fits):.3f} "
            f"| {fitting / max(lifted, 1):.0%} | {fitting / len(targets):.1f} of "
            f"{fits / len(targets):.1f} ({eligible:.0%}) | {blind / max(lifted, 1):.0%} "
            f"| {np.mean(best_blind):.3f} |"
        )


def print_report(world: World, every: Sequence[Case], weights: EstimatorWeights) -> None:
    """Every table of the benchmark."""
    report = [c for c in every if c.half == 1]
    blind = [c for c in report if not c.in_catalog]
    print(
        f"library: {len(world.library)} tracks ({sum(not t.in_catalog for t in world.library)} "
        f"not in the catalog by id); catalog: {len(world.by_id)} tracks; "
        f"catalog mean valence {world.prior.valence:.3f}, energy {world.prior.energy:.3f}"
    )
    print(f"weights fitted on the fit half ({len(every) - len(report)} tracks): {weights}")
    print_sources(world, blind, weights, "Report half, tracks the catalog lacks by id")
    print_sources(world, report, weights, "Report half, every track scored as if blind")
    print_errors(world, every, weights)
    print_ranking(world, report, weights)
