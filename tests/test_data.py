"""chainrule.utils.data: datasets, collation, DataLoader batching/shuffling, random_split."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import chainrule as cr
from chainrule.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
    random_split,
)


def _xy(n: int = 10) -> TensorDataset:
    return TensorDataset(cr.arange(2.0 * n).reshape(n, 2), cr.arange(n))


class _Squares(Dataset):
    """A map-style dataset of (tensor, int, float) samples."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[cr.Tensor, int, float]:
        if not 0 <= i < self.n:
            raise IndexError(i)
        return cr.full((3,), float(i)), i, i * 0.5


def _labels(loader: DataLoader) -> list[list[int]]:
    return [batch[-1].tolist() for batch in loader]


# ---- datasets -------------------------------------------------------------------------------


def test_tensor_dataset_items_and_len() -> None:
    ds = _xy(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0]
    assert y.item() == 3
    assert ds[-1][1].item() == 4
    assert len(ds.tensors) == 2


def test_tensor_dataset_accepts_arrays() -> None:
    ds = TensorDataset(np.zeros((4, 2), dtype=np.float32), np.arange(4))
    assert ds.tensors[0].dtype == cr.float32
    assert ds.tensors[1].dtype == cr.int64


def test_tensor_dataset_errors() -> None:
    with pytest.raises(ValueError, match=r"TensorDataset: size mismatch.*\(3, 4\)"):
        TensorDataset(cr.zeros(3, 2), cr.zeros(4))
    with pytest.raises(ValueError, match="TensorDataset"):
        TensorDataset()
    with pytest.raises(ValueError, match="TensorDataset"):
        TensorDataset(cr.tensor(1.0))


def test_subset_and_concat() -> None:
    ds = _xy(6)
    sub = Subset(ds, [5, 0, 2])
    assert len(sub) == 3
    assert sub[0][1].item() == 5
    both = ds + sub
    assert isinstance(both, ConcatDataset)
    assert len(both) == 9
    assert both[6][1].item() == 5
    assert both[-1][1].item() == 2
    with pytest.raises(IndexError, match="ConcatDataset"):
        both[9]
    with pytest.raises(IndexError, match="ConcatDataset"):
        both[-10]
    with pytest.raises(ValueError, match="ConcatDataset"):
        ConcatDataset([])


def test_base_dataset_getitem_raises() -> None:
    with pytest.raises(NotImplementedError):
        Dataset()[0]


# ---- collation ------------------------------------------------------------------------------


def test_default_collate_numbers_dtypes() -> None:
    assert default_collate([1, 2, 3]).dtype == cr.int64
    f = default_collate([1.0, 2.5])
    assert f.dtype == cr.float64
    assert f.tolist() == [1.0, 2.5]
    assert default_collate([True, False]).dtype == cr.bool
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_default_collate_tensors_and_arrays() -> None:
    b = default_collate([cr.zeros(2, 3), cr.ones(2, 3)])
    assert b.shape == (2, 2, 3)
    assert b[1].sum().item() == 6.0
    a = default_collate([np.zeros(2, dtype=np.float32), np.ones(2, dtype=np.float32)])
    assert isinstance(a, cr.Tensor)
    assert a.shape == (2, 2)
    assert a.dtype == cr.float32
    s = default_collate([np.float64(1.0), np.float64(2.0)])
    assert s.dtype == cr.float64
    assert s.tolist() == [1.0, 2.0]


def test_default_collate_nested() -> None:
    batch = [(cr.zeros(2), {"k": 1, "v": [1.0, 2.0]}), (cr.ones(2), {"k": 2, "v": [3.0, 4.0]})]
    x, d = default_collate(batch)  # tuples collate to a list, as in PyTorch
    assert x.shape == (2, 2)
    assert d["k"].tolist() == [1, 2]
    assert [v.tolist() for v in d["v"]] == [[1.0, 3.0], [2.0, 4.0]]
    assert isinstance(default_collate(batch), list)

    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point)
    assert p.x.tolist() == [1, 3]


def test_default_collate_errors() -> None:
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])
    with pytest.raises(RuntimeError, match="default_collate: each element"):
        default_collate([[1, 2], [3]])


def test_default_convert() -> None:
    out = default_convert({"a": np.arange(3), "b": (1, "s")})
    assert isinstance(out["a"], cr.Tensor)
    assert out["a"].dtype == cr.int64
    assert out["b"] == [1, "s"]


