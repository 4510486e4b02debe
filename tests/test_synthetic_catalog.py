"""The benchmark's synthetic million: grown between real neighbours, spaced like the real rows."""

from __future__ import annotations

import numpy as np

from support import synthetic

TOY_ROWS = 1_500


def _toy_catalog() -> np.ndarray:
    """Clearly fictional 'real' embeddings: unit vectors on a few-dimensional curved surface.

    Real sentence embeddings occupy a thin part of their 384 dimensions; so do these (12 latent
    directions, a little noise), which is what makes isotropic noise stand out.
    """
    rng = np.random.default_rng(7)
    basis = rng.normal(size=(12, 384))
    latent = rng.normal(size=(TOY_ROWS, 12))
    vectors = np.tanh(latent) @ basis + rng.normal(0, 0.05, (TOY_ROWS, 384))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_neighbours_are_the_exact_nearest_other_rows() -> None:
    real = _toy_catalog()
    found = synthetic.real_neighbours(real, k=5)
    sims = real @ real.T
    np.fill_diagonal(sims, -np.inf)
    expected = np.argsort(-sims, axis=1)[:, :5]
    assert (found == expected).mean() > 0.99  # equal up to float ties


def test_variants_are_unit_deterministic_and_grow_between_neighbours() -> None:
    real = _toy_catalog()
    neighbours = synthetic.real_neighbours(real)
    grown = synthetic.variant_vectors(real, neighbours, 3_000, 500)
    again = synthetic.variant_vectors(real, neighbours, 3_000, 500)
    assert np.array_equal(grown.vectors, again.vectors)
    assert np.allclose(np.linalg.norm(grown.vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(grown.weights.sum(axis=1), 1.0)
    own = grown.parents[:, 0]
    assert np.array_equal(own, np.arange(3_000, 3_500) % TOY_ROWS)
    for row, mixed in zip(own, grown.parents[:, 1:], strict=True):
        assert set(mixed) <= set(neighbours[row])
    # each variant sits nearer its own real row than a random real row does
    own_cos = np.einsum("ij,ij->i", grown.vectors, real[own])
    assert np.median(own_cos) > np.median(real[own] @ real[0])


def test_a_sample_of_the_grown_catalog_is_spaced_like_the_real_one() -> None:
    real = _toy_catalog()
    figures = synthetic.realism(real, total=35 * TOY_ROWS)
    target = figures["real"]

    def gap(profile: dict[str, float]) -> float:
        return sum(abs(profile[k] - target[k]) for k in target)

    assert gap(figures["interpolated_sample"]) < 0.5 * gap(figures["isotropic_sample"])
