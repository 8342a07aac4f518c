// Activation functions (leaky_relu, elu, selu, celu, gelu, silu, mish, softplus, hardtanh,
// relu6, hardsigmoid, hardswish, logsigmoid) and their in-place forms. relu, sigmoid, tanh,
// softmax and log_softmax are declared with the elementwise and reduction ops.
#pragma once
#include <string>

#include "chainrule/tensor.h"

namespace chainrule {

// All take floating-point tensors (TypeError otherwise, as PyTorch's kernels refuse integer
// inputs) and return a tensor of the input's dtype; hardtanh and relu6 also accept int64.
// The in-place forms write into self, bump its version and reject leaves that require grad.

Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor& leaky_relu_(Tensor& self, double negative_slope = 0.01);

// elu(x) = scale * (x > 0 ? x : alpha * (exp(input_scale * x) - 1)); selu and celu are elu
// with fixed scales (PyTorch's parametrisation).
Tensor elu(const Tensor& x, double alpha = 1.0, double scale = 1.0, double input_scale = 1.0);
Tensor& elu_(Tensor& self, double alpha = 1.0, double scale = 1.0, double input_scale = 1.0);
Tensor selu(const Tensor& x);
Tensor& selu_(Tensor& self);
Tensor celu(const Tensor& x, double alpha = 1.0);  // ValueError for alpha == 0
Tensor& celu_(Tensor& self, double alpha = 1.0);

// approximate: "none" (erf form) or "tanh"; anything else is a ValueError.
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
Tensor silu(const Tensor& x);
Tensor& silu_(Tensor& self);
Tensor mish(const Tensor& x);
Tensor& mish_(Tensor& self);
// log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor logsigmoid(const Tensor& x);

// clamp(x, min_val, max_val) with PyTorch's hardtanh gradient (0 at the bounds).
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
Tensor& hardtanh_(Tensor& self, double min_val = -1.0, double max_val = 1.0);
Tensor relu6(const Tensor& x);
Tensor& relu6_(Tensor& self);
Tensor hardsigmoid(const Tensor& x);
Tensor& hardsigmoid_(Tensor& self);
Tensor hardswish(const Tensor& x);
Tensor& hardswish_(Tensor& self);

}  // namespace chainrule
