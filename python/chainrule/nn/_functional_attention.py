"""Functional lookup and attention: ``F.embedding``, ``F.one_hot``,
``F.scaled_dot_product_attention`` and ``F.multi_head_attention_forward``.

embedding and one_hot are C++ ops (``_C.embedding``, ``_C._nn.one_hot``). Attention without
dropout runs the fused C++ op ``_C._nn.scaled_dot_product_attention`` (one node, the
attention weights saved); with dropout, or a mask that needs a gradient, it is composed here
from matmul, softmax, where and dropout, so its gradients are theirs.
"""

from __future__ import annotations

import math
from typing import Any

from chainrule import _C
from chainrule._args import check_optional_tensor, check_tensor

__all__ = [
    "embedding",
    "multi_head_attention_forward",
    "one_hot",
    "scaled_dot_product_attention",
]

Tensor = _C.Tensor

# one_hot(tensor, num_classes=-1): int64 (*tensor.shape, num_classes).
one_hot = _C._nn.one_hot


class PaddingIdxError(ValueError, AssertionError):
    """A padding_idx outside the table: a ValueError, and an AssertionError as torch raises."""


def _check_qkv(op: str, query: Any, key: Any, value: Any) -> None:
    """TypeError naming the first of query, key, value that is not a Tensor (error path)."""
    for position, (name, v) in enumerate((("query", query), ("key", key), ("value", value))):
        check_tensor(op, name, position + 1, v)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the int64 ``input``.

    Args:
        input: int64 indices of any shape, each in ``[0, num_embeddings)`` (IndexError
            otherwise).
        weight: the table, 2-D.
        padding_idx: a row that gets no gradient (negative counts from the end).
        max_norm: rows picked by ``input`` whose ``norm_type``-norm exceeds it are rescaled
            in place (in ``weight``, without autograd) to norm ``max_norm``, as in PyTorch.
        norm_type: the p of the p-norm for ``max_norm``.
        scale_grad_by_freq: divide each row's gradient by its count in ``input``.
        sparse: not supported (sparse gradients); must be False.

    Returns:
        A tensor of shape ``(*input.shape, embedding_dim)``.
    """
    try:
        n = weight.shape[0] if weight.dim() >= 1 else 0
    except AttributeError:
        check_tensor("embedding", "weight", 2, weight)
        raise
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise PaddingIdxError(
                f"embedding: padding_idx must be within num_embeddings; got padding_idx "
                f"{padding_idx} for num_embeddings {n}"
            )
        if padding_idx < 0:
            padding_idx += n
    else:
        padding_idx = -1
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _C.embedding(weight, input, padding_idx, scale_grad_by_freq, sparse)


def _embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescales in place the rows of weight picked by input whose norm exceeds max_norm
    (PyTorch's embedding_renorm_: scale = max_norm / (norm + 1e-7))."""
    from chainrule.autograd import no_grad

    if weight.dim() != 2:
        raise ValueError(
            f"embedding: weight must be 2-D (num_embeddings, embedding_dim); got shape "
            f"{tuple(weight.shape)}"
        )
    idx = input.reshape(-1)
    if idx.numel() == 0:
        return
    with no_grad():
        rows = weight.index_select(0, idx)  # IndexError for bad indices, before any write
        if norm_type == math.inf:
            norms = rows.abs().amax(1)
        else:
            norms = (rows.abs() ** norm_type).sum(1) ** (1.0 / norm_type)
        scale = _C.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        # repeated indices write the same row (computed from the original) more than once
        weight[idx] = rows * scale.unsqueeze(1)


def _is_bool(t: Tensor) -> bool:
    return t.dtype == _C.dtype.bool


