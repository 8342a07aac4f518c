"""OpInfo entries of the shape family: views, joins and splits, indexing, selection
and scatter."""

from __future__ import annotations

from typing import Any

from op_db import B, F, I, OpInfo, S, unary_samples


def _setitem(m: Any, x: Any) -> Any:
    y = x.clone()
    y[1:, 0] = 0.5
    y[[0], 1] = -0.5
    return y


_SCATTER_INDEX = [[0, 2], [1, 3], [3, 0]]  # no repeats within a row: one write per slot
OPS: list[OpInfo] = [
    OpInfo(
        "view",
        lambda m, x: x.view(-1, 1),
        [S(F((2, 3, 4))), S(F(()), name="0d")],
        noncontiguous=False,
    ),
    OpInfo("reshape", lambda m, x: x.reshape(-1, 2), [S(F((3, 4))), S(F((0, 4)), name="empty")]),
    OpInfo("flatten", lambda m, x: x.flatten(1), [S(F((2, 3, 4)))]),
    OpInfo("unflatten", lambda m, x: x.unflatten(1, (2, 2)), [S(F((3, 4)))]),
    OpInfo("squeeze", lambda m, x: x.squeeze(), [S(F((1, 3, 1)))]),
    OpInfo("squeeze_dim", lambda m, x: x.squeeze(1), [S(F((3, 1, 4))), S(F((3, 2)), name="kept")]),
    OpInfo("unsqueeze", lambda m, x: x.unsqueeze(-1), [S(F((3, 4))), S(F(()), name="0d")]),
    OpInfo("transpose", lambda m, x: x.transpose(0, -1), [S(F((2, 3, 4)))]),
    OpInfo("permute", lambda m, x: x.permute(1, 2, 0), [S(F((2, 3, 4)))]),
    OpInfo("expand", lambda m, x: x.expand(2, 3, 4), [S(F((3, 1))), S(F(()), name="0d")]),
    OpInfo("narrow", lambda m, x: x.narrow(1, 1, 2), [S(F((3, 4)))]),
    OpInfo("mT", lambda m, x: x.mT, [S(F((2, 3, 4)))]),
    OpInfo("t", lambda m, x: x.t(), [S(F((3, 4))), S(F((4,)), name="1d")]),
    OpInfo("repeat", lambda m, x: x.repeat(2, 1, 3), [S(F((2, 3))), S(F((0, 3)), name="empty")]),
    OpInfo("repeat_0d", lambda m, x: x.repeat(3, 2), [S(F(()))]),
    OpInfo(
        "cat",
        lambda m, a, b: m.cat([a, b], dim=1),
        [S(F((2, 3)), F((2, 2))), S(F((2, 0)), F((2, 2)), name="empty")],
    ),
    OpInfo("cat_legacy_empty", lambda m, a, b: m.cat([a, b]), [S(F((2, 3)), F((0,)))]),
    OpInfo(
        "stack",
        lambda m, a, b: m.stack([a, b], dim=-1),
        [S(F((2, 3)), F((2, 3))), S(F(()), F(()), name="0d")],
    ),
    OpInfo("split", lambda m, x: x.split(2), [S(F((5, 3)))]),
    OpInfo("split_sizes", lambda m, x: m.split(x, [1, 3, 1], dim=1), [S(F((2, 5)))]),
    OpInfo("chunk", lambda m, x: x.chunk(3, 1), [S(F((2, 7)))]),
    OpInfo("tril", lambda m, x: x.tril(), [S(F((4, 5))), S(F((2, 3, 4)), name="batched")]),
    OpInfo("triu", lambda m, x: m.triu(x, diagonal=1), [S(F((4, 5))), S(F((0, 3)), name="empty")]),
    OpInfo(
        "index_select",
        lambda m, x, i: x.index_select(0, i),
        [S(F((4, 3)), I((5,), high=4)), S(F((4, 3)), I((), high=4), name="0d_index")],
    ),
    OpInfo("gather", lambda m, x, i: x.gather(1, i), [S(F((3, 4)), I((3, 6), high=4))]),
    OpInfo("getitem_basic", lambda m, x: x[1:, ::2, None, -1], [S(F((3, 4, 5)))]),
    OpInfo("getitem_index", lambda m, x, i: x[:, i], [S(F((3, 4)), I((2, 2), high=4))]),
    OpInfo("getitem_separated", lambda m, x, i: x[i, :, i], [S(F((4, 3, 4)), I((2,), high=4))]),
    OpInfo("getitem_mask", lambda m, x, b: x[b], [S(F((3, 4)), B((3, 4)))]),
    OpInfo("setitem", _setitem, [S(F((3, 4)))], differentiable=False),
    OpInfo("unbind", lambda m, a: a.unbind(1), [S(F((3, 4))), S(F((2, 3, 4)))]),
    OpInfo(
        "masked_select",
        lambda m, a, mask: a.masked_select(mask),
        [S(F((3, 4)), B((3, 4))), S(F((3, 4)), B((4,))), S(F((4,)), B((3, 4))), S(F(()), B(()))],
    ),
    OpInfo("nonzero", lambda m, a: m.nonzero(a > 0), unary_samples(), differentiable=False),
    OpInfo(
        "nonzero_tuple",
        lambda m, a: (a > 0).nonzero(as_tuple=True),
        unary_samples(),
        differentiable=False,
    ),
    OpInfo("where_cond", lambda m, a: m.where(a > 0), unary_samples()[:2], differentiable=False),
    OpInfo(
        "repeat_interleave",
        lambda m, a: a.repeat_interleave(2, dim=1),
        [S(F((3, 4))), S(F((2, 3, 4)))],
    ),
    OpInfo(
        "repeat_interleave_flat", lambda m, a: m.repeat_interleave(a, 3), [S(F((2, 3))), S(F(()))]
    ),
    OpInfo(
        "repeat_interleave_tensor",
        lambda m, a: a.repeat_interleave(m.tensor([1, 0, 2]), dim=0),
        [S(F((3, 4)))],
    ),
    OpInfo(
        "scatter",
        lambda m, a, b: a.scatter(1, m.tensor(_SCATTER_INDEX), b),
        [S(F((3, 5)), F((3, 2)))],
    ),
    OpInfo(
        "scatter_value", lambda m, a: m.scatter(a, 1, m.tensor(_SCATTER_INDEX), 0.5), [S(F((3, 4)))]
    ),
    OpInfo(
        "scatter_",
        lambda m, a, b: (a * 1.0).scatter_(1, m.tensor(_SCATTER_INDEX), b),
        [S(F((3, 5)), F((3, 2)))],
    ),
]
