"""OpInfo entries for the convolutions and pad (nn.functional); test_ops.py appends them.

Each entry calls ``m.nn.functional.<op>`` with ``m`` being chainrule or torch.
"""

from __future__ import annotations

from typing import Any

from op_db import F, OpInfo, S

OPS: list[OpInfo] = []


def _f(m: Any) -> Any:
    return m.nn.functional


OPS += [
    OpInfo(
        "F.conv2d",
        lambda m, x, w, b, **kw: _f(m).conv2d(x, w, b, **kw),
        [
            S(F((2, 3, 5, 6)), F((4, 3, 3, 2)), F((4,)), name="basic"),
            S(
                F((1, 4, 6, 5)),
                F((4, 2, 2, 3)),
                F((4,)),
                stride=(2, 1),
                padding=1,
                dilation=(1, 2),
                groups=2,
                name="strided_grouped",
            ),
            S(F((2, 3, 4, 4)), F((5, 3, 1, 1)), F((5,)), name="pointwise"),
            S(F((3, 5, 4)), F((2, 3, 3, 3)), F((2,)), padding="same", name="unbatched_same"),
        ],
    ),
    OpInfo(
        "F.conv1d",
        lambda m, x, w, b, **kw: _f(m).conv1d(x, w, b, **kw),
        [
            S(F((2, 3, 8)), F((4, 3, 3)), F((4,)), name="basic"),
            S(
                F((2, 4, 9)),
                F((6, 2, 3)),
                F((6,)),
                stride=2,
                padding=2,
                dilation=2,
                groups=2,
                name="strided_grouped",
            ),
            S(F((3, 7)), F((2, 3, 3)), F((2,)), padding="same", name="unbatched_same"),
        ],
    ),
    OpInfo(
        "F.pad",
        lambda m, x, p, **kw: _f(m).pad(x, p, **kw),
        [
            S(F((3, 4)), (1, 2), name="last"),
            S(F((2, 3, 4)), (1, -1, 0, 2), value=0.5, name="crop_value"),
            S(F((2, 3, 4)), (1, 0, 0, 1, 2, 1), name="3dims"),
            S(F((0, 4)), (1, 1), name="empty"),
        ],
    ),
    OpInfo(
        "F.pad_reflect",
        lambda m, x, p: _f(m).pad(x, p, mode="reflect"),
        [S(F((2, 3, 5)), (2, 1), name="1d"), S(F((2, 3, 4, 5)), (1, 2, 3, 0), name="2d")],
    ),
    OpInfo(
        "F.pad_replicate",
        lambda m, x, p: _f(m).pad(x, p, mode="replicate"),
        [S(F((2, 3, 5)), (2, 1), name="1d"), S(F((2, 3, 4, 5)), (1, 2, 3, 0), name="2d")],
    ),
]
