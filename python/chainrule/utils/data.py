"""chainrule.utils.data: Dataset, TensorDataset, DataLoader and random_split."""

from __future__ import annotations