# ---- DataLoader -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "bs", "drop_last", "expected"),
    [
        (10, 3, False, [3, 3, 3, 1]),
        (10, 3, True, [3, 3, 3]),
        (9, 3, False, [3, 3, 3]),
        (2, 5, True, []),
    ],
)
def test_loader_batches_len_drop_last(
    n: int, bs: int, drop_last: bool, expected: list[int]
) -> None:
    loader = DataLoader(_xy(n), batch_size=bs, drop_last=drop_last)
    assert len(loader) == len(expected)
    batches = list(loader)
    assert [b[0].shape[0] for b in batches] == expected
    assert all(isinstance(b, list) and len(b) == 2 for b in batches)
    if batches:
        assert batches[0][0].shape == (bs, 2)
        assert batches[0][0].dtype == cr.float32
        assert batches[0][1].dtype == cr.int64
    flat = [i for b in batches for i in b[1].tolist()]
    assert flat == list(range(len(flat)))


def test_loader_default_batch_size_is_one() -> None:
    batches = list(DataLoader(_xy(3)))
    assert len(batches) == 3
    assert batches[0][0].shape == (1, 2)


def test_loader_fast_path_matches_per_sample_path() -> None:
    ds = _xy(11)
    g1, g2 = cr.Generator(), cr.Generator()
    g1.manual_seed(3)
    g2.manual_seed(3)
    fast = DataLoader(ds, batch_size=4, shuffle=True, generator=g1)
    slow = DataLoader(ds, batch_size=4, shuffle=True, generator=g2, collate_fn=default_collate)
    for _ in range(2):
        for (fx, fy), (sx, sy) in zip(fast, slow):
            assert fx.tolist() == sx.tolist()
            assert fy.tolist() == sy.tolist()
            assert fx.dtype == sx.dtype
            assert fy.dtype == sy.dtype


def test_loader_batches_do_not_alias_the_dataset() -> None:
    ds = _xy(4)
    x, _ = next(iter(DataLoader(ds, batch_size=2)))
    x.fill_(-1.0)
    assert ds.tensors[0][0].tolist() == [0.0, 1.0]


def test_loader_fast_path_over_subsets() -> None:
    ds = _xy(10)
    sub = Subset(Subset(ds, [9, 8, 7, 6, 5, -1]), [0, 2, 4, 5])
    assert _labels(DataLoader(sub, batch_size=3)) == [[9, 7, 5], [9]]


def test_loader_generic_dataset() -> None:
    loader = DataLoader(_Squares(5), batch_size=2)
    x, i, f = next(iter(loader))
    assert x.shape == (2, 3)
    assert i.dtype == cr.int64
    assert f.dtype == cr.float64
    assert f.tolist() == [0.0, 0.5]
    assert len(list(loader)) == 3


def test_loader_plain_list_dataset() -> None:
    loader = DataLoader([[1, 2], [3, 4], [5, 6]], batch_size=2)
    first = next(iter(loader))
    assert [t.tolist() for t in first] == [[1, 3], [2, 4]]


def test_loader_custom_collate_fn() -> None:
    loader = DataLoader(_Squares(4), batch_size=2, collate_fn=lambda b: [s[1] for s in b])
    assert list(loader) == [[0, 1], [2, 3]]
    # A custom collate on a TensorDataset sees the samples.
    loader = DataLoader(_xy(4), batch_size=3, collate_fn=len)
    assert list(loader) == [3, 1]


def test_loader_batch_size_none() -> None:
    loader = DataLoader(_xy(3), batch_size=None)
    assert len(loader) == 3
    items = list(loader)
    assert items[1][0].shape == (2,)
    assert items[1][1].item() == 1
    arrays = list(DataLoader([np.zeros(2)], batch_size=None))
    assert isinstance(arrays[0], cr.Tensor)


def test_shuffle_is_a_permutation_new_each_epoch() -> None:
    loader = DataLoader(_xy(20), batch_size=6, shuffle=True)
    epoch1 = [i for b in _labels(loader) for i in b]
    epoch2 = [i for b in _labels(loader) for i in b]
    assert sorted(epoch1) == list(range(20))
    assert sorted(epoch2) == list(range(20))
    assert epoch1 != epoch2
    assert epoch1 != list(range(20))


def test_shuffle_determinism_with_generator() -> None:
    def run(seed: int) -> list[list[list[int]]]:
        g = cr.Generator()
        g.manual_seed(seed)
        loader = DataLoader(_xy(17), batch_size=5, shuffle=True, generator=g)
        return [_labels(loader) for _ in range(3)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_shuffle_determinism_with_global_seed() -> None:
    cr.manual_seed(123)
    a = _labels(DataLoader(_xy(12), batch_size=4, shuffle=True))
    cr.manual_seed(123)
    b = _labels(DataLoader(_xy(12), batch_size=4, shuffle=True))
    assert a == b


def test_shuffle_generic_dataset_covers_all() -> None:
    loader = DataLoader(_Squares(7), batch_size=3, shuffle=True, drop_last=True)
    seen = [i for _, idx, _ in loader for i in idx.tolist()]
    assert len(seen) == 6
    assert len(set(seen)) == 6


def test_sampler_and_batch_sampler() -> None:
    loader = DataLoader(_xy(6), batch_size=2, sampler=[5, 3, 1])
    assert _labels(loader) == [[5, 3], [1]]
    assert len(loader) == 2
    loader = DataLoader(_xy(6), batch_sampler=[[0, 5], [2]])
    assert _labels(loader) == [[0, 5], [2]]
    loader = DataLoader(
        _Squares(6), batch_sampler=BatchSampler(SequentialSampler(range(6)), 4, False)
    )
    assert [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5]]
    assert list(BatchSampler(range(5), 2, drop_last=True)) == [[0, 1], [2, 3]]
    assert len(BatchSampler(range(5), 2, drop_last=False)) == 3


