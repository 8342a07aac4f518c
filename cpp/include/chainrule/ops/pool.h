// 2-D pooling over the last two dims of (N, C, H, W) or unbatched (C, H, W) inputs.
#pragma once
#include <array>
#include <optional>
#include <utility>

#include "chainrule/tensor.h"

namespace chainrule {

using Pool2 = std::array<int64_t, 2>;  // (h, w)

// Returns (output, indices): indices are flat positions h * W + w in each input plane (int64).
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, Pool2 kernel, Pool2 stride,
                                                  Pool2 padding, Pool2 dilation, bool ceil_mode);

Tensor avg_pool2d(const Tensor& x, Pool2 kernel, Pool2 stride, Pool2 padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override);

Tensor adaptive_avg_pool2d(const Tensor& x, Pool2 output_size);

}  // namespace chainrule
