"""History: the per-epoch figures a fit returns, and their plot (matplotlib, on demand)."""

from __future__ import annotations

import math
import os
from typing import Any

__all__ = ["History"]


class History:
    """The figures of each epoch of a :func:`~chainrule.train.fit`.

    Attributes:
        history: a dict of per-epoch lists: ``"loss"``, each metric by name, and with
            validation data ``"val_loss"`` and ``"val_<metric>"``; callbacks may add more
            (``"lr"`` from :class:`ReduceLROnPlateau`, ``"grad_norm/<param>"`` from
            :class:`GradientFlow`).
        epoch: the index (from 0) of each recorded epoch.

    Example:
        >>> h = History()
        >>> h._append(0, {"loss": 0.9}); h._append(1, {"loss": 0.5})
        >>> h.epoch, h.history["loss"]
        ([0, 1], [0.9, 0.5])
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def _append(self, epoch: int, logs: dict[str, float]) -> None:
        n = len(self.epoch)
        for key, value in logs.items():
            # A figure first seen on a later epoch is NaN on the earlier ones, so every list
            # stays aligned with ``epoch``.
            column = self.history.setdefault(key, [math.nan] * n)
            column.append(value)
        for key, column in self.history.items():
            if key not in logs:
                column.append(math.nan)
        self.epoch.append(epoch)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    def _panels(self) -> list[list[str]]:
        """Keys grouped one panel each: a figure with its ``val_`` twin; grad norms; lr."""
        panels: list[list[str]] = []
        grad = [k for k in self.history if k.startswith("grad_norm/")]
        for key in self.history:
            if key in grad or (key.startswith("val_") and key[4:] in self.history):
                continue
            panel = [key]
            if "val_" + key in self.history:
                panel.append("val_" + key)
            panels.append(panel)
        if grad:
            panels.append(grad)
        return panels

    def plot(self, path: str | os.PathLike[str] | None = None) -> Any:
        """Plots every figure against the epoch, one panel per figure (with its ``val_`` twin).

        Gradient norms recorded by :class:`GradientFlow` share one panel on a log scale.
        matplotlib is imported here, only when called.

        Args:
            path: save the plot to this file (the format follows the extension) instead of
                showing it.

        Returns:
            The matplotlib ``Figure``.

        Raises:
            ImportError: matplotlib is not installed.
            ValueError: nothing has been recorded yet.
        """
        try:
            import matplotlib
        except ImportError:
            raise ImportError(
                "History.plot needs matplotlib, which is not installed; "
                "install it with `pip install matplotlib`"
            ) from None
        if not self.epoch:
            raise ValueError("History.plot: no epoch has been recorded yet")
        if path is None:
            import matplotlib.pyplot as plt

            fig = plt.figure()
        else:
            # A bare Figure needs no GUI backend, so saving works on headless machines.
            from matplotlib.figure import Figure

            fig = Figure()
        del matplotlib
        panels = self._panels()
        fig.set_size_inches(6.0, 2.5 * len(panels))
        epochs = [e + 1 for e in self.epoch]
        for i, keys in enumerate(panels):
            ax = fig.add_subplot(len(panels), 1, i + 1)
            for key in keys:
                label = key[len("grad_norm/") :] if key.startswith("grad_norm/") else key
                ax.plot(epochs, self.history[key], marker="o", markersize=3, label=label)
            if keys[0].startswith("grad_norm/"):
                ax.set_yscale("log")
                ax.set_ylabel("grad norm")
            else:
                ax.set_ylabel(keys[0])
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize="small")
        fig.axes[-1].set_xlabel("epoch")
        fig.tight_layout()
        if path is not None:
            fig.savefig(os.fspath(path))
        else:
            import matplotlib.pyplot as plt

            plt.show()
        return fig