def _fusable(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None) -> bool:
    """Whether the fused C++ op computes this attention: non-empty float operands and a mask
    that is bool or of query's dtype and needs no gradient (else the composed path)."""
    if query.numel() == 0 or key.numel() == 0 or value.numel() == 0:
        return False
    if attn_mask is None:
        return True
    return not attn_mask.requires_grad and (_is_bool(attn_mask) or attn_mask.dtype == query.dtype)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value`` over the last two dims.

    Args:
        query: ``(*, L, E)``; key: ``(*, S, E)``; value: ``(*, S, Ev)``; leading dims
            broadcast.
        attn_mask: broadcastable to ``(*, L, S)``; bool (True = the position takes part)
            or float (added to the scores).
        dropout_p: dropout probability applied to the attention weights.
        is_causal: mask out positions ``j > i`` (top-left aligned); not with ``attn_mask``.
        scale: defaults to ``1 / sqrt(E)``.
        enable_gqa: key/value with fewer heads (dim -3) than query are repeated to match.

    Returns:
        ``(*, L, Ev)``. A row whose positions are all masked out is 0 (as PyTorch's CPU
        kernel), with no gradient.
    """
    op = "scaled_dot_product_attention"
    try:
        too_few_dims = query.dim() < 2 or key.dim() < 2 or value.dim() < 2
    except AttributeError:
        _check_qkv(op, query, key, value)
        raise
    check_optional_tensor(op, "attn_mask", 4, attn_mask)
    if too_few_dims:
        raise ValueError(
            f"{op}: query, key and value must have at least 2 dims; got shapes "
            f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
        )
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"{op}: expected query (*, L, E), key (*, S, E) and value (*, S, Ev); got shapes "
            f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
        )
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            f"{op}: expected query, key and value to have the same dtype; got "
            f"{query.dtype}, {key.dtype}, {value.dtype}"
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1]; got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            f"{op}: _scaled_dot_product_attention: Explicit attn_mask should "
            "not be set when is_causal=True"
        )
    if enable_gqa and query.dim() >= 3 and key.dim() >= 3:
        hq, hk = query.shape[-3], key.shape[-3]
        if hk != hq:
            if hq % hk != 0:
                raise RuntimeError(
                    f"{op}: with enable_gqa, query heads ({hq}) must be a multiple of key "
                    f"heads ({hk})"
                )
            key = key.repeat_interleave(hq // hk, dim=-3)
            value = value.repeat_interleave(hq // hk, dim=-3)
    L, S = query.shape[-2], key.shape[-2]
    if dropout_p == 0.0 and _fusable(query, key, value, attn_mask):
        return _C._nn.scaled_dot_product_attention(query, key, value, attn_mask, is_causal, scale)
    scores = _C.matmul(query, key.transpose(-2, -1))
    if query.shape[-1] > 0:  # E == 0: the scores are 0 whatever the scale (PyTorch scales q, k)
        scores = scores * (1.0 / math.sqrt(query.shape[-1]) if scale is None else scale)
    if is_causal:
        keep = _C.ones((L, S), dtype=_C.dtype.bool).tril()
        scores = scores.masked_fill(keep.logical_not(), float("-inf"))
    elif attn_mask is not None:
        if _is_bool(attn_mask):
            scores = _C.where(attn_mask, scores, float("-inf"))
        else:
            scores = scores + attn_mask
    if attn_mask is not None:
        # rows with every position masked out give 0 (as PyTorch's CPU kernel), not NaN, and
        # pass no gradient: their scores are replaced before the softmax, which never sees
        # an all -inf row
        dead = scores.amax(-1, keepdim=True) == float("-inf")
        scores = _C.where(dead, 0.0, scores)
        weights = _C.where(dead, 0.0, _C.softmax(scores, -1))
    else:
        weights = _C.softmax(scores, -1)
    if dropout_p > 0.0:
        weights = _C.dropout(weights, dropout_p, True)
    return _C.matmul(weights, value)


def _canonical_mask(mask: Tensor | None, name: str, target_dtype: Any) -> Tensor | None:
    """A bool mask (True = masked out) as a float mask with -inf there, else as given."""
    if mask is None:
        return None
    if _is_bool(mask):
        return _C.zeros(tuple(mask.shape), dtype=target_dtype).masked_fill(mask, float("-inf"))
    if mask.dtype != target_dtype:
        raise TypeError(
            f"multi_head_attention_forward: only bool and floating types of {name} are "
            f"supported; got {mask.dtype}"
        )
    return mask


def _key_padding_into(
    attn_mask: Tensor | None,
    key_padding_mask: Tensor | None,
    bsz: int,
    num_heads: int,
    src_len: int,
    op: str,
) -> Tensor | None:
    """attn_mask (N * H or 1, L, S) plus the float key_padding_mask (N, S) as (N * H, 1, S)."""
    if key_padding_mask is None:
        return attn_mask
    if tuple(key_padding_mask.shape) != (bsz, src_len):
        raise RuntimeError(
            f"{op}: expected key_padding_mask of shape {(bsz, src_len)}; got "
            f"{tuple(key_padding_mask.shape)}"
        )
    kpm = (
        key_padding_mask.reshape(bsz, 1, 1, src_len)
        .expand(bsz, num_heads, 1, src_len)
        .reshape(bsz * num_heads, 1, src_len)
    )
    return kpm if attn_mask is None else attn_mask + kpm


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """PyTorch's ``F.multi_head_attention_forward`` (sequence-first: ``(L, N, E)`` or
    unbatched ``(L, E)``). Returns ``(output, weights)``; weights are ``(N, L, S)`` averaged
    over heads, ``(N, H, L, S)`` otherwise, None when ``need_weights`` is False.
    """
    return _multi_head_attention(
        query,
        key,
        value,
        embed_dim_to_check,
        num_heads,
        in_proj_weight,
        in_proj_bias,
        bias_k,
        bias_v,
        add_zero_attn,
        dropout_p,
        out_proj_weight,
        out_proj_bias,
        training,
        key_padding_mask,
        need_weights,
        attn_mask,
        use_separate_proj_weight,
        q_proj_weight,
        k_proj_weight,
        v_proj_weight,
        static_k,
        static_v,
        average_attn_weights,
        is_causal,
        batch_first=False,
    )


def _multi_head_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool,
    key_padding_mask: Tensor | None,
    need_weights: bool,
    attn_mask: Tensor | None,
    use_separate_proj_weight: bool,
    q_proj_weight: Tensor | None,
    k_proj_weight: Tensor | None,
    v_proj_weight: Tensor | None,
    static_k: Tensor | None,
    static_v: Tensor | None,
    average_attn_weights: bool,
    is_causal: bool,
    batch_first: bool,
) -> tuple[Tensor, Tensor | None]:
    """multi_head_attention_forward; with ``batch_first`` the batched inputs and output are
    ``(N, L, E)``. That layout keeps the head split and merge around the fused attention as
    views (no copies) when the weights are not needed and there is no bias_k / zero row;
    otherwise the inputs are transposed to sequence-first and the output back."""
    op = "multi_head_attention_forward"
    if static_k is not None or static_v is not None:
        raise NotImplementedError(f"{op}: static_k / static_v are not supported")
    try:
        batched = query.dim() == 3
        bad_dims = (
            query.dim() not in (2, 3) or key.dim() != query.dim() or value.dim() != query.dim()
        )
    except AttributeError:
        _check_qkv(op, query, key, value)
        raise
    check_optional_tensor(op, "key_padding_mask", None, key_padding_mask)
    check_optional_tensor(op, "attn_mask", None, attn_mask)
    if bad_dims:
        raise ValueError(
            f"{op}: query, key and value must all be 3-D (batched) or 2-D (unbatched); got "
            f"shapes {tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}"
        )
    if batch_first and (
        not batched or need_weights or bias_k is not None or bias_v is not None or add_zero_attn
    ):
        # the general (sequence-first) path; keep the identities that select the fused
        # self-attention projection
        if batched:
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = query.transpose(1, 0), key.transpose(1, 0)
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        out, weights = _multi_head_attention(
            query,
            key,
            value,
            embed_dim_to_check,
            num_heads,
            in_proj_weight,
            in_proj_bias,
            bias_k,
            bias_v,
            add_zero_attn,
            dropout_p,
            out_proj_weight,
            out_proj_bias,
            training,
            key_padding_mask,
            need_weights,
            attn_mask,
            use_separate_proj_weight,
            q_proj_weight,
            k_proj_weight,
            v_proj_weight,
            static_k,
            static_v,
            average_attn_weights,
            is_causal,
            batch_first=False,
        )
        return (out.transpose(1, 0) if batched else out), weights
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    if batch_first:
        bsz, tgt_len, embed_dim = query.shape
        src_len = key.shape[1]
    else:
        tgt_len, bsz, embed_dim = query.shape
        src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise ValueError(
            f"{op}: was expecting embedding dimension of {embed_dim_to_check}; got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise ValueError(f"{op}: embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise ValueError(
            f"{op}: key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}"
        )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            f"{op}: Need attn_mask if specifying the is_causal hint. You may use the "
            "Transformer module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # sdpa's own causal mask
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)

    # ---- input projections
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise ValueError(f"{op}: in_proj_weight is None and use_separate_proj_weight is False")
        check_tensor(op, "in_proj_weight", None, in_proj_weight)
        check_optional_tensor(op, "in_proj_bias", None, in_proj_bias)
        if query is key and key is value:
            q, k, v = _C.linear(query, in_proj_weight, in_proj_bias).chunk(3, -1)
        else:
            w_q, w_k, w_v = in_proj_weight.chunk(3)
            b_q = b_k = b_v = None
            if in_proj_bias is not None:
                b_q, b_k, b_v = in_proj_bias.chunk(3)
            if key is value and b_k is not None and b_v is not None:
                q = _C.linear(query, w_q, b_q)
                k, v = _C.linear(key, _C.cat([w_k, w_v]), _C.cat([b_k, b_v])).chunk(2, -1)
            elif key is value:
                q = _C.linear(query, w_q, b_q)
                k, v = _C.linear(key, _C.cat([w_k, w_v])).chunk(2, -1)
            else:
                q, k, v = (
                    _C.linear(query, w_q, b_q),
                    _C.linear(key, w_k, b_k),
                    _C.linear(value, w_v, b_v),
                )
    else:
        b_q = b_k = b_v = None
        if in_proj_bias is not None:
            b_q, b_k, b_v = in_proj_bias.chunk(3)
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ValueError(f"{op}: use_separate_proj_weight needs q/k/v_proj_weight")
        q = _C.linear(query, q_proj_weight, b_q)
        k = _C.linear(key, k_proj_weight, b_k)
        v = _C.linear(value, v_proj_weight, b_v)

    # ---- masks to (N * H or 1, L, S)
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"{op}: The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but "
                    f"should be {(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"{op}: The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but "
                    f"should be {(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"{op}: attn_mask's dimension {attn_mask.dim()} is not supported")

    if batch_first:
        # (N, L, E) -> (N, H, L, hd): views of the projections (the fused attention reads
        # them through their strides and lays its output out as (N, L, H, hd))
        q = q.reshape(bsz, tgt_len, num_heads, head_dim).transpose(1, 2)
        k = k.reshape(bsz, src_len, num_heads, head_dim).transpose(1, 2)
        v = v.reshape(bsz, src_len, num_heads, head_dim).transpose(1, 2)
        attn_mask = _key_padding_into(attn_mask, key_padding_mask, bsz, num_heads, src_len, op)
        if not training:
            dropout_p = 0.0
        if attn_mask is not None:
            if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
                attn_mask = attn_mask.unsqueeze(0)
            else:
                attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
        out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
        out = out.transpose(1, 2).reshape(bsz, tgt_len, embed_dim)
        return _C.linear(out, out_proj_weight, out_proj_bias), None

    if bias_k is not None and bias_v is not None:
        k = _C.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = _C.cat([v, bias_v.expand(1, bsz, embed_dim)])
        if attn_mask is not None:
            attn_mask = _C.cat(
                [
                    attn_mask,
                    _C.zeros((attn_mask.shape[0], attn_mask.shape[1], 1), dtype=attn_mask.dtype),
                ],
                2,
            )
        if key_padding_mask is not None:
            key_padding_mask = _C.cat(
                [
                    key_padding_mask,
                    _C.zeros((key_padding_mask.shape[0], 1), dtype=key_padding_mask.dtype),
                ],
                1,
            )

    # (L, N, E) -> (N * H, L, hd)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)

    if add_zero_attn:
        k = _C.cat([k, _C.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype)], 1)
        v = _C.cat([v, _C.zeros((bsz * num_heads, 1, head_dim), dtype=v.dtype)], 1)
        if attn_mask is not None:
            attn_mask = _C.cat(
                [
                    attn_mask,
                    _C.zeros((attn_mask.shape[0], attn_mask.shape[1], 1), dtype=attn_mask.dtype),
                ],
                2,
            )
        if key_padding_mask is not None:
            key_padding_mask = _C.cat(
                [
                    key_padding_mask,
                    _C.zeros((key_padding_mask.shape[0], 1), dtype=key_padding_mask.dtype),
                ],
                1,
            )
    src_len = k.shape[1]

    attn_mask = _key_padding_into(attn_mask, key_padding_mask, bsz, num_heads, src_len, op)

    if not training:
        dropout_p = 0.0

    if need_weights:
        scores = _C.matmul(q * math.sqrt(1.0 / head_dim), k.transpose(-2, -1))
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = _C.softmax(scores, -1)
        if dropout_p > 0.0:
            weights = _C.dropout(weights, dropout_p, True)
        out = _C.matmul(weights, v)  # (N * H, L, hd)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = _C.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            out = out.squeeze(1)
            weights = weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = _C.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not batched:
        out = out.squeeze(1)
    return out, None
