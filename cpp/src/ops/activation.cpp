// Activation functions and their in-place forms. Each one is a formula struct of
// kernels/elementwise/formulas.h (forward, derivative and what that reads; the math is
// repeated in the comment above each op here) wired by unary_op/unary_op_
// (pointwise_unary.h), which decide what the node saves; contiguous float tensors go
// through the per-ISA kernel table.
// relu, sigmoid and tanh live in elementwise_unary.cpp, softmax/log_softmax in softmax.cpp.
// Formulas (and their values at kinks, NaN and infinities) follow PyTorch's CPU kernels.
// Integer inputs raise (PyTorch's activation kernels are float-only too), but for hardtanh.
#include "pointwise_unary.h"

namespace chainrule {

using detail::unary_op;
using detail::unary_op_;
using kernels::Unary;
using kernels::UnaryParams;

namespace {

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

}  // namespace

// ---- leaky_relu --------------------------------------------------------------
// y = x > 0 ? x : slope * x      dx = x > 0 ? dy : slope * dy
// NOTE: at x = 0 the gradient is slope (PyTorch's choice); NaN gives NaN and a slope gradient.
// In place (LeakyReluBackward1) the output is saved instead: for slope >= 0, y > 0 iff x > 0.
// PyTorch refuses that backward for a negative slope; here the input is saved instead.
Tensor leaky_relu(const Tensor& x, double negative_slope) {
    return unary_op<Unary::LeakyRelu>(x, "leaky_relu", "LeakyReluBackward0",
                                      {negative_slope, 0, 0});
}

Tensor& leaky_relu_(Tensor& self, double negative_slope) {
    const UnaryParams p{negative_slope, 0, 0};
    if (negative_slope >= 0) {
        return unary_op_<Unary::LeakyReluOut>(self, "leaky_relu_", "LeakyReluBackward1", p);
    }
    return unary_op_<Unary::LeakyRelu>(self, "leaky_relu_", "LeakyReluBackward1", p);
}

// ---- elu / selu / celu --------------------------------------------------------
// y = x > 0 ? scale * x : alpha * scale * (exp(input_scale * x) - 1)
// dx = x > 0 ? dy * scale : dy * input_scale * alpha * scale * exp(input_scale * x)
//    = dy * input_scale * (y + alpha * scale)  in terms of the output (the in-place forms)
// selu: alpha = 1.6732..., scale = 1.0507... (EluBackward0); celu: input_scale = 1/alpha.
// NOTE: x = 0 takes the exponential branch (gradient alpha * scale * input_scale); NaN gives
// a NaN gradient, as PyTorch's vectorised kernel does.
namespace {
// p0 = alpha * scale, p1 = scale, p2 = input_scale.
Tensor elu_impl(const Tensor& x, UnaryParams p, const char* op, const char* name) {
    return unary_op<Unary::Elu>(x, op, name, p);
}

Tensor& elu_impl_(Tensor& self, UnaryParams p, const char* op, const char* name) {
    // The output determines the input only when alpha * scale >= 0 (and scale > 0): then the
    // derivative from the output (EluOut, no copy), else from a copy of the input.
    if (p.p0 >= 0 && p.p1 > 0) return unary_op_<Unary::EluOut>(self, op, name, p);
    return unary_op_<Unary::Elu>(self, op, name, p);
}

UnaryParams celu_params(double alpha, const char* op) {
    CR_CHECK(alpha != 0, ValueError, op,
             ": alpha cannot be 0 (CELU divides by it); got alpha=", alpha);
    return {alpha, 1.0, 1.0 / alpha};
}
}  // namespace

Tensor elu(const Tensor& x, double alpha, double scale, double input_scale) {
    return elu_impl(x, {alpha * scale, scale, input_scale}, "elu", "EluBackward0");
}
Tensor& elu_(Tensor& self, double alpha, double scale, double input_scale) {
    return elu_impl_(self, {alpha * scale, scale, input_scale}, "elu_", "EluBackward1");
}
Tensor selu(const Tensor& x) {
    return elu_impl(x, {kSeluAlpha * kSeluScale, kSeluScale, 1.0}, "selu", "EluBackward0");
}
Tensor& selu_(Tensor& self) {
    return elu_impl_(self, {kSeluAlpha * kSeluScale, kSeluScale, 1.0}, "selu_", "EluBackward1");
}
Tensor celu(const Tensor& x, double alpha) {
    return elu_impl(x, celu_params(alpha, "celu"), "celu", "CeluBackward0");
}
Tensor& celu_(Tensor& self, double alpha) {
    return elu_impl_(self, celu_params(alpha, "celu_"), "celu_", "CeluBackward1");
}

// ---- gelu ----------------------------------------------------------------------
// none: y = x * Phi(x) = x/2 * (1 + erf(x / sqrt(2)))
//       dx = dy * (Phi(x) + x * exp(-x^2/2) / sqrt(2 pi))
// tanh: y = x/2 * (1 + tanh(u)),  u = sqrt(2/pi) * (x + 0.044715 x^3)
//       dx = dy * (1/2 (1 + tanh(u)) + x/2 (1 - tanh(u)^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2))
//       computed with s = (1 + tanh(u)) / 2 = sigmoid(2u) = 1 / (1 + exp(-2u)):
//       y = x * s,  dx = dy * (s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2))
//       (one exp instead of a tanh, and no cancellation in 1 + tanh(u) for u << 0).
// Both saturate cleanly for large |x| (erf reaches +-1, exp(-x^2/2) and exp(-2u) reach 0 or
// inf, giving y = 0 or x).
Tensor gelu(const Tensor& x, const std::string& approximate) {
    const bool tanh_form = approximate == "tanh";
    CR_CHECK(tanh_form || approximate == "none", ValueError,
             "gelu: approximate must be 'none' or 'tanh'; got '", approximate, "'");
    return tanh_form ? unary_op<Unary::GeluTanh>(x, "gelu", "GeluBackward0")
                     : unary_op<Unary::GeluErf>(x, "gelu", "GeluBackward0");
}

// ---- silu ------------------------------------------------------------------------
// y = x * sigmoid(x) = x / (1 + exp(-x))
// dx = dy * sigmoid(x) * (1 + x * (1 - sigmoid(x)))
// For x -> -inf, exp(-x) overflows to inf and y to -0: no NaN for finite x.
Tensor silu(const Tensor& x) { return unary_op<Unary::Silu>(x, "silu", "SiluBackward0"); }
Tensor& silu_(Tensor& self) { return unary_op_<Unary::Silu>(self, "silu_", "SiluBackward0"); }

// ---- mish ------------------------------------------------------------------------
// y = x * tanh(softplus(x)) = x * tanh(log1p(exp(x)))
// dx = dy * (tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2)),  sp = softplus(x)
Tensor mish(const Tensor& x) { return unary_op<Unary::Mish>(x, "mish", "MishBackward0"); }
Tensor& mish_(Tensor& self) { return unary_op_<Unary::Mish>(self, "mish_", "MishBackward0"); }

// ---- softplus --------------------------------------------------------------------
// y = beta * x > threshold ? x : log1p(exp(beta * x)) / beta
// dx = beta * x > threshold ? dy : dy * z / (z + 1),  z = exp(beta * x)
// The threshold switches to the identity before exp overflows (e^20 is far from it).
Tensor softplus(const Tensor& x, double beta, double threshold) {
    return unary_op<Unary::Softplus>(x, "softplus", "SoftplusBackward0", {beta, threshold, 0});
}

// ---- logsigmoid ------------------------------------------------------------------
// y = log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))
// dx = dy * ([x < 0] - sign'(x) * z / (1 + z)),  z = exp(-|x|),  sign' = x < 0 ? 1 : -1
// (the stable form of dy * (1 - sigmoid(x)))
Tensor logsigmoid(const Tensor& x) {
    return unary_op<Unary::Logsigmoid>(x, "logsigmoid", "LogSigmoidBackward0");
}

// ---- hardtanh / relu6 ------------------------------------------------------------
// y = min(max(x, min_val), max_val)      dx = min_val < x < max_val ? dy : 0
// NOTE: 0 at the bounds and at NaN, as in PyTorch; NaN propagates. int64 inputs stay
// int64 (bounds truncated to integers). The in-place form saves y: y hits a bound iff x does.
// relu6 is hardtanh(x, 0, 6) (HardtanhBackward0, as in PyTorch).
namespace {
void check_hardtanh(const Tensor& x, double lo, double hi, const char* op) {
    CR_CHECK(x.dtype() != DType::Bool, TypeError, op, ": not supported for bool tensors");
    CR_CHECK(!(lo > hi), ValueError, op,
             ": min_val cannot be greater than max_val; got min_val=", lo, ", max_val=", hi);
}

Tensor hardtanh_impl(const Tensor& x, double lo, double hi, const char* op) {
    check_hardtanh(x, lo, hi, op);
    return unary_op<Unary::Hardtanh>(x, op, "HardtanhBackward0", {lo, hi, 0});
}

Tensor& hardtanh_impl_(Tensor& self, double lo, double hi, const char* op) {
    check_hardtanh(self, lo, hi, op);
    return unary_op_<Unary::HardtanhOut>(self, op, "HardtanhBackward0", {lo, hi, 0});
}
}  // namespace

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
    return hardtanh_impl(x, min_val, max_val, "hardtanh");
}
Tensor& hardtanh_(Tensor& self, double min_val, double max_val) {
    return hardtanh_impl_(self, min_val, max_val, "hardtanh_");
}
Tensor relu6(const Tensor& x) { return hardtanh_impl(x, 0.0, 6.0, "relu6"); }
Tensor& relu6_(Tensor& self) { return hardtanh_impl_(self, 0.0, 6.0, "relu6_"); }

// ---- hardsigmoid -----------------------------------------------------------------
// y = min(max(x + 3, 0), 6) / 6          dx = -3 < x < 3 ? dy / 6 : 0
Tensor hardsigmoid(const Tensor& x) {
    return unary_op<Unary::Hardsigmoid>(x, "hardsigmoid", "HardsigmoidBackward0");
}
Tensor& hardsigmoid_(Tensor& self) {
    return unary_op_<Unary::Hardsigmoid>(self, "hardsigmoid_", "HardsigmoidBackward0");
}

// ---- hardswish -------------------------------------------------------------------
// y = x * min(max(x + 3, 0), 6) / 6
// dx = x <= -3 ? 0 : (x < 3 ? dy * (x / 3 + 1/2) : dy)
// NOTE: 0 at x = -3, dy at x = 3 and NaN at NaN, as in PyTorch.
Tensor hardswish(const Tensor& x) {
    return unary_op<Unary::Hardswish>(x, "hardswish", "HardswishBackward0");
}
Tensor& hardswish_(Tensor& self) {
    return unary_op_<Unary::Hardswish>(self, "hardswish_", "HardswishBackward0");
}

}  // namespace chainrule
