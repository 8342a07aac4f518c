"""chainrule.utils.data: Dataset, TensorDataset, DataLoader and random_split.

PyTorch's ``torch.utils.data`` semantics, in-process only (no worker processes). A
``TensorDataset`` (or a ``Subset`` of one) batched with the default collate takes a fast
path: one ``index_select`` per tensor per batch instead of one ``__getitem__`` per sample.
"""

from __future__ import annotations

import bisect
import itertools
import math
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar

import chainrule as cr
from chainrule import _C

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)
Tensor = _C.Tensor


# ---- datasets ---------------------------------------------------------------------------


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``.

    ``a + b`` concatenates two datasets into a :class:`ConcatDataset`.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self): return 4
        ...     def __getitem__(self, i): return i * i
        >>> [Squares()[i] for i in range(4)]
        [0, 1, 4, 9]
    """

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset[Any]) -> ConcatDataset[Any]:
        return ConcatDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are the rows (along dim 0) of tensors of equal length.

    ``dataset[i]`` is ``tuple(t[i] for t in tensors)``. NumPy arrays are accepted and
    converted with ``cr.as_tensor`` (sharing memory where possible).

    Args:
        *tensors: tensors with the same size of dim 0, shapes ``(N, ...)``.

    Raises:
        ValueError: no tensors, a 0-d tensor, or dim-0 sizes that differ.

    Example:
        >>> ds = TensorDataset(cr.zeros(5, 3), cr.arange(5))
        >>> len(ds), ds[1][0].shape, ds[1][1].item()
        (5, (3,), 1)
    """

    tensors: tuple[Tensor, ...]

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor; got none")
        converted = tuple(t if isinstance(t, Tensor) else cr.as_tensor(t) for t in tensors)
        if any(t.ndim == 0 for t in converted):
            shapes = ", ".join(str(tuple(t.shape)) for t in converted)
            raise ValueError(f"TensorDataset: every tensor needs a dim 0; got shapes {shapes}")
        sizes = [t.shape[0] for t in converted]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(
                "TensorDataset: size mismatch between tensors (dim 0 must agree); "
                f"got sizes {tuple(sizes)}"
            )
        self.tensors = converted

    def __getitem__(self, index: int) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class ConcatDataset(Dataset[T_co]):
    """The concatenation of several datasets, indexed one after the other.

    Args:
        datasets: map-style datasets (at least one).

    Example:
        >>> ds = ConcatDataset([[1, 2], [3]])
        >>> len(ds), ds[2], ds[-1]
        (3, 3, 3)
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T_co:
        n = len(self)
        if index < 0:
            if -index > n:
                raise IndexError(
                    f"ConcatDataset: index {index} is out of range for a dataset of length {n}"
                )
            index += n
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        if which >= len(self.datasets):
            raise IndexError(
                f"ConcatDataset: index {index} is out of range for a dataset of length {n}"
            )
        return self.datasets[which][index - start]  # type: ignore[no-any-return]


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: a map-style dataset.
        indices: indices into ``dataset``.

    Example:
        >>> Subset([10, 11, 12, 13], [3, 0])[0]
        13
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> T_co:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]  # type: ignore[no-any-return]
        return self.dataset[self.indices[index]]  # type: ignore[no-any-return]

    def __getitems__(self, indices: list[int]) -> list[Any]:
        inner = [self.indices[i] for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        if getitems is not None:
            return getitems(inner)  # type: ignore[no-any-return]
        return [self.dataset[i] for i in inner]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(
    dataset: Any,
    lengths: Sequence[int | float],
    generator: _C.Generator | None = None,
) -> list[Subset[Any]]:
    """Splits ``dataset`` at random into non-overlapping subsets of the given lengths.

    ``lengths`` are either sizes summing to ``len(dataset)`` or fractions summing to 1. As
    in PyTorch, fractions become ``floor(frac * len(dataset))`` each, and the remaining
    samples are handed out one at a time round-robin from the first split on.

    Args:
        dataset: a map-style dataset.
        lengths: sizes or fractions of the splits.
        generator: a ``cr.Generator`` for the permutation (the global one by default).

    Returns:
        A list of :class:`Subset`, one per length.

    Raises:
        ValueError: the lengths do not add up to ``len(dataset)`` (or the fractions to 1), or
            a length or fraction is negative.

    Example:
        >>> g = cr.Generator(); _ = g.manual_seed(0)
        >>> [len(s) for s in random_split(range(10), [0.5, 0.3, 0.2], generator=g)]
        [5, 3, 2]
    """
    n = len(dataset)
    lengths = list(lengths)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if not 0 <= frac <= 1:
                raise ValueError(
                    f"random_split: fraction at index {i} is not between 0 and 1; got {frac}"
                )
            sizes.append(math.floor(n * frac))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(
                    f"random_split: length of split at index {i} is 0; this results in an "
                    "empty dataset",
                    stacklevel=2,
                )
        int_lengths = sizes
    else:
        int_lengths = []
        for i, length in enumerate(lengths):
            if isinstance(length, float) and not length.is_integer():
                raise ValueError(
                    "random_split: lengths must be integers or fractions summing to 1; "
                    f"got {lengths}"
                )
            if length < 0:
                raise ValueError(f"random_split: length at index {i} is negative; got {length}")
            int_lengths.append(int(length))
    if sum(int_lengths) != n:
        raise ValueError(
            "random_split: sum of input lengths does not equal the length of the input "
            f"dataset; got lengths {lengths} (sum {total}) for a dataset of length {n}"
        )
    indices = _C.randperm(n, generator=generator).tolist()
    return [
        Subset(dataset, indices[offset - length : offset])
        for offset, length in zip(itertools.accumulate(int_lengths), int_lengths)
    ]


# ---- samplers ---------------------------------------------------------------------------


class Sampler(Generic[T_co]):
    """Base class of index samplers: iterables of dataset indices (or of index lists)."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)

    def _index_tensor(self) -> Tensor:
        return cr.arange(len(self.data_source))


