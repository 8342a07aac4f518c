// Unary pointwise math: forward and derivative of each, side by side. Derivatives use
// dedicated one-pass lambdas (pointwise2) rather than chains of ops.
#include "../kernels/vec_math.h"
#include "pointwise.h"

namespace chainrule {

using detail::check_floating;
using detail::pointwise2;

namespace {

// y = f(x) in x's dtype, promoting integer inputs to float32 for transcendental functions.
template <class F>
Tensor unary_float(const Tensor& x, const char* op, const F& f) {
    const DType d = is_floating(x.dtype()) ? x.dtype() : kDefaultFloat;
    Tensor in = detail::cast_for_compute(x, d);
    Tensor y = empty(x.shape(), d);
    CR_DISPATCH_FLOAT(d, op, [&] { detail::unary_loop<scalar_t, scalar_t>(y, in, f); });
    return y;
}

template <class F>
Tensor unary_same(const Tensor& x, const char* op, const F& f) {
    Tensor y = empty(x.shape(), x.dtype());
    CR_DISPATCH_NUMERIC(x.dtype(), op, [&] { detail::unary_loop<scalar_t, scalar_t>(y, x, f); });
    return y;
}

// Attaches a PointwiseBackward to y, saving `s`.
template <class F>
void attach(Tensor& y, const Tensor& x, const Tensor& s, const char* name, F f) {
    auto node = std::make_shared<detail::PointwiseBackward<F>>(name, f);
    node->next_edges.push_back(gradient_edge(x));
    node->saved = s;
    set_grad_fn(y, node);
}

#define CR_UNARY_FLOAT(op, Name, forward, saves_output, backward)                    \
    Tensor op(const Tensor& x) {                                                     \
        Tensor y = unary_float(x, #op, [](auto v) { return forward; });              \
        if (needs_grad(x)) {                                                         \
            attach(y, x, (saves_output) ? y : x, Name,                               \
                   [](auto dy, auto s) { return backward; });                        \
        }                                                                            \
        return y;                                                                    \
    }

}  // namespace

// op     forward                         saves   dx
CR_UNARY_FLOAT(exp, "ExpBackward0", kernels::vexp(v), true, dy * s)
CR_UNARY_FLOAT(log, "LogBackward0", kernels::vlog(v), false, dy / s)
CR_UNARY_FLOAT(log1p, "Log1PBackward0", kernels::vlog1p(v), false, dy / (decltype(s)(1) + s))
CR_UNARY_FLOAT(expm1, "Expm1Backward0", kernels::vexpm1(v), true, dy * (s + decltype(s)(1)))
CR_UNARY_FLOAT(sqrt, "SqrtBackward0", std::sqrt(v), true, dy / (decltype(s)(2) * s))
CR_UNARY_FLOAT(rsqrt, "RsqrtBackward0", decltype(v)(1) / std::sqrt(v), true,
               decltype(s)(-0.5) * dy * s * s * s)
CR_UNARY_FLOAT(sin, "SinBackward0", std::sin(v), false, dy * std::cos(s))
CR_UNARY_FLOAT(cos, "CosBackward0", std::cos(v), false, -dy * std::sin(s))
CR_UNARY_FLOAT(tanh, "TanhBackward0", kernels::vtanh(v), true, dy * (decltype(s)(1) - s * s))
// sigmoid = 1 / (1 + e^-x), as e^x / (1 + e^x) below 0 so that e^-|x| never overflows.
CR_UNARY_FLOAT(sigmoid, "SigmoidBackward0", kernels::vsigmoid(v), true,
               dy * s * (decltype(s)(1) - s))
#undef CR_UNARY_FLOAT

// ---- neg -------------------------------------------------------------------
// y = -x                 dx = -dy
struct NegBackward0 final : Node {
    TensorList apply(TensorList&& g) override { return {neg(g[0])}; }
    std::string name() const override { return "NegBackward0"; }
};

Tensor neg(const Tensor& x) {
    CR_CHECK(x.dtype() != DType::Bool, TypeError,
             "neg: negation of a bool tensor is not supported; use logical_not or ~");
    Tensor y = unary_same(x, "neg", [](auto v) { return -v; });
    if (needs_grad(x)) set_grad_fn(y, make_node<NegBackward0>({&x}));
    return y;
}

// ---- abs -------------------------------------------------------------------
// y = |x|                dx = dy * sign(x)     (0 at x = 0)
Tensor abs(const Tensor& x) {
    Tensor y = x.dtype() == DType::Bool ? clone(x)
                                        : unary_same(x, "abs", [](auto v) {
                                              return v < decltype(v)(0) ? -v : v;
                                          });
    if (needs_grad(x)) {
        attach(y, x, x, "AbsBackward0", [](auto dy, auto s) {
            using T = decltype(s);
            return s > T(0) ? dy : (s < T(0) ? -dy : T(0));
        });
    }
    return y;
}

// ---- relu ------------------------------------------------------------------
// y = max(x, 0)          dx = dy * [y > 0]     NOTE: relu'(0) = 0, as in PyTorch
Tensor relu(const Tensor& x) {
    Tensor y = unary_same(x, "relu", [](auto v) {
        using T = decltype(v);
        return v > T(0) ? v : (v != v ? v : T(0));
    });
    if (needs_grad(x)) {
        attach(y, x, y, "ReluBackward0", [](auto dy, auto s) {
            using T = decltype(s);
            return s <= T(0) ? T(0) : dy;  // NaN passes dy, as torch's threshold_backward
        });
    }
    return y;
}

// ---- sign ------------------------------------------------------------------
// y = sign(x)            dx = 0
struct SignBackward0 final : Node {
    TensorList apply(TensorList&& g) override { return {zeros(g[0].shape(), g[0].dtype())}; }
    std::string name() const override { return "SignBackward0"; }
};

Tensor sign(const Tensor& x) {
    Tensor y = x.dtype() == DType::Bool ? clone(x)
                                        : unary_same(x, "sign", [](auto v) {
                                              using T = decltype(v);
                                              return T((v > T(0)) - (v < T(0)));
                                          });
    if (needs_grad(x)) set_grad_fn(y, make_node<SignBackward0>({&x}));
    return y;
}

// ---- clamp -----------------------------------------------------------------
// y = min(max(x, lo), hi)     dx = dy * [lo <= x <= hi]   (passes at the bounds, as PyTorch)
struct ClampBackward1 final : Node {
    SavedTensor x;
    double lo = -INFINITY, hi = INFINITY;
    TensorList apply(TensorList&& g) override {
        const double l = lo, h = hi;
        return {pointwise2(g[0], x.unpack("ClampBackward1"), [l, h](auto dy, auto s) {
            using T = decltype(s);
            return (s >= T(l) && s <= T(h)) ? dy : T(0);
        })};
    }
    std::string name() const override { return "ClampBackward1"; }
    void release_saved() override { x.reset(); }
};

namespace {
Tensor clamp_values(const Tensor& x, double lo, double hi) {
    return unary_same(x, "clamp", [lo, hi](auto v) {
        using T = decltype(v);
        if (v != v) return v;
        if constexpr (std::is_integral_v<T>) {
            // Compare in double: casting an infinite (absent) bound to int64 is undefined.
            if (static_cast<double>(v) < lo) return static_cast<T>(lo);
            if (static_cast<double>(v) > hi) return static_cast<T>(hi);
            return v;
        }
        T r = v < T(lo) ? T(lo) : v;
        return r > T(hi) ? T(hi) : r;
    });
}
}  // namespace

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
    CR_CHECK(min || max, ValueError, "clamp: at least one of 'min' or 'max' must not be None");
    const double lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
    // An integer tensor clamped by a float bound becomes float, as in PyTorch.
    const bool float_bounds = (min && *min != std::floor(*min)) || (max && *max != std::floor(*max));
    Tensor in = (!is_floating(x.dtype()) && float_bounds) ? detail::cast_for_compute(x, kDefaultFloat)
                                                          : x;
    Tensor y = clamp_values(in, lo, hi);
    if (needs_grad(x)) {
        auto node = make_node<ClampBackward1>({&x});
        node->x = x;
        node->lo = lo;
        node->hi = hi;
        set_grad_fn(y, node);
    }
    return y;
}

}  // namespace chainrule
