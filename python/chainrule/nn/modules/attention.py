"""MultiheadAttention, with PyTorch's parameters and state-dict keys."""

from __future__ import annotations

from typing import Any

from chainrule import _C
from chainrule.nn import _functional_attention as F
from chainrule.nn import init
from chainrule.nn.modules.linear import Linear, _factory_dtype
from chainrule.nn.modules.module import Module
from chainrule.nn.parameter import Parameter

__all__ = ["MultiheadAttention"]

Tensor = _C.Tensor


class NonDynamicallyQuantizableLinear(Linear):
    """Linear under PyTorch's name for MultiheadAttention.out_proj."""


class MultiheadAttention(Module):
    """Multi-head attention: ``out_proj(concat_h(softmax(q_h k_h^T / sqrt(hd) + mask) v_h))``.

    Args:
        embed_dim: model width E (divisible by num_heads).
        num_heads: number of heads H.
        dropout: dropout on the attention weights (training only).
        bias: input and output projection biases.
        add_bias_kv: learn a bias row appended to key and value.
        add_zero_attn: append a zero row to key and value.
        kdim, vdim: key / value widths (default E; separate q/k/v weights when they differ).
        batch_first: inputs and output are (N, L, E) instead of (L, N, E).

    Parameters (PyTorch's names): ``in_proj_weight`` (3E, E) or ``q_proj_weight``,
    ``k_proj_weight``, ``v_proj_weight``; ``in_proj_bias`` (3E); ``bias_k``, ``bias_v``
    (1, 1, E); ``out_proj.weight``, ``out_proj.bias``.

    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) returns ``(output, weights)``; bool masks are
    True where a position is NOT allowed to attend (PyTorch's convention here), float masks
    are added to the scores.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"MultiheadAttention: embed_dim and num_heads must be greater than 0; got "
                f"embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        dt = _factory_dtype(dtype, device)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise ValueError(
                f"MultiheadAttention: embed_dim must be divisible by num_heads; got "
                f"embed_dim={embed_dim} and num_heads={num_heads}"
            )
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(_C.empty((embed_dim, embed_dim), dtype=dt))
            self.k_proj_weight = Parameter(_C.empty((embed_dim, self.kdim), dtype=dt))
            self.v_proj_weight = Parameter(_C.empty((embed_dim, self.vdim), dtype=dt))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(_C.empty((3 * embed_dim, embed_dim), dtype=dt))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(_C.empty((3 * embed_dim,), dtype=dt))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dt)
        if add_bias_kv:
            self.bias_k = Parameter(_C.empty((1, 1, embed_dim), dtype=dt))
            self.bias_v = Parameter(_C.empty((1, 1, embed_dim), dtype=dt))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        return F._multi_head_attention(
            query,
            key,
            value,
            self.embed_dim,
            self.num_heads,
            self.in_proj_weight,
            self.in_proj_bias,
            self.bias_k,
            self.bias_v,
            self.add_zero_attn,
            self.dropout,
            self.out_proj.weight,
            self.out_proj.bias,
            self.training,
            key_padding_mask,
            need_weights,
            attn_mask,
            not self._qkv_same_embed_dim,
            self.q_proj_weight,
            self.k_proj_weight,
            self.v_proj_weight,
            None,
            None,
            average_attn_weights,
            is_causal,
            batch_first=self.batch_first,
        )
