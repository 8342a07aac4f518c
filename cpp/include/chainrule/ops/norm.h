// Normalisation layers: layer_norm and batch_norm, each one fused forward and one fused backward.
#pragma once
#include <vector>

#include "chainrule/tensor.h"

namespace chainrule {

// y = (x - mean) * rstd * weight + bias over the trailing dims normalized_shape.
// weight / bias: normalized_shape or undefined.
Tensor layer_norm(const Tensor& x, const std::vector<int64_t>& normalized_shape,
                  const Tensor& weight = Tensor(), const Tensor& bias = Tensor(),
                  double eps = 1e-5);

// x: (N, C, *). training: batch statistics per channel, and running_mean / running_var
// (when defined) updated in place: r = (1 - momentum) * r + momentum * stat (unbiased var).
// Not training: running statistics.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps);

}  // namespace chainrule
