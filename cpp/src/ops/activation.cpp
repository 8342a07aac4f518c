// Activation functions: forward and derivative of each, side by side, and the in-place forms.
// relu, sigmoid and tanh live in elementwise_unary.cpp, softmax/log_softmax in softmax.cpp.
// Formulas (and their values at kinks, NaN and infinities) follow PyTorch's CPU kernels.
#include <algorithm>

#include "../kernels/vec_math.h"
#include "pointwise.h"

namespace chainrule {

using detail::pointwise2;
using kernels::select;
using kernels::verf;
using kernels::vexp;
using kernels::vexpm1;
using kernels::vlog1p;
using kernels::vsigmoid;
using kernels::vtanh;

namespace {

constexpr double kSqrt1_2 = 0.70710678118654752440;      // 1/sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1/sqrt(2*pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2/pi)
constexpr double kGeluKappa = 0.044715;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

// y = f(x) for a floating-point x, in x's dtype. Integer inputs raise (PyTorch's activation
// kernels are float-only too).
template <class F>
Tensor float_map(const Tensor& x, const char* op, const F& f) {
    detail::check_floating(x, op);
    Tensor y = empty(x.shape(), x.dtype());
    CR_DISPATCH_FLOAT(x.dtype(), op, [&] { detail::unary_loop<scalar_t, scalar_t>(y, x, f); });
    return y;
}

// Attaches a PointwiseBackward (dx = b(dy, s)) to y, saving `s` (x or y).
template <class B>
void attach(Tensor& y, const Tensor& x, const Tensor& s, const char* name, B b) {
    auto node = std::make_shared<detail::PointwiseBackward<B>>(name, b);
    node->next_edges.push_back(gradient_edge(x));
    node->saved = s;
    set_grad_fn(y, node);
}

// self = f(self) in place, for a floating-point self. The node saves the output after the
// write when `saves_output`, else a copy of the input taken before it.
template <class F, class B>
Tensor& float_map_(Tensor& self, const char* op, const char* name, bool saves_output,
                   const F& f, B b) {
    check_inplace(self, op);
    detail::check_floating(self, op);
    std::shared_ptr<detail::PointwiseBackward<B>> node;
    if (needs_grad(self)) {
        node = std::make_shared<detail::PointwiseBackward<B>>(name, b);
        node->next_edges.push_back(gradient_edge(self));
        if (!saves_output) {
            NoGradGuard ng;
            node->saved = clone(self.detach());
        }
    }
    // Elementwise, so writing each element over its own input is safe.
    CR_DISPATCH_FLOAT(self.dtype(), op,
                      [&] { detail::unary_loop<scalar_t, scalar_t>(self, self, f); });
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
namespace {
// Written without branches (a sign-dependent branch mispredicts half the time on random
// data): max(x, 0) + slope * min(x, 0) is exactly x or slope * x, and keeps NaN and -0.
auto leaky_relu_fn(double slope) {
    return [slope](auto v) {
        using T = decltype(v);
        return std::max(v, T(0)) + T(slope) * std::min(v, T(0));
    };
}
auto leaky_relu_grad(double slope) {
    return [slope](auto dy, auto s) {
        using T = decltype(s);
        // Two selects of dy or 0 (no arithmetic in their arms), so the loop vectorises.
        const T p = s > T(0) ? dy : T(0);
        const T q = s > T(0) ? T(0) : dy;  // NaN takes this side
        return p + T(slope) * q;
    };
}
}  // namespace

Tensor leaky_relu(const Tensor& x, double negative_slope) {
    Tensor y = float_map(x, "leaky_relu", leaky_relu_fn(negative_slope));
    if (needs_grad(x)) attach(y, x, x, "LeakyReluBackward0", leaky_relu_grad(negative_slope));
    return y;
}

Tensor& leaky_relu_(Tensor& self, double negative_slope) {
    return float_map_(self, "leaky_relu_", "LeakyReluBackward1", negative_slope >= 0,
                      leaky_relu_fn(negative_slope), leaky_relu_grad(negative_slope));
}

// ---- elu / selu / celu --------------------------------------------------------
// y = x > 0 ? scale * x : alpha * scale * (exp(input_scale * x) - 1)
// dx = x > 0 ? dy * scale : dy * input_scale * alpha * scale * exp(input_scale * x)
//    = dy * input_scale * (y + alpha * scale)  in terms of the output (the in-place forms)
// selu: alpha = 1.6732..., scale = 1.0507... (EluBackward0); celu: input_scale = 1/alpha.
// NOTE: x = 0 takes the exponential branch (gradient alpha * scale * input_scale); NaN gives
// a NaN gradient, as PyTorch's vectorised kernel does.
namespace {
struct EluParams {
    double neg, pos, in;  // alpha * scale, scale, input_scale
};

auto elu_fn(EluParams p) {
    return [p](auto v) {
        using T = decltype(v);
        return select(v <= T(0), vexpm1(v * T(p.in)) * T(p.neg), v * T(p.pos));
    };
}
// from_output: s is y (the in-place forms), else s is x.
auto elu_grad(EluParams p, bool from_output) {
    return [p, from_output](auto dy, auto s) {
        using T = decltype(s);
        if (s > T(0)) return dy * T(p.pos);
        if (s != s) return s;
        return from_output ? dy * T(p.in) * (s + T(p.neg))
                           : dy * T(p.in) * T(p.neg) * vexp(s * T(p.in));
    };
}

Tensor elu_impl(const Tensor& x, EluParams p, const char* op, const char* name) {
    Tensor y = float_map(x, op, elu_fn(p));
    if (needs_grad(x)) attach(y, x, x, name, elu_grad(p, false));
    return y;
}

Tensor& elu_impl_(Tensor& self, EluParams p, const char* op, const char* name) {
    // The output determines the input only when alpha * scale >= 0 (and scale > 0).
    const bool from_output = p.neg >= 0 && p.pos > 0;
    return float_map_(self, op, name, from_output, elu_fn(p), elu_grad(p, from_output));
}

EluParams celu_params(double alpha, const char* op) {
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
    Tensor y;
    if (tanh_form) {
        y = float_map(x, "gelu", [](auto v) {
            using T = decltype(v);
            const T u = T(kSqrt2OverPi) * (v + T(kGeluKappa) * v * v * v);
            return v / (T(1) + vexp(T(-2) * u));
        });
    } else {
        y = float_map(x, "gelu", [](auto v) {
            using T = decltype(v);
            return v * T(0.5) * (T(1) + verf(v * T(kSqrt1_2)));
        });
    }
    if (needs_grad(x)) {
        attach(y, x, x, "GeluBackward0", [tanh_form](auto dy, auto s) {
            using T = decltype(s);
            if (tanh_form) {
                const T s2 = s * s;
                const T u = T(kSqrt2OverPi) * (s + T(kGeluKappa) * s2 * s);
                const T sg = T(1) / (T(1) + vexp(T(-2) * u));
                const T inner_d = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluKappa) * s2);
                return dy * (sg + T(2) * s * sg * (T(1) - sg) * inner_d);
            }
            const T cdf = T(0.5) * (T(1) + verf(s * T(kSqrt1_2)));
            const T pdf = T(kInvSqrt2Pi) * vexp(T(-0.5) * s * s);
            return dy * (cdf + s * pdf);
        });
    }
    return y;
}

// ---- silu ------------------------------------------------------------------------
// y = x * sigmoid(x) = x / (1 + exp(-x))
// dx = dy * sigmoid(x) * (1 + x * (1 - sigmoid(x)))
// For x -> -inf, exp(-x) overflows to inf and y to -0: no NaN for finite x.
namespace {
auto silu_fn() {
    return [](auto v) {
        using T = decltype(v);
        return v / (T(1) + vexp(-v));
    };
}
auto silu_grad() {
    return [](auto dy, auto s) {
        using T = decltype(s);
        const T sig = vsigmoid(s);
        return dy * sig * (T(1) + s * (T(1) - sig));
    };
}
}  // namespace

Tensor silu(const Tensor& x) {
    Tensor y = float_map(x, "silu", silu_fn());
    if (needs_grad(x)) attach(y, x, x, "SiluBackward0", silu_grad());
    return y;
}
Tensor& silu_(Tensor& self) {
    return float_map_(self, "silu_", "SiluBackward0", false, silu_fn(), silu_grad());
}

// ---- mish ------------------------------------------------------------------------
// y = x * tanh(softplus(x)) = x * tanh(log1p(exp(x)))
// dx = dy * (tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2)),  sp = softplus(x)
namespace {
auto mish_fn() {
    return [](auto v) { return v * vtanh(vlog1p(vexp(v))); };
}
auto mish_grad() {
    return [](auto dy, auto s) {
        using T = decltype(s);
        const T sig = vsigmoid(s);
        const T t = vtanh(vlog1p(vexp(s)));
        return dy * (t + s * sig * (T(1) - t * t));
    };
}
}  // namespace

Tensor mish(const Tensor& x) {
    Tensor y = float_map(x, "mish", mish_fn());
    if (needs_grad(x)) attach(y, x, x, "MishBackward0", mish_grad());
    return y;
}
Tensor& mish_(Tensor& self) {
    return float_map_(self, "mish_", "MishBackward0", false, mish_fn(), mish_grad());
}

// ---- softplus --------------------------------------------------------------------
// y = beta * x > threshold ? x : log1p(exp(beta * x)) / beta
// dx = beta * x > threshold ? dy : dy * z / (z + 1),  z = exp(beta * x)
// The threshold switches to the identity before exp overflows (e^20 is far from it).
Tensor softplus(const Tensor& x, double beta, double threshold) {
    Tensor y = float_map(x, "softplus", [beta, threshold](auto v) {
        using T = decltype(v);
        const T bx = v * T(beta);
        return select(bx > T(threshold), v, vlog1p(vexp(bx)) / T(beta));
    });
    if (needs_grad(x)) {
        attach(y, x, x, "SoftplusBackward0", [beta, threshold](auto dy, auto s) {
            using T = decltype(s);
            const T bx = s * T(beta);
            if (bx > T(threshold)) return dy;
            const T z = vexp(bx);
            return dy * z / (z + T(1));
        });
    }
    return y;
}

// ---- logsigmoid ------------------------------------------------------------------
// y = log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))
// dx = dy * ([x < 0] - sign'(x) * z / (1 + z)),  z = exp(-|x|),  sign' = x < 0 ? 1 : -1
// (the stable form of dy * (1 - sigmoid(x)))
Tensor logsigmoid(const Tensor& x) {
    Tensor y = float_map(x, "logsigmoid", [](auto v) {
        using T = decltype(v);
        const T m = select(v < T(0), v, T(0));
        return m - vlog1p(vexp(-std::abs(v)));
    });
    if (needs_grad(x)) {
        attach(y, x, x, "LogSigmoidBackward0", [](auto dy, auto s) {
            using T = decltype(s);
            const bool neg = s < T(0);
            const T z = vexp(-std::abs(s));
            return dy * ((neg ? T(1) : T(0)) - (neg ? T(1) : T(-1)) * (z / (T(1) + z)));
        });
    }
    return y;
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

auto hardtanh_fn(double lo, double hi) {
    return [lo, hi](auto v) {
        using T = decltype(v);
        if constexpr (std::is_integral_v<T>) {
            // Compare in double: casting an infinite bound to int64 is undefined. A
            // fractional bound acts truncated, as PyTorch casts it to the integer type.
            const double d = static_cast<double>(v);
            return d < lo ? static_cast<T>(lo) : (d > hi ? static_cast<T>(hi) : v);
        } else {
            const T l = static_cast<T>(lo), h = static_cast<T>(hi);
            if (v != v) return v;
            return v < l ? l : (v > h ? h : v);
        }
    };
}
auto hardtanh_grad(double lo, double hi) {
    return [lo, hi](auto dy, auto s) {
        using T = decltype(s);
        // `&`, not `&&`: no branch, so the loop vectorises.
        return ((s > T(lo)) & (s < T(hi))) ? dy : T(0);
    };
}

Tensor hardtanh_impl(const Tensor& x, double lo, double hi, const char* op) {
    check_hardtanh(x, lo, hi, op);
    Tensor y = empty(x.shape(), x.dtype());
    CR_DISPATCH_NUMERIC(x.dtype(), op, [&] {
        detail::unary_loop<scalar_t, scalar_t>(y, x, hardtanh_fn(lo, hi));
    });
    if (needs_grad(x)) attach(y, x, x, "HardtanhBackward0", hardtanh_grad(lo, hi));
    return y;
}

Tensor& hardtanh_impl_(Tensor& self, double lo, double hi, const char* op) {
    check_inplace(self, op);
    check_hardtanh(self, lo, hi, op);
    using B = decltype(hardtanh_grad(lo, hi));
    std::shared_ptr<detail::PointwiseBackward<B>> node;
    if (needs_grad(self)) {
        node = std::make_shared<detail::PointwiseBackward<B>>("HardtanhBackward0",
                                                              hardtanh_grad(lo, hi));
        node->next_edges.push_back(gradient_edge(self));
    }
    CR_DISPATCH_NUMERIC(self.dtype(), op, [&] {
        detail::unary_loop<scalar_t, scalar_t>(self, self, hardtanh_fn(lo, hi));
    });
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
namespace {
auto hardsigmoid_fn() {
    return [](auto v) {
        using T = decltype(v);
        const T r = v + T(3);
        const T c = r < T(0) ? T(0) : (r > T(6) ? T(6) : r);  // NaN falls through
        return c / T(6);
    };
}
auto hardsigmoid_grad() {
    return [](auto dy, auto s) {
        using T = decltype(s);
        // Select first, then divide: no arithmetic inside the select, so the loop vectorises.
        return (((s > T(-3)) & (s < T(3))) ? dy : T(0)) / T(6);
    };
}
}  // namespace

Tensor hardsigmoid(const Tensor& x) {
    Tensor y = float_map(x, "hardsigmoid", hardsigmoid_fn());
    if (needs_grad(x)) attach(y, x, x, "HardsigmoidBackward0", hardsigmoid_grad());
    return y;
}
Tensor& hardsigmoid_(Tensor& self) {
    return float_map_(self, "hardsigmoid_", "HardsigmoidBackward0", false, hardsigmoid_fn(),
                      hardsigmoid_grad());
}

// ---- hardswish -------------------------------------------------------------------
// y = x * min(max(x + 3, 0), 6) / 6
// dx = x <= -3 ? 0 : (x < 3 ? dy * (x / 3 + 1/2) : dy)
// NOTE: 0 at x = -3, dy at x = 3 and NaN at NaN, as in PyTorch.
namespace {
auto hardswish_fn() {
    return [](auto v) {
        using T = decltype(v);
        const T r = v + T(3);
        const T c = r < T(0) ? T(0) : (r > T(6) ? T(6) : r);
        return v * c / T(6);
    };
}
auto hardswish_grad() {
    return [](auto dy, auto s) {
        using T = decltype(s);
        if (s <= T(-3)) return T(0);
        if (s != s) return s;
        return s < T(3) ? dy * (s / T(3) + T(0.5)) : dy;
    };
}
}  // namespace

Tensor hardswish(const Tensor& x) {
    Tensor y = float_map(x, "hardswish", hardswish_fn());
    if (needs_grad(x)) attach(y, x, x, "HardswishBackward0", hardswish_grad());
    return y;
}
Tensor& hardswish_(Tensor& self) {
    return float_map_(self, "hardswish_", "HardswishBackward0", false, hardswish_fn(),
                      hardswish_grad());
}

}  // namespace chainrule
