"""Conv1d / Conv2d / F.conv1d / F.conv2d / F.pad against torch: outputs, input, weight and bias
grads (float32 and float64), gradcheck in float64, and the error paths."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.")

F = cr.nn.functional
TF = torch.nn.functional


def _c(t: Any, grad: bool = True) -> Any:
    x = cr.from_numpy(t.detach().numpy().copy())
    if grad:
        x.requires_grad_(True)
    return x


def _close(a: Any, b: Any, dtype: Any) -> None:
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == torch.float32 else dict(rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), **tol)


CONV2D_GRID = [
    # (N, C, H, W, Co, kh, kw, stride, padding, dilation, groups)
    (2, 3, 7, 6, 4, 3, 3, 1, 0, 1, 1),
    (1, 4, 8, 8, 6, 3, 2, (2, 1), (1, 2), (1, 2), 2),
    (3, 4, 5, 9, 4, 1, 1, 1, 0, 1, 1),  # 1x1 direct path
    (2, 4, 5, 9, 8, 1, 1, 2, 0, 1, 4),  # 1x1 strided (im2col)
    (2, 6, 9, 7, 6, 3, 3, 2, 1, 2, 3),
    (1, 2, 4, 4, 3, 4, 4, 1, 0, 1, 1),  # kernel == input
    (2, 3, 6, 5, 2, 2, 3, 1, "same", 1, 1),
    (2, 3, 6, 5, 2, 2, 3, 1, "same", 2, 1),
    (2, 3, 6, 5, 2, 2, 3, 1, "valid", 1, 1),
    (2, 4, 6, 5, 4, 3, 3, 3, 2, 1, 4),  # depthwise
    # images whose column matrix passes 1 MiB go through the GEMM one at a time
    (2, 16, 66, 66, 4, 3, 3, 1, 0, 1, 2),
    (2, 64, 64, 64, 3, 1, 1, 1, 0, 1, 1),  # 1x1 large: the input is its own column matrix
    # 256 KiB / (Kc * Pc * 4) = 4 images a chunk (wide rows): 3 full chunks and a partial one
    (15, 4, 14, 14, 5, 5, 5, 1, 0, 1, 1),
    # 20 chunks of one image: dW's 16 shares, four of them adding two chunks
    (20, 16, 12, 12, 3, 5, 5, 1, 0, 1, 1),
    # 32+ channels a group, stride 1: one GEMM per kernel tap on the (padded) input
    (3, 32, 9, 8, 8, 3, 3, 1, 1, 1, 1),
    (2, 64, 9, 9, 6, 3, 2, 1, 0, (1, 2), 2),
    (2, 32, 7, 7, 4, 3, 3, 1, "same", 2, 1),
    (18, 32, 6, 6, 4, 3, 3, 1, 1, 1, 1),  # more images than dW shares
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("case", CONV2D_GRID)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_module_vs_torch(dtype: Any, case: tuple, bias: bool) -> None:
    N, C, H, W, Co, kh, kw, s, p, d, g = case
    torch.manual_seed(0)
    tm = torch.nn.Conv2d(C, Co, (kh, kw), stride=s, padding=p, dilation=d, groups=g, bias=bias).to(
        dtype
    )
    cm = cr.nn.Conv2d(
        C,
        Co,
        (kh, kw),
        stride=s,
        padding=p,
        dilation=d,
        groups=g,
        bias=bias,
        dtype=cr.float32 if dtype == torch.float32 else cr.float64,
    )
    cm.load_state_dict({k: _c(v, False) for k, v in tm.state_dict().items()})
    x = torch.randn(N, C, H, W, dtype=dtype, requires_grad=True)
    cx = _c(x)
    ty, cy = tm(x), cm(cx)
    assert tuple(cy.shape) == tuple(ty.shape)
    _close(cy, ty, dtype)
    gy = torch.randn_like(ty)
    ty.backward(gy)
    cy.backward(_c(gy, False))
    assert cy.grad_fn.name() == "ConvolutionBackward0"
    _close(cx.grad, x.grad, dtype)
    _close(cm.weight.grad, tm.weight.grad, dtype)
    if bias:
        _close(cm.bias.grad, tm.bias.grad, dtype)


CONV1D_GRID = [
    # (N, C, L, Co, k, stride, padding, dilation, groups)
    (2, 3, 10, 4, 3, 1, 0, 1, 1),
    (1, 4, 11, 6, 4, 2, 3, 2, 2),
    (3, 4, 7, 8, 1, 1, 0, 1, 4),
    (2, 3, 9, 2, 4, 1, "same", 3, 1),
    (2, 2, 5, 2, 5, 1, "valid", 1, 1),
    (3, 32, 12, 5, 3, 1, 2, 1, 1),  # one GEMM per kernel tap
    (2, 64, 9, 4, 3, 1, "same", 2, 2),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("case", CONV1D_GRID)
def test_conv1d_module_vs_torch(dtype: Any, case: tuple) -> None:
    N, C, L, Co, k, s, p, d, g = case
    torch.manual_seed(1)
    tm = torch.nn.Conv1d(C, Co, k, stride=s, padding=p, dilation=d, groups=g).to(dtype)
    cm = cr.nn.Conv1d(
        C,
        Co,
        k,
        stride=s,
        padding=p,
        dilation=d,
        groups=g,
        dtype=cr.float32 if dtype == torch.float32 else cr.float64,
    )
    cm.load_state_dict({k: _c(v, False) for k, v in tm.state_dict().items()})
    x = torch.randn(N, C, L, dtype=dtype, requires_grad=True)
    cx = _c(x)
    ty, cy = tm(x), cm(cx)
    _close(cy, ty, dtype)
    gy = torch.randn_like(ty)
    ty.backward(gy)
    cy.backward(_c(gy, False))
    _close(cx.grad, x.grad, dtype)
    _close(cm.weight.grad, tm.weight.grad, dtype)
    _close(cm.bias.grad, tm.bias.grad, dtype)


def test_unbatched_and_functional() -> None:
    torch.manual_seed(2)
    x = torch.randn(3, 6, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 3, 2, 2, dtype=torch.float64, requires_grad=True)
    cx, cw = _c(x), _c(w)
    ty = TF.conv2d(x, w, stride=2, padding=1)
    cy = F.conv2d(cx, cw, stride=2, padding=1)
    _close(cy, ty, torch.float64)
    ty.sum().backward()
    cy.sum().backward()
    _close(cx.grad, x.grad, torch.float64)
    _close(cw.grad, w.grad, torch.float64)
    x1 = torch.randn(3, 8, dtype=torch.float64)
    w1 = torch.randn(2, 3, 3, dtype=torch.float64)
    _close(
        cr.conv1d(_c(x1, False), _c(w1, False), padding=[1]),
        TF.conv1d(x1, w1, padding=[1]),
        torch.float64,
    )
    # noncontiguous input and weight
    xb = torch.randn(2, 5, 4, 4, dtype=torch.float64)
    wb = torch.randn(3, 4, 2, 3, dtype=torch.float64)
    ty = TF.conv2d(xb.transpose(1, 3), wb.transpose(2, 3), padding=1)
    cy = F.conv2d(_c(xb, False).transpose(1, 3), _c(wb, False).transpose(2, 3), padding=1)
    _close(cy, ty, torch.float64)


def test_gradcheck_conv() -> None:
    gen = np.random.default_rng(0)
    x = cr.from_numpy(gen.standard_normal((2, 4, 5, 4))).requires_grad_(True)
    w = cr.from_numpy(gen.standard_normal((4, 2, 3, 2))).requires_grad_(True)
    b = cr.from_numpy(gen.standard_normal(4)).requires_grad_(True)
    assert cr.autograd.gradcheck(
        lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
        (x, w, b),
    )
    x1 = cr.from_numpy(gen.standard_normal((2, 2, 7))).requires_grad_(True)
    w1 = cr.from_numpy(gen.standard_normal((3, 2, 3))).requires_grad_(True)
    assert cr.autograd.gradcheck(lambda x, w: F.conv1d(x, w, padding="same", dilation=2), (x1, w1))


@pytest.mark.parametrize(
    "pad",
    [
        (1, 2),
        (0, 0),
        (2, 1, 1, 0),
        (-1, 2),
        (1, -2, -1, 1),
        (1, 1, 0, 2, 1, 0),
        (1, 0, 0, 1, 2, 1, 1, 1),
    ],
)
def test_pad_constant(pad: tuple) -> None:
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    cx = _c(x)
    ty = TF.pad(x, pad, value=1.5)
    cy = F.pad(cx, pad, value=1.5)
    _close(cy, ty, torch.float64)
    g = torch.randn_like(ty)
    ty.backward(g)
    cy.backward(_c(g, False))
    assert cy.grad_fn.name() == "ConstantPadNdBackward0"
    _close(cx.grad, x.grad, torch.float64)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    ("shape", "pad"), [((2, 3, 5), (2, 1)), ((2, 3, 4, 5), (1, 2, 3, 0)), ((3, 4, 5), (2, 2, 1, 3))]
)
def test_pad_modes(mode: str, shape: tuple, pad: tuple) -> None:
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    cx = _c(x)
    ty = TF.pad(x, pad, mode=mode)
    cy = F.pad(cx, pad, mode=mode)
    _close(cy, ty, torch.float64)
    g = torch.randn_like(ty)
    ty.backward(g)
    cy.backward(_c(g, False))
    _close(cx.grad, x.grad, torch.float64)


@pytest.mark.parametrize("pad", [(1, -1, -4, 2), (-2, -2), (-3, -1)])
def test_pad_constant_crop_larger_than_the_dim(pad: tuple) -> None:
    """Crops must fit in the input on their own, as torch (a crop of 4 from 3 with 2 padded back
    returned a tensor; found by the op fuzz)."""
    x = torch.randn(2, 3, 3, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="narrow"):
        TF.pad(x, pad)
    with pytest.raises(ValueError, match=r"pad: .*negative (padding .* crops more|output size)"):
        F.pad(_c(x, False), pad)


@pytest.mark.parametrize(
    ("shape", "pad"),
    [
        ((2, 3, 3), (-4, 1)),
        ((2, 3, 3), (-2, -1)),
        ((2, 3, 3), (-3, 0)),
        ((1, 3, 4, 3), (-3, 0, -4, 0)),
    ],
)
def test_pad_modes_cropping_to_nothing(shape: tuple, pad: tuple) -> None:
    """reflect and replicate raise when every padded dim is cropped to nothing, as torch
    (they returned an empty tensor; found by the op fuzz); circular may crop any dim."""
    x = torch.randn(*shape, dtype=torch.float64)
    for mode in ("reflect", "replicate"):
        with pytest.raises(RuntimeError, match="too small"):
            TF.pad(x, pad, mode=mode)
        with pytest.raises(ValueError, match=rf"pad: input of shape .* is too small for {mode}"):
            F.pad(_c(x, False), pad, mode=mode)
    assert F.pad(_c(x, False), pad, mode="circular").shape == TF.pad(x, pad, mode="circular").shape


@pytest.mark.parametrize("pad", [(-5, 2, 2, 0), (0, 0, -4, 0)])
@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_pad_modes_crop_one_of_two_dims_to_nothing(mode: str, pad: tuple) -> None:
    """One padded dim cropped to nothing is allowed while another is left, as in torch."""
    x = torch.randn(1, 3, 4, 3, dtype=torch.float64)
    assert F.pad(_c(x, False), pad, mode=mode).shape == TF.pad(x, pad, mode=mode).shape


def test_gradcheck_pad() -> None:
    x = cr.from_numpy(np.random.default_rng(1).standard_normal((2, 3, 4))).requires_grad_(True)
    assert cr.autograd.gradcheck(lambda x: F.pad(x, (1, -1, 2, 0)), (x,))
    assert cr.autograd.gradcheck(lambda x: F.pad(x, (2, 1), mode="reflect"), (x,))


def test_default_init_bounds() -> None:
    m = cr.nn.Conv2d(4, 6, (3, 2), groups=2)
    bound = 1 / np.sqrt(2 * 3 * 2)
    assert np.abs(m.weight.detach().numpy()).max() <= bound + 1e-7
    assert np.abs(m.bias.detach().numpy()).max() <= bound + 1e-7
    assert tuple(m.weight.shape) == (6, 2, 3, 2)
    assert list(m.state_dict()) == ["weight", "bias"]
    assert "bias" not in cr.nn.Conv1d(2, 2, 3, bias=False).state_dict()


def test_errors() -> None:
    x = cr.randn(2, 3, 5, 5)
    with pytest.raises(RuntimeError, match=r"conv2d.*channels"):
        F.conv2d(x, cr.randn(4, 2, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv2d.*groups"):
        F.conv2d(cr.randn(2, 4, 5, 5), cr.randn(3, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"conv2d.*Kernel size"):
        F.conv2d(x, cr.randn(4, 3, 6, 3))
    with pytest.raises(RuntimeError, match=r"conv2d.*stride"):
        F.conv2d(x, cr.randn(4, 3, 3, 3), stride=0)
    with pytest.raises(RuntimeError, match=r"conv2d.*input"):
        F.conv2d(cr.randn(5, 5), cr.randn(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv1d.*input"):
        F.conv1d(x, cr.randn(4, 3, 3))
    with pytest.raises(RuntimeError, match=r"conv2d.*negative padding"):
        F.conv2d(x, cr.randn(4, 3, 3, 3), padding=-1)
    with pytest.raises(RuntimeError, match=r"conv2d.*bias"):
        F.conv2d(x, cr.randn(4, 3, 3, 3), cr.randn(3))
    with pytest.raises(ValueError, match=r"conv2d.*strided"):
        F.conv2d(x, cr.randn(4, 3, 3, 3), padding="same", stride=2)
    with pytest.raises(ValueError, match=r"conv2d.*padding string"):
        F.conv2d(x, cr.randn(4, 3, 3, 3), padding="full")
    with pytest.raises(ValueError, match=r"Conv2d.*divisible"):
        cr.nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match=r"Conv2d.*padding_mode"):
        cr.nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(RuntimeError, match=r"Conv1d|conv1d"):
        cr.nn.Conv1d(3, 4, 3)(cr.randn(2, 2, 8))
    with pytest.raises(ValueError, match="pad"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="pad"):
        F.pad(x, (-3, -3))
    with pytest.raises(ValueError, match="pad"):
        F.pad(x, (5, 0), mode="reflect")
    with pytest.raises(ValueError, match="pad"):
        F.pad(x, (1, 1), mode="wrap")


@pytest.mark.parametrize("padding", [0, 1])  # 0: wide column rows
@pytest.mark.parametrize("shape", [(64, 6, 12, 12), (3, 16, 66, 66)])
def test_conv_bits_do_not_depend_on_thread_count(shape: tuple, padding: int) -> None:
    # chunks of images run on different threads; dW adds their shares in chunk order
    _n, c, _h, _w = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    wt = rng.standard_normal((8, c, 5, 5)).astype(np.float32)
    threads = cr.get_num_threads()
    results = []
    try:
        for t in (1, 2):
            cr.set_num_threads(t)
            xc = cr.tensor(x, requires_grad=True)
            wc = cr.tensor(wt, requires_grad=True)
            y = F.conv2d(xc, wc, padding=padding)
            y.backward(cr.ones_like(y))
            results.append([y.detach().numpy(), xc.grad.numpy(), wc.grad.numpy()])
    finally:
        cr.set_num_threads(threads)
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    ("n", "padding", "stride", "dilation"),
    [(2, 1, 1, 1), (2, (2, 1), 2, 1), (2, "same", 1, (2, 1)), (1, 2, 1, 1), (1, "same", 1, 2)],
)
def test_padding_modes_vs_torch(
    mode: str, n: int, padding: Any, stride: int, dilation: Any
) -> None:
    torch.manual_seed(0)
    cls, tcls = (cr.nn.Conv2d, torch.nn.Conv2d) if n == 2 else (cr.nn.Conv1d, torch.nn.Conv1d)
    kw = dict(stride=stride, padding=padding, dilation=dilation, padding_mode=mode)
    tm = tcls(3, 4, 3, **kw).double()
    cm = cls(3, 4, 3, **kw).to(cr.float64)
    cm.load_state_dict({k: _c(v, grad=False) for k, v in tm.state_dict().items()})
    tx = torch.randn((2, 3, 7, 6) if n == 2 else (2, 3, 9), dtype=torch.float64, requires_grad=True)
    cx = _c(tx)
    ty, cy = tm(tx), cm(cx)
    _close(cy, ty, torch.float64)
    ty.sum().backward()
    cy.sum().backward()
    _close(cx.grad, tx.grad, torch.float64)
    _close(cm.weight.grad, tm.weight.grad, torch.float64)
    _close(cm.bias.grad, tm.bias.grad, torch.float64)
    assert repr(cm) == repr(tm)


def test_same_padding_even_kernel_reproducer() -> None:
    # issue #11: a 2x2 kernel pads only after (left 0, right 1); the unpadded path read past
    # the input instead and returned a wrong last row/column plus garbage
    y = F.conv2d(cr.ones(1, 1, 4, 4), cr.ones(1, 1, 2, 2), padding="same")
    expected = TF.conv2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2), padding="same")
    np.testing.assert_array_equal(y.numpy(), expected.numpy())
    y1 = F.conv1d(cr.ones(1, 1, 5), cr.ones(1, 1, 2), padding="same")
    np.testing.assert_array_equal(y1.numpy(), [[[2.0, 2.0, 2.0, 2.0, 1.0]]])


# (C, Co, groups): few output channels a group (the pointed-row forward), 32+ input channels
# a group (one GEMM per kernel tap), grouped, and more than 32 output channels (im2col)
SAME_CHANNELS = [(3, 2, 1), (32, 4, 1), (4, 6, 2), (2, 40, 1)]


def _same_vs_torch(n: int, x: Any, w: Any, b: Any, dilation: int) -> None:
    conv, tconv = (F.conv2d, TF.conv2d) if n == 2 else (F.conv1d, TF.conv1d)
    groups = x.shape[1] // w.shape[1]
    ty = tconv(x, w, b, padding="same", dilation=dilation, groups=groups)
    cx, cw, cb = _c(x), _c(w), _c(b)
    cy = conv(cx, cw, cb, padding="same", dilation=dilation, groups=groups)
    assert tuple(cy.shape) == tuple(ty.shape) == (x.shape[0], w.shape[0], *x.shape[2:])
    np.testing.assert_allclose(cy.detach().numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    gy = torch.randn_like(ty)
    gx, gw, gb = torch.autograd.grad(ty, (x, w, b), gy)
    cy.backward(_c(gy, False))
    for c, t in ((cx.grad, gx), (cw.grad, gw), (cb.grad, gb)):
        np.testing.assert_allclose(c.numpy(), t.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("channels", SAME_CHANNELS)
def test_conv2d_same_padding_every_kernel_vs_torch(channels: tuple, dilation: int) -> None:
    # every even/odd kernel size pair: even ones pad one more after than before, a 2-tap
    # kernel at dilation 1 only after
    C, Co, g = channels
    torch.manual_seed(3)
    for kh in range(1, 5):
        for kw in range(1, 5):
            x = torch.randn(2, C, 5, 6, dtype=torch.float64, requires_grad=True)
            w = torch.randn(Co, C // g, kh, kw, dtype=torch.float64, requires_grad=True)
            b = torch.randn(Co, dtype=torch.float64, requires_grad=True)
            _same_vs_torch(2, x, w, b, dilation)


@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("channels", SAME_CHANNELS)
def test_conv1d_same_padding_every_kernel_vs_torch(channels: tuple, dilation: int) -> None:
    C, Co, g = channels
    torch.manual_seed(4)
    for k in range(1, 5):
        x = torch.randn(2, C, 7, dtype=torch.float64, requires_grad=True)
        w = torch.randn(Co, C // g, k, dtype=torch.float64, requires_grad=True)
        b = torch.randn(Co, dtype=torch.float64, requires_grad=True)
        _same_vs_torch(1, x, w, b, dilation)


@pytest.mark.parametrize("kernel", [(2, 2), (2, 1), (1, 2), (4, 3)])
def test_conv2d_same_padding_float32_module(kernel: tuple) -> None:
    # the float32 module path with a batch big enough for several images a chunk
    torch.manual_seed(5)
    tm = torch.nn.Conv2d(3, 5, kernel, padding="same")
    cm = cr.nn.Conv2d(3, 5, kernel, padding="same")
    cm.load_state_dict({k: _c(v, False) for k, v in tm.state_dict().items()})
    x = torch.randn(9, 3, 8, 7, requires_grad=True)
    cx = _c(x)
    ty, cy = tm(x), cm(cx)
    _close(cy, ty, torch.float32)
    ty.sum().backward()
    cy.sum().backward()
    _close(cx.grad, x.grad, torch.float32)
    _close(cm.weight.grad, tm.weight.grad, torch.float32)
    _close(cm.bias.grad, tm.bias.grad, torch.float32)
