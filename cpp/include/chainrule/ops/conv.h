// Convolutions (im2col + GEMM) and padding.
#pragma once
#include <string>
#include <vector>

#include "chainrule/tensor.h"

namespace chainrule {

// N-d convolution over the last 1 or 2 dims (conv1d / conv2d), cross-correlation as in torch.
//   input (N, C, *spatial) or unbatched (C, *spatial); weight (O, C / groups, *kernel);
//   bias (O) or undefined. stride, dilation: one value per spatial dim (>= 1);
//   pad_lo, pad_hi: zero padding before / after each spatial dim (>= 0).
// `op` names the op in error messages ("conv1d", "conv2d").
Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias,
                   const std::vector<int64_t>& stride, const std::vector<int64_t>& pad_lo,
                   const std::vector<int64_t>& pad_hi, const std::vector<int64_t>& dilation,
                   int64_t groups, const char* op);

// Pads the last len(pad)/2 dims: pad = (last_lo, last_hi, prev_lo, prev_hi, ...); negative
// pads crop. mode: "constant" (any number of dims), "reflect", "replicate", "circular"
// (the last 1 or 2 dims of a 2-4 d input).
Tensor pad(const Tensor& input, const std::vector<int64_t>& pad,
           const std::string& mode = "constant", double value = 0.0);

}  // namespace chainrule
