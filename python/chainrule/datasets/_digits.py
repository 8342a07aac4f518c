"""The UCI handwritten digits (1,797 images of 8x8 pixels), bundled with chainrule."""

from __future__ import annotations

from importlib import resources

import numpy as np

import chainrule as cr


def _stratified_split(
    labels: np.ndarray, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices holding each class in the same proportion."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = round(len(idx) * test_size)
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def load_digits(
    test_size: float = 0.2, seed: int = 0, as_images: bool = False
) -> tuple[tuple[cr.Tensor, cr.Tensor], tuple[cr.Tensor, cr.Tensor]]:
    """The 1,797 UCI handwritten digits, split into stratified train and test sets.

    The data ships with chainrule (CC BY 4.0, Alpaydin and Kaynak, UCI ML Repository); it is
    never downloaded.

    Args:
        test_size: fraction of each class held out for the test set, in (0, 1).
        seed: seed of the split's shuffle.
        as_images: return X as (N, 1, 8, 8) images instead of (N, 64) rows.

    Returns:
        ``((X_train, y_train), (X_test, y_test))``: X float32 in [0, 1], y int64 in 0..9.

    Example:
        >>> import chainrule as cr
        >>> (X, y), (Xt, yt) = cr.datasets.load_digits()
        >>> tuple(X.shape), tuple(Xt.shape)
        (1438, 64) (359, 64)
    """
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"load_digits: test_size must be in (0, 1); got {test_size}")
    path = resources.files("chainrule.datasets") / "data" / "digits.npz"
    with path.open("rb") as f, np.load(f) as data:
        images = data["images"].astype(np.float32) / 16.0
        labels = data["labels"].astype(np.int64)
    x = images.reshape(-1, 1, 8, 8) if as_images else images.reshape(-1, 64)
    train, test = _stratified_split(labels, test_size, seed)
    return (
        (cr.tensor(x[train]), cr.tensor(labels[train])),
        (cr.tensor(x[test]), cr.tensor(labels[test])),
    )
