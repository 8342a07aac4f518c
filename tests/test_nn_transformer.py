"""TransformerEncoderLayer against torch with copied weights: outputs, input grads, every
parameter grad (float32 and float64), post-/pre-norm, relu/gelu/callable activations,
batch_first, masks, unbatched input, dropout train/eval, errors, gradcheck.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

DTYPES = [(cr.float32, torch.float32, 1e-5), (cr.float64, torch.float64, 1e-10)]


def _np(t: Any) -> np.ndarray:
    return np.asarray(
        t.detach().numpy() if isinstance(t, torch.Tensor) else cr.Tensor.numpy(t.detach())
    )


def _close(a: Any, b: Any, tol: float) -> None:
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol * 10, atol=tol)


def _activation_pair(name: str) -> tuple[Any, Any]:
    if name in ("relu", "gelu"):
        return name, name
    if name == "F.gelu":
        return F.gelu, TF.gelu
    if name == "GELU(tanh)":
        return nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")
    assert name == "lambda"
    return (lambda x: F.silu(x)), (lambda x: TF.silu(x))


def _layer_pair(crd: Any, td: Any, activation: str = "relu", **kw: Any) -> tuple[Any, Any]:
    kw = {"d_model": 8, "nhead": 2, "dim_feedforward": 12, "dropout": 0.0, **kw}
    ca, ta = _activation_pair(activation)
    torch.manual_seed(0)
    tm = torch.nn.TransformerEncoderLayer(activation=ta, dtype=td, **kw)
    cm = nn.TransformerEncoderLayer(activation=ca, dtype=crd, **kw)
    # non-trivial biases and LayerNorm affine parameters, so their grads and uses count
    with torch.no_grad():
        for name, p in tm.named_parameters():
            if p.dim() == 1:
                p.copy_(torch.randn_like(p) * 0.5 + (1.0 if name.endswith("weight") else 0.0))
    assert list(cm.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in cm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    cm.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return cm, tm


def _case(
    crd: Any,
    td: Any,
    tol: float,
    shape: tuple,
    activation: str = "relu",
    masks: dict | None = None,
    fwd: dict | None = None,
    **kw: Any,
) -> None:
    cm, tm = _layer_pair(crd, td, activation, **kw)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    xc = cr.tensor(x, dtype=crd, requires_grad=True)
    xt = torch.tensor(x, dtype=td, requires_grad=True)
    cmask: dict = {}
    tmask: dict = {}
    for name, a in (masks or {}).items():
        dt = (cr.bool, torch.bool) if a.dtype == bool else (crd, td)
        cmask[name], tmask[name] = cr.tensor(a, dtype=dt[0]), torch.tensor(a, dtype=dt[1])
    yc = cm(xc, **cmask, **(fwd or {}))
    yt = tm(xt, **tmask, **(fwd or {}))
    assert yc.shape == tuple(yt.shape)
    _close(yc, yt, tol)
    g = rng.standard_normal(yt.shape)
    yc.backward(cr.tensor(g, dtype=crd))
    yt.backward(torch.tensor(g, dtype=td))
    _close(xc.grad, xt.grad, tol)
    tp = dict(tm.named_parameters())
    for name, p in cm.named_parameters():
        assert p.grad is not None, name
        _close(p.grad, tp[name].grad, tol)


@pytest.mark.parametrize(("crd", "td", "tol"), DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "F.gelu", "GELU(tanh)", "lambda"])
def test_encoder_layer_vs_torch(
    crd: Any, td: Any, tol: float, norm_first: bool, batch_first: bool, activation: str
) -> None:
    shape = (3, 5, 8) if batch_first else (5, 3, 8)
    _case(crd, td, tol, shape, activation, norm_first=norm_first, batch_first=batch_first)


@pytest.mark.parametrize(("crd", "td", "tol"), DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_masks_vs_torch(crd: Any, td: Any, tol: float, norm_first: bool) -> None:
    S, N = 5, 3
    rng = np.random.default_rng(11)
    kw = {"norm_first": norm_first, "batch_first": True}
    shape = (N, S, 8)
    bool_mask = rng.random((S, S)) > 0.6
    bool_mask[:, 0] = False
    kpm = rng.random((N, S)) > 0.6
    kpm[:, 1] = False
    _case(crd, td, tol, shape, masks={"src_mask": bool_mask}, **kw)
    _case(crd, td, tol, shape, masks={"src_mask": rng.standard_normal((S, S))}, **kw)
    _case(crd, td, tol, shape, masks={"src_key_padding_mask": kpm}, **kw)
    _case(crd, td, tol, shape, masks={"src_mask": bool_mask, "src_key_padding_mask": kpm}, **kw)
    _case(
        crd,
        td,
        tol,
        shape,
        masks={
            "src_mask": rng.standard_normal((S, S)),
            "src_key_padding_mask": np.where(kpm, -np.inf, 0.0),
        },
        **kw,
    )
    _case(crd, td, tol, shape, masks={"src_mask": rng.standard_normal((N * 2, S, S))}, **kw)
    causal = np.triu(np.ones((S, S), dtype=bool), 1)
    _case(crd, td, tol, shape, masks={"src_mask": causal}, fwd={"is_causal": True}, **kw)
    causal_f = np.where(causal, -np.inf, 0.0)
    _case(crd, td, tol, shape, masks={"src_mask": causal_f}, fwd={"is_causal": True}, **kw)
    _case(
        crd,
        td,
        tol,
        shape,
        masks={"src_mask": causal, "src_key_padding_mask": kpm},
        fwd={"is_causal": True},
        **kw,
    )


@pytest.mark.parametrize(("crd", "td", "tol"), DTYPES)
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_unbatched_and_options_vs_torch(
    crd: Any, td: Any, tol: float, batch_first: bool
) -> None:
    _case(crd, td, tol, (5, 8), batch_first=batch_first)
    _case(
        crd,
        td,
        tol,
        (5, 8),
        norm_first=True,
        batch_first=batch_first,
        masks={"src_key_padding_mask": np.array([False, False, True, False, True])},
    )
    _case(crd, td, tol, (4, 2, 8), bias=False, batch_first=batch_first)
    _case(crd, td, tol, (4, 2, 8), layer_norm_eps=1e-2, nhead=4, batch_first=batch_first)


def test_encoder_layer_defaults_and_attributes() -> None:
    cm = nn.TransformerEncoderLayer(16, 4)
    tm = torch.nn.TransformerEncoderLayer(16, 4)
    assert [(n, tuple(p.shape)) for n, p in cm.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in tm.named_parameters()
    ]
    assert cm.linear1.out_features == 2048
    assert cm.dropout.p == cm.dropout1.p == cm.dropout2.p == cm.self_attn.dropout == 0.1
    assert cm.norm1.eps == 1e-5
    assert cm.norm_first is False
    assert cm.self_attn.batch_first is False
    assert cm.activation is F.relu
    assert cm.activation_relu_or_gelu == tm.activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(16, 4, activation="gelu").activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(16, 4, activation=nn.GELU()).activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(16, 4, activation=F.silu).activation_relu_or_gelu == 0
    # a Module activation is a submodule (no parameters, so no state-dict keys)
    m = nn.TransformerEncoderLayer(16, 4, activation=nn.GELU())
    assert "activation" in dict(m.named_children())
    assert list(m.state_dict()) == list(tm.state_dict())
    m64 = nn.TransformerEncoderLayer(16, 4, dtype=cr.float64)
    assert all(p.dtype == cr.float64 for p in m64.parameters())


def test_encoder_layer_dropout_train_eval() -> None:
    cr.manual_seed(0)
    m = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.3, batch_first=True)
    x = cr.randn(2, 6, 8)
    m.train()
    a, b = m(x), m(x)
    assert not np.allclose(_np(a), _np(b))
    m.eval()
    c, d = m(x), m(x)
    np.testing.assert_array_equal(_np(c), _np(d))
    # eval output equals the dropout-free layer's
    m0 = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
    m0.load_state_dict(m.state_dict())
    np.testing.assert_allclose(_np(c), _np(m0(x)), rtol=1e-6, atol=1e-6)
    # training with dropout still backpropagates into every parameter
    m.train()
    m(x).sum().backward()
    assert all(p.grad is not None for p in m.parameters())


def test_encoder_layer_errors() -> None:
    with pytest.raises(ValueError, match="divisible"):
        nn.TransformerEncoderLayer(10, 3)
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(TypeError, match="TransformerEncoderLayer"):
        nn.TransformerEncoderLayer(8, 2, activation=3)  # type: ignore[arg-type]
    m = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer.*\(5, 2, 7\)"):
        m(cr.randn(5, 2, 7))
    with pytest.raises(ValueError, match="TransformerEncoderLayer"):
        m(cr.randn(8))
    with pytest.raises(ValueError, match="TransformerEncoderLayer"):
        m(cr.randn(1, 5, 2, 8))
    x = cr.randn(5, 2, 8)
    with pytest.raises(RuntimeError, match="is_causal"):
        m(x, is_causal=True)
    with pytest.raises(RuntimeError, match="attn_mask"):
        m(x, src_mask=cr.zeros(4, 4))
    with pytest.raises(RuntimeError, match="key_padding_mask"):
        m(x, src_key_padding_mask=cr.zeros(2, 4, dtype=cr.bool))


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_gradcheck(norm_first: bool) -> None:
    cr.manual_seed(0)
    m = nn.TransformerEncoderLayer(
        4,
        2,
        dim_feedforward=8,
        dropout=0.0,
        activation="gelu",
        norm_first=norm_first,
        dtype=cr.float64,
    )
    rng = np.random.default_rng(0)
    x = cr.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    causal = cr.tensor(np.triu(np.ones((3, 3), dtype=bool), 1))
    assert cr.autograd.gradcheck(lambda a: m(a), (x,))
    assert cr.autograd.gradcheck(lambda a: m(a, src_mask=causal, is_causal=True), (x,))
    # gradients w.r.t. the weights too, through the functional form of the parameters
    w = m.linear1.weight
    assert cr.autograd.gradcheck(lambda a, _w: m(a), (x, w))
