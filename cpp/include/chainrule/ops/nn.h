// Layer ops: fused linear (GEMM + bias) and dropout.
#pragma once
#include <optional>

#include "chainrule/generator.h"
#include "chainrule/tensor.h"

namespace chainrule {

// y = x @ weight^T + bias.   x: (*, in)  weight: (out, in)  bias: (out) or undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// Zeroes each element with probability p and scales the rest by 1 / (1 - p). Returns x
// itself when !train or p == 0 (as PyTorch does).
Tensor dropout(const Tensor& x, double p, bool train, Generator* gen = nullptr);

}  // namespace chainrule
