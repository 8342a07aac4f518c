// Activation functions and their in-place forms. Each one's forward and derivative sit side
// by side in one struct of kernels/elementwise/formulas.h (the math is repeated in the comment
// above each op here); contiguous float tensors go through the per-ISA kernel table.
// relu, sigmoid and tanh live in elementwise_unary.cpp, softmax/log_softmax in softmax.cpp.
// Formulas (and their values at kinks, NaN and infinities) follow PyTorch's CPU kernels.
#include "pointwise.h"

namespace chainrule {

using kernels::Unary;
using kernels::UnaryParams;

namespace {

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

// y = f(x) for a floating-point x, in x's dtype. Integer inputs raise (PyTorch's activation
// kernels are float-only too).
template <Unary Op>
Tensor float_map(const Tensor& x, const char* op, const UnaryParams& p = {}) {
    detail::check_floating(x, op);
    Tensor y = empty(x.shape(), x.dtype());
    CR_DISPATCH_FLOAT(x.dtype(), op, [&] { detail::unary_map<Op, scalar_t>(y, x, p); });
    return y;
}

// float_map with a UnaryBackward<Op> node (dx = bwd(dy, x)) saving x.
template <Unary Op>
Tensor float_map_grad(const Tensor& x, const char* op, const char* name,
                      const UnaryParams& p = {}) {
    Tensor y = float_map<Op>(x, op, p);
    if (needs_grad(x)) detail::attach_unary<Op>(y, x, x, name, p);
    return y;
}

// self = f(self) in place, for a floating-point self; the node runs the derivative of BwdOp
// (Op's, or EluOut's from the output). It saves the output after the write when
// `saves_output`, else a copy of the input taken before it.
template <Unary Op, Unary BwdOp = Op>
Tensor& float_map_(Tensor& self, const char* op, const char* name, bool saves_output,
                   const UnaryParams& p = {}) {
    check_inplace(self, op);
    detail::check_floating(self, op);
    std::shared_ptr<detail::UnaryBackward<BwdOp>> node;
    if (needs_grad(self)) {
        node = std::make_shared<detail::UnaryBackward<BwdOp>>(name, p);
        node->next_edges.push_back(gradient_edge(self));
        if (!saves_output) {
            NoGradGuard ng;
            node->saved = clone(self.detach());
        }
    }
    // Elementwise, so writing each element over its own input is safe.
    CR_DISPATCH_FLOAT(self.dtype(), op, [&] { detail::unary_map<Op, scalar_t>(self, self, p); });
    detail::finish_inplace(self, node);
    // Saved after the version bump: a later in-place change of self is caught at backward.
    if (node && saves_output) node->saved = self;
    return self;
}

}  // namespace

// ---- leaky_relu --------------------------------------------------------------
// y = x > 0 ? x : slope * x      dx = x > 0 ? dy : slope * dy
// NOTE: at x = 0 the gradient is slope (PyTorch's choice); NaN gives NaN and a slope gradient.
// In place (LeakyReluBackward1) the output is saved instead: for slope >= 0, y > 0 iff x > 0.
// PyTorch refuses that backward for a negative slope; here the input is saved instead.
Tensor leaky_relu(const Tensor& x, double negative_slope) {
    return float_map_grad<Unary::LeakyRelu>(x, "leaky_relu", "LeakyReluBackward0",
                                            {negative_slope, 0, 0});
}

Tensor& leaky_relu_(Tensor& self, double negative_slope) {
    return float_map_<Unary::LeakyRelu>(self, "leaky_relu_", "LeakyReluBackward1",
                                        negative_slope >= 0, {negative_slope, 0, 0});
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
    return float_map_grad<Unary::Elu>(x, op, name, p);
}

Tensor& elu_impl_(Tensor& self, UnaryParams p, const char* op, const char* name) {
    // The output determines the input only when alpha * scale >= 0 (and scale > 0).
    if (p.p0 >= 0 && p.p1 > 0) return float_map_<Unary::Elu, Unary::EluOut>(self, op, name, true, p);
    return float_map_<Unary::Elu>(self, op, name, false, p);
}

UnaryParams celu_params(double alpha, const char* op) {
    CR_CHECK(alpha != 0, ValueError, op, ": alpha cannot be 0 (CELU divides by it); got alpha=",
             alpha);
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
    return tanh_form ? float_map_grad<Unary::GeluTanh>(x, "gelu", "GeluBackward0")
                     : float_map_grad<Unary::GeluErf>(x, "gelu", "GeluBackward0");
}

// ---- silu ------------------------------------------------------------------------
// y = x * sigmoid(x) = x / (1 + exp(-x))
// dx = dy * sigmoid(x) * (1 + x * (1 - sigmoid(x)))
// For x -> -inf, exp(-x) overflows to inf and y to -0: no NaN for finite x.
Tensor silu(const Tensor& x) {
    return float_map_grad<Unary::Silu>(x, "silu", "SiluBackward0");
}
Tensor& silu_(Tensor& self) {
    return float_map_<Unary::Silu>(self, "silu_", "SiluBackward0", false);
}

// ---- mish ------------------------------------------------------------------------
// y = x * tanh(softplus(x)) = x * tanh(log1p(exp(x)))
// dx = dy * (tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2)),  sp = softplus(x)
Tensor mish(const Tensor& x) {
    return float_map_grad<Unary::Mish>(x, "mish", "MishBackward0");
}
Tensor& mish_(Tensor& self) {
    return float_map_<Unary::Mish>(self, "mish_", "MishBackward0", false);
}

// ---- softplus --------------------------------------------------------------------
// y = beta * x > threshold ? x : log1p(exp(beta * x)) / beta
// dx = beta * x > threshold ? dy : dy * z / (z + 1),  z = exp(beta * x)
// The threshold switches to the identity before exp overflows (e^20 is far from it).
Tensor softplus(const Tensor& x, double beta, double threshold) {
    return float_map_grad<Unary::Softplus>(x, "softplus", "SoftplusBackward0",
                                           {beta, threshold, 0});
}

// ---- logsigmoid ------------------------------------------------------------------
// y = log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))
// dx = dy * ([x < 0] - sign'(x) * z / (1 + z)),  z = exp(-|x|),  sign' = x < 0 ? 1 : -1
// (the stable form of dy * (1 - sigmoid(x)))
Tensor logsigmoid(const Tensor& x) {
    return float_map_grad<Unary::Logsigmoid>(x, "logsigmoid", "LogSigmoidBackward0");
}

// ---- hardtanh / relu6 ------------------------------------------------------------
// y = min(max(x, min_val), max_val)      dx = min_val < x < max_val ? dy : 0
// NOTE: 0 at the bounds and at NaN, as in PyTorch; NaN propagates. int64 inputs stay
// int64 (bounds truncated to integers). The in-place form saves y: y hits a bound iff x does.
// relu6 is hardtanh(x, 0, 6) (HardtanhBackward0, as in PyTorch).
namespace {
void check_hardtanh(const Tensor& x, double lo, double hi, const char* op) {
    CR_CHECK(x.dtype() != DType::Bool, TypeError, op, ": not supported for bool tensors");
    CR_CHECK(!(lo > hi), ValueError, op, ": min_val cannot be greater than max_val; got min_val=",
             lo, ", max_val=", hi);
}

Tensor hardtanh_impl(const Tensor& x, double lo, double hi, const char* op) {
    check_hardtanh(x, lo, hi, op);
    const UnaryParams p{lo, hi, 0};
    Tensor y = empty(x.shape(), x.dtype());
    CR_DISPATCH_NUMERIC(x.dtype(), op,
                        [&] { detail::unary_map<Unary::Hardtanh, scalar_t>(y, x, p); });
    if (needs_grad(x)) detail::attach_unary<Unary::Hardtanh>(y, x, x, "HardtanhBackward0", p);
    return y;
}

Tensor& hardtanh_impl_(Tensor& self, double lo, double hi, const char* op) {
    check_inplace(self, op);
    check_hardtanh(self, lo, hi, op);
    const UnaryParams p{lo, hi, 0};
    std::shared_ptr<detail::UnaryBackward<Unary::Hardtanh>> node;
    if (needs_grad(self)) {
        node = std::make_shared<detail::UnaryBackward<Unary::Hardtanh>>("HardtanhBackward0", p);
        node->next_edges.push_back(gradient_edge(self));
    }
    CR_DISPATCH_NUMERIC(self.dtype(), op,
                        [&] { detail::unary_map<Unary::Hardtanh, scalar_t>(self, self, p); });
    detail::finish_inplace(self, node);
    if (node) node->saved = self;
    return self;
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
    return float_map_grad<Unary::Hardsigmoid>(x, "hardsigmoid", "HardsigmoidBackward0");
}
Tensor& hardsigmoid_(Tensor& self) {
    return float_map_<Unary::Hardsigmoid>(self, "hardsigmoid_", "HardsigmoidBackward0", false);
}

// ---- hardswish -------------------------------------------------------------------
// y = x * min(max(x + 3, 0), 6) / 6
// dx = x <= -3 ? 0 : (x < 3 ? dy * (x / 3 + 1/2) : dy)
// NOTE: 0 at x = -3, dy at x = 3 and NaN at NaN, as in PyTorch.
Tensor hardswish(const Tensor& x) {
    return float_map_grad<Unary::Hardswish>(x, "hardswish", "HardswishBackward0");
}
Tensor& hardswish_(Tensor& self) {
    return float_map_<Unary::Hardswish>(self, "hardswish_", "HardswishBackward0", false);
}

}  // namespace chainrule
