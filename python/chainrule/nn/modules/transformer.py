"""TransformerEncoderLayer, with PyTorch's submodule names and state-dict keys.

Composed from MultiheadAttention, Linear, LayerNorm and Dropout; its gradients are theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Union

from chainrule import _C
from chainrule._args import check_tensor
from chainrule.nn import functional as F
from chainrule.nn.modules.activation import GELU, ReLU
from chainrule.nn.modules.attention import MultiheadAttention
from chainrule.nn.modules.linear import Dropout, Linear, _factory_dtype
from chainrule.nn.modules.module import Module
from chainrule.nn.modules.normalization import LayerNorm

__all__ = ["TransformerEncoderLayer"]

Tensor = _C.Tensor

_Activation = Union[str, Callable[[Tensor], Tensor]]


def _get_activation_fn(activation: str) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(
        f"TransformerEncoderLayer: activation should be relu/gelu, not {activation!r}"
    )


class TransformerEncoderLayer(Module):
    """One transformer encoder block: self-attention then a feed-forward network, each
    wrapped in a residual connection and a LayerNorm (Vaswani et al. 2017).

    Post-norm (``norm_first=False``, the paper's)::

        x = norm1(x + dropout1(self_attn(x)))
        x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

    Pre-norm (``norm_first=True``)::

        x = x + dropout1(self_attn(norm1(x)))
        x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))

    Args:
        d_model: the model width E (divisible by ``nhead``).
        nhead: number of attention heads.
        dim_feedforward: hidden width of the feed-forward network. Default: 2048.
        dropout: dropout probability (attention weights, the feed-forward hidden layer and
            both residual branches). Default: 0.1.
        activation: ``"relu"``, ``"gelu"`` or a callable (e.g. ``F.gelu`` or a Module).
            Default: ``"relu"``.
        layer_norm_eps: eps of both LayerNorms. Default: 1e-5.
        batch_first: inputs and output are ``(N, S, E)`` instead of ``(S, N, E)``.
        norm_first: pre-norm instead of post-norm. Default: False.
        bias: biases in the Linear layers, the attention and the LayerNorms. Default: True.
        dtype: ``cr.float32`` (default) or ``cr.float64``.

    Submodules (PyTorch's names, so state dicts move between the two): ``self_attn``,
    ``linear1``, ``dropout``, ``linear2``, ``norm1``, ``norm2``, ``dropout1``, ``dropout2``
    (and ``activation`` when it is a Module).

    Shapes:
        src ``(S, N, E)`` (``(N, S, E)`` with ``batch_first``) or unbatched ``(S, E)`` ->
        output of the same shape. ``src_mask`` ``(S, S)`` or ``(N * nhead, S, S)``, bool
        (True = may NOT attend) or float (added to the scores); ``src_key_padding_mask``
        ``(N, S)`` (``(S,)`` unbatched), True (or -inf) at padding positions.

    Example:
        >>> import chainrule as cr
        >>> layer = cr.nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> layer(cr.randn(10, 2, 16)).shape
        (10, 2, 16)
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: _Activation = "relu",
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        dt = _factory_dtype(dtype, device)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, dtype=dt
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dt)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dt)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dt)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dt)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        elif not callable(activation):
            raise TypeError(
                f"TransformerEncoderLayer: activation must be 'relu', 'gelu' or a callable; "
                f"got {type(activation).__name__}"
            )
        # PyTorch's tag for its fused path: 1 relu, 2 gelu, 0 anything else
        if activation is F.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        """Args:
            src: ``(S, N, E)``, ``(N, S, E)`` with ``batch_first``, or unbatched ``(S, E)``.
            src_mask: ``(S, S)`` or ``(N * nhead, S, S)`` attention mask.
            src_key_padding_mask: ``(N, S)`` (``(S,)`` unbatched) padding mask.
            is_causal: a hint that ``src_mask`` is the causal mask (which must be given).

        Returns:
            A tensor of ``src``'s shape.
        """
        d_model = self.self_attn.embed_dim
        try:
            bad_shape = src.dim() not in (2, 3) or src.shape[-1] != d_model
        except AttributeError:
            check_tensor("TransformerEncoderLayer", "src", 1, src)
            raise
        if bad_shape:
            raise ValueError(
                f"TransformerEncoderLayer: expected src of shape (S, N, {d_model}), "
                f"(N, S, {d_model}) or (S, {d_model}); got {tuple(src.shape)}"
            )
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(
        self,
        x: Tensor,
        attn_mask: Tensor | None,
        key_padding_mask: Tensor | None,
        is_causal: bool,
    ) -> Tensor:
        out = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return self.dropout1(out)  # type: ignore[no-any-return]

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)  # type: ignore[no-any-return]
