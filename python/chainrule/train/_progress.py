"""The per-epoch progress bar of fit (tqdm, optional): silent unless stderr is a terminal.

tqdm is imported here, lazily, and only when a bar will be shown; without it (the
``progress`` extra), or off a terminal, fit prints nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

# Refresh the bar's figures at most this often: reading them costs an .item() per figure.
_REFRESH_SECONDS = 0.25


def _format(logs: dict[str, float]) -> dict[str, str]:
    return {key: f"{value:.4g}" for key, value in logs.items()}


class EpochBar:
    """One tqdm bar for one epoch: samples done, samples/s, loss and metrics."""

    def __init__(self, tqdm: Any, epoch: int, epochs: int, total: int | None) -> None:
        self._bar = tqdm(
            total=total,
            desc=f"Epoch {epoch + 1}/{epochs}",
            unit=" samples",
            file=sys.stderr,
            leave=True,
            dynamic_ncols=True,
            # A short bar leaves the line's room to the figures.
            bar_format="{desc}: {percentage:3.0f}%|{bar:16}| {n_fmt}/{total_fmt} "
            "[{elapsed}<{remaining}, {rate_fmt}{postfix}]",
        )
        self._last = time.monotonic()

    def update(self, n: int, figures: Callable[[], dict[str, float]]) -> None:
        """Advances by ``n`` samples; ``figures()`` is called only when the text refreshes."""
        self._bar.update(n)
        now = time.monotonic()
        if now - self._last >= _REFRESH_SECONDS:
            self._last = now
            self._bar.set_postfix(_format(figures()), refresh=True)

    def close(self, logs: dict[str, float]) -> None:
        """Shows the epoch's final figures (validation included) and ends the bar's line."""
        self._bar.set_postfix(_format(logs), refresh=False)
        self._bar.close()


class Progress:
    """Makes the epoch bars of one fit, or nothing when progress output is off."""

    def __init__(self, tqdm: Any) -> None:
        self._tqdm = tqdm

    def epoch_bar(self, epoch: int, epochs: int, total: int | None) -> EpochBar:
        return EpochBar(self._tqdm, epoch, epochs, total)


def make_progress(enabled: bool) -> Progress | None:
    """A :class:`Progress` when ``enabled``, stderr is a terminal and tqdm is installed."""
    if not enabled:
        return None
    stream = sys.stderr
    try:
        if stream is None or not stream.isatty():
            return None
    except (AttributeError, ValueError):  # a replaced or closed stream
        return None
    try:
        from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        return None
    return Progress(tqdm)


def total_samples(loader: Any) -> int | None:
    """How many samples an epoch of ``loader`` yields, when that can be told in advance."""
    from chainrule.utils.data import BatchSampler

    batch_sampler = getattr(loader, "batch_sampler", None)
    if type(batch_sampler) is BatchSampler:
        try:
            n = len(batch_sampler.sampler)  # type: ignore[arg-type]
        except TypeError:
            return None
        return n - n % batch_sampler.batch_size if batch_sampler.drop_last else n
    return None