class RandomSampler(Sampler[int]):
    """Indices in a random order: a fresh permutation each time it is iterated.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw ``num_samples`` indices with replacement instead.
        num_samples: how many indices to draw (``len(data_source)`` by default).
        generator: a ``cr.Generator`` (the global generator by default, so
            ``cr.manual_seed`` makes the order reproducible).
    """

    def __init__(
        self,
        data_source: Any,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: _C.Generator | None = None,
    ) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(
                f"RandomSampler: replacement should be a boolean value; got {replacement!r}"
            )
        if num_samples is not None and (
            isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0
        ):
            raise ValueError(
                "RandomSampler: num_samples should be a positive integer value; "
                f"got num_samples={num_samples!r}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_tensor(self) -> Tensor:
        n = len(self.data_source)
        if self.replacement:
            return cr.randint(0, n, (self.num_samples,), generator=self.generator)
        perms = [_C.randperm(n, generator=self.generator)]
        while sum(p.shape[0] for p in perms) < self.num_samples:
            perms.append(_C.randperm(n, generator=self.generator))
        perm = perms[0] if len(perms) == 1 else _C.cat(perms)
        return perm if perm.shape[0] == self.num_samples else perm[: self.num_samples]

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_tensor().tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Args:
        sampler: an iterable of indices.
        batch_size: indices per batch (positive).
        drop_last: drop the last batch when it is smaller than ``batch_size``.

    Example:
        >>> list(BatchSampler(range(5), 2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        _check_batch_size(batch_size, "BatchSampler")
        if not isinstance(drop_last, bool):
            raise ValueError(
                f"BatchSampler: drop_last should be a boolean value; got drop_last={drop_last!r}"
            )
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def _check_batch_size(batch_size: Any, who: str) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(
            f"{who}: batch_size should be a positive integer value; got batch_size={batch_size!r}"
        )


# ---- collation --------------------------------------------------------------------------


def _is_ndarray(x: Any) -> bool:
    # NumPy is never imported here: an ndarray can only exist if NumPy is already loaded.
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, np.ndarray)


def _is_numpy_scalar(x: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, np.generic)


def default_convert(data: Any) -> Any:
    """Converts NumPy arrays (also inside dicts, tuples and lists) to tensors, without batching.

    The collate function of a ``DataLoader(batch_size=None)``.
    """
    if isinstance(data, Tensor):
        return data
    if _is_ndarray(data):
        return data if data.dtype.kind in "OSUV" else cr.as_tensor(data)
    if _is_numpy_scalar(data):
        return data if data.dtype.kind in "OSUV" else cr.as_tensor(data)
    if isinstance(data, Mapping):
        return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


def default_collate(batch: Sequence[Any]) -> Any:
    """Stacks a list of samples into a batch, as ``torch.utils.data.default_collate``.

    Tensors are stacked along a new dim 0; NumPy arrays and NumPy scalars become tensors
    first; Python floats give a float64 tensor, ints an int64 tensor (bools a bool tensor);
    strings stay a list; dicts, named tuples, tuples and lists are collated field by field
    (a tuple sample gives a list, as in PyTorch).

    Args:
        batch: the samples of one batch.

    Raises:
        TypeError: a sample holds something else.
        RuntimeError: sequence samples of different lengths.

    Example:
        >>> b = default_collate([(cr.zeros(2), 1), (cr.ones(2), 2)])
        >>> b[0].shape, b[1].tolist()
        ((2, 2), [1, 2])
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _C.stack(list(batch), 0)
    if _is_ndarray(elem):
        if elem.dtype.kind in "OSUV":
            raise TypeError(
                "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                f"lists; found numpy array of dtype {elem.dtype}"
            )
        return _C.stack([cr.as_tensor(b) for b in batch], 0)
    if _is_numpy_scalar(elem):
        if elem.dtype.kind in "OSUV":
            return batch
        return cr.as_tensor(__import__("numpy").asarray(batch))
    if isinstance(elem, float):
        return cr.tensor(list(batch), dtype=cr.float64)
    if isinstance(elem, int):
        return cr.tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out)  # type: ignore[call-arg]
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size; "
                f"got sizes {[len(b) for b in batch]}"
            )
        columns = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        try:
            return type(elem)(columns)  # type: ignore[call-arg]
        except TypeError:
            return columns
    raise TypeError(
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {type(elem)}"
    )


# ---- DataLoader -------------------------------------------------------------------------


def _tensor_source(dataset: Any) -> tuple[tuple[Tensor, ...], Tensor | None] | None:
    """``(tensors, index map)`` when ``dataset`` is a TensorDataset or Subsets of one."""
    if type(dataset) is TensorDataset:
        return dataset.tensors, None
    if type(dataset) is Subset:
        inner = _tensor_source(dataset.dataset)
        if inner is None:
            return None
        tensors, base = inner
        idx = dataset.indices
        index = idx if isinstance(idx, Tensor) else cr.tensor(list(idx), dtype=cr.int64)
        if index.ndim != 1 or index.dtype != cr.int64:
            return None
        if index.numel() and index.min().item() < 0:
            # Negative subset indices count from the end, as with t[i]; out-of-range ones
            # take the per-sample path, which raises the usual IndexError.
            n = tensors[0].shape[0] if base is None else base.shape[0]
            if index.min().item() < -n:
                return None
            index = _C.where(index < 0, index + n, index)
        return tensors, index if base is None else _C.index_select(base, 0, index)
    return None


class DataLoader(Generic[T_co]):
    """Iterates over a dataset in batches, as ``torch.utils.data.DataLoader`` (in-process).

    Each ``iter(loader)`` (each epoch) draws a fresh order when ``shuffle=True``, from
    ``generator`` or else from the global generator, so ``cr.manual_seed`` (or the
    generator's seed) fixes the whole sequence of batches. With the default collate, a
    :class:`TensorDataset` (or a :class:`Subset` of one) is batched with one
    ``index_select`` per tensor, giving the same batches as stacking the samples.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``).
        batch_size: samples per batch; ``None`` disables batching (each sample is
            converted with :func:`default_convert` and yielded alone).
        shuffle: visit the samples in a new random order each epoch.
        sampler: an iterable of indices to draw the samples from (exclusive with
            ``shuffle``).
        batch_sampler: an iterable of index lists (exclusive with ``batch_size``,
            ``shuffle``, ``sampler`` and ``drop_last``).
        num_workers: accepted for portability; loading always runs in the calling process.
        collate_fn: turns a list of samples into a batch (:func:`default_collate`).
        pin_memory: accepted for portability; ignored on the CPU.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: a ``cr.Generator`` for shuffling.

    Raises:
        ValueError: a non-positive ``batch_size`` or incompatible options.

    Example:
        >>> ds = TensorDataset(cr.arange(10.0).reshape(5, 2), cr.arange(5))
        >>> loader = DataLoader(ds, batch_size=2)
        >>> len(loader), [tuple(x.shape) for x, y in loader]
        (3, [(2, 2), (2, 2), (1, 2)])
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Iterable[Any] | None = None,
        batch_sampler: Iterable[list[Any]] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        generator: _C.Generator | None = None,
    ) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                "DataLoader: num_workers option should be non-negative; "
                f"got num_workers={num_workers!r}"
            )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None:
            if drop_last:
                raise ValueError(
                    "DataLoader: batch_size=None option disables auto-batching and is mutually "
                    "exclusive with drop_last"
                )
        else:
            _check_batch_size(batch_size, "DataLoader")
        if sampler is None:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.generator = generator
        self._auto_collation = batch_sampler is not None
        self._default_collate = collate_fn is None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)  # type: ignore[arg-type]
        return len(self.sampler)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        if not self._auto_collation:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        if self._default_collate:
            source = _tensor_source(self.dataset)
            if source is not None:
                return self._iter_tensors(*source)
        return self._iter_samples()

    def _iter_samples(self) -> Iterator[Any]:
        dataset, collate = self.dataset, self.collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        for indices in self.batch_sampler:  # type: ignore[union-attr]
            samples = getitems(indices) if getitems is not None else [dataset[i] for i in indices]
            yield collate(samples)

    def _iter_tensors(self, tensors: tuple[Tensor, ...], base: Tensor | None) -> Iterator[Any]:
        # One gather per tensor per batch. The batches are fresh tensors (never views of
        # the dataset), like the stacked samples of the generic path.
        bs = self.batch_sampler
        if type(bs) is BatchSampler and type(bs.sampler) in (RandomSampler, SequentialSampler):
            order = bs.sampler._index_tensor()
            if base is not None:
                order = _C.index_select(base, 0, order)
            n, size = order.shape[0], bs.batch_size
            stop = n - n % size if bs.drop_last else n
            for start in range(0, stop, size):
                index = order[start : start + size]
                yield [_C.index_select(t, 0, index) for t in tensors]
            return
        for indices in bs:  # type: ignore[union-attr]
            index = indices if isinstance(indices, Tensor) else cr.tensor(indices, dtype=cr.int64)
            if base is not None:
                index = _C.index_select(base, 0, index)
            yield [_C.index_select(t, 0, index) for t in tensors]