def test_random_sampler() -> None:
    g = cr.Generator()
    g.manual_seed(0)
    s = RandomSampler(range(5), generator=g)
    assert sorted(s) == [0, 1, 2, 3, 4]
    assert len(s) == 5
    r = list(RandomSampler(range(3), replacement=True, num_samples=10))
    assert len(r) == 10
    assert all(0 <= i < 3 for i in r)
    longer = list(RandomSampler(range(3), num_samples=7))
    assert len(longer) == 7
    with pytest.raises(ValueError, match="RandomSampler: num_samples"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="RandomSampler: replacement"):
        RandomSampler(range(3), replacement=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_loader_bad_batch_size(bad: object) -> None:
    with pytest.raises(ValueError, match="DataLoader: batch_size should be a positive integer"):
        DataLoader(_xy(3), batch_size=bad)  # type: ignore[arg-type]


def test_loader_option_conflicts() -> None:
    with pytest.raises(ValueError, match="DataLoader: sampler option is mutually exclusive"):
        DataLoader(_xy(3), shuffle=True, sampler=[0, 1])
    with pytest.raises(ValueError, match="DataLoader: batch_sampler option"):
        DataLoader(_xy(3), batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="DataLoader: batch_size=None"):
        DataLoader(_xy(3), batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="DataLoader: num_workers"):
        DataLoader(_xy(3), num_workers=-1)


def test_loader_index_out_of_range() -> None:
    with pytest.raises(IndexError):
        list(DataLoader(_xy(3), sampler=[0, 7]))


def test_loader_len_batch_size_none_and_empty() -> None:
    assert len(DataLoader(_xy(4), batch_size=None)) == 4
    empty = TensorDataset(cr.zeros(0, 2), cr.zeros(0))
    assert len(DataLoader(empty, batch_size=3)) == 0
    assert list(DataLoader(empty, batch_size=3, shuffle=True)) == []


# ---- random_split ---------------------------------------------------------------------------


def test_random_split_sizes_disjoint() -> None:
    parts = random_split(range(10), [3, 7])
    assert [len(p) for p in parts] == [3, 7]
    got = sorted(i for p in parts for i in (p[j] for j in range(len(p))))
    assert got == list(range(10))
    assert all(isinstance(p, Subset) for p in parts)


def test_random_split_determinism() -> None:
    def split(seed: int) -> list[list[int]]:
        g = cr.Generator()
        g.manual_seed(seed)
        return [list(p.indices) for p in random_split(range(20), [5, 15], generator=g)]

    assert split(1) == split(1)
    assert split(1) != split(2)


@pytest.mark.parametrize(
    ("n", "fractions", "expected"),
    [
        (10, [0.33, 0.33, 0.34], [4, 3, 3]),  # PyTorch: floors, then the remainder round-robin
        (11, [0.5, 0.5], [6, 5]),
        (10, [0.8, 0.2], [8, 2]),
        (7, [1.0], [7]),
        (13, [0.1, 0.2, 0.7], [2, 2, 9]),  # these from torch 2.13
        (5, [0.6, 0.4], [3, 2]),
        (7, [0.15, 0.15, 0.7], [2, 1, 4]),
    ],
)
def test_random_split_fractions(n: int, fractions: list[float], expected: list[int]) -> None:
    assert [len(p) for p in random_split(range(n), fractions)] == expected


def test_random_split_of_tensor_dataset_loads_fast() -> None:
    train, _val = random_split(_xy(10), [0.7, 0.3])
    labels = [i for b in _labels(DataLoader(train, batch_size=4)) for i in b]
    assert labels == list(train.indices)


def test_random_split_errors() -> None:
    with pytest.raises(ValueError, match="random_split: sum of input lengths"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="random_split: lengths must be integers or fractions"):
        random_split(range(10), [0.3, 0.3])
    with pytest.raises(ValueError, match="random_split: length at index 0 is negative"):
        random_split(range(10), [-1, 11])
    with pytest.raises(UserWarning, match="random_split: length of split at index 1 is 0"):
        random_split(range(2), [0.9, 0.1])
