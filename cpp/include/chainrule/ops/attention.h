// Fused scaled dot-product attention (the math of F.scaled_dot_product_attention without
// dropout): one pass per batch-head over the GEMM kernels, saving the attention weights.
#pragma once
#include <optional>

#include "chainrule/tensor.h"

namespace chainrule {

// out = softmax(scale * q @ k^T + mask) @ v over the last two dims.
// q: (*, L, E), k: (*, S, E), v: (*, S, Ev); leading dims broadcast (to B*). Same floating
// dtype. attn_mask (optional, undefined = none): bool (True = takes part) or q's dtype
// (added), broadcastable to (B*, L, S); not with is_causal (top-left causal mask).
// scale defaults to 1 / sqrt(E). A row whose positions are all masked out gives 0 and passes
// no gradient. The attn_mask gets no gradient (the Python caller composes the op instead).
// A 4-D result is laid out as (B, L, H, Ev) in memory and returned as the (B, H, L, Ev)
// transposed view (as PyTorch's CPU kernel), so merging heads afterwards is a view.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& attn_mask, bool is_causal,
                                    std::optional<double> scale);

}  // namespace chainrule
