"""Embedding: a lookup table of learnable rows."""

from __future__ import annotations

from typing import Any

from chainrule import _C
from chainrule._args import check_tensor
from chainrule.autograd import no_grad
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn._functional_attention import PaddingIdxError
from chainrule.nn.modules.linear import _factory_dtype
from chainrule.nn.modules.module import Module
from chainrule.nn.parameter import Parameter

__all__ = ["Embedding"]

Tensor = _C.Tensor


class Embedding(Module):
    """Maps int64 indices to rows of ``weight`` (num_embeddings, embedding_dim), drawn from
    N(0, 1) as in PyTorch; the ``padding_idx`` row starts at zero and gets no gradient.

    Args:
        num_embeddings: size of the table.
        embedding_dim: size of each row.
        padding_idx: a row kept out of training (negative counts from the end).
        max_norm: rows looked up are renormalised in place to at most this norm.
        norm_type: the p of the p-norm for max_norm.
        scale_grad_by_freq: divide each row's gradient by its count in the batch.
        sparse: must be False (sparse gradients are not supported).
        _weight: an initial table of shape (num_embeddings, embedding_dim).
        _freeze: the weight does not require grad.

    Shapes:
        input ``(*)`` int64 -> output ``(*, embedding_dim)``.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise PaddingIdxError(
                    f"Embedding: padding_idx must be within num_embeddings; got padding_idx "
                    f"{padding_idx} for num_embeddings {num_embeddings}"
                )
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            dt = _factory_dtype(dtype, device)
            self.weight = Parameter(
                _C.empty((num_embeddings, embedding_dim), dtype=dt), requires_grad=not _freeze
            )
            self.reset_parameters()
        else:
            check_tensor("Embedding", "_weight", None, _weight)
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    f"Embedding: shape of _weight {tuple(_weight.shape)} does not match "
                    f"num_embeddings and embedding_dim {(num_embeddings, embedding_dim)}"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Re-draws the weight from N(0, 1) and zeroes the padding row."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        if self.sparse:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose table is ``embeddings`` (2-D); ``freeze`` keeps it fixed."""
        if embeddings.dim() != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings parameter is expected to be 2-dimensional;"
                f" got shape {tuple(embeddings.shape)}"
            )
        rows, cols = embeddings.shape
        return cls(
            num_embeddings=rows,
            embedding_dim=cols,
            _weight=embeddings,
            _freeze=freeze,
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
        )
