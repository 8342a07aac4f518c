// Unary pointwise math. Each op's forward and derivative sit side by side in one struct of
// kernels/elementwise/formulas.h (used by the per-ISA contiguous kernels and the strided
// path alike); derivatives are one-pass kernels rather than chains of ops.
#include "../kernels/vec_math.h"
#include "pointwise.h"

namespace chainrule {

using detail::check_floating;
using detail::pointwise2;

namespace {

using kernels::Unary;

// y = f(x) in x's dtype, promoting integer inputs to float32 for transcendental functions.
template <Unary Op>
Tensor unary_float(const Tensor& x, const char* op) {
    const DType d = is_floating(x.dtype()) ? x.dtype() : kDefaultFloat;
    Tensor in = detail::cast_for_compute(x, d);
    Tensor y = empty(x.shape(), d);
    CR_DISPATCH_FLOAT(d, op, [&] { detail::unary_map<Op, scalar_t>(y, in, {}); });
    return y;
}

template <class F>
Tensor unary_same_fn(const Tensor& x, const char* op, const F& f) {
    Tensor y = empty(x.shape(), x.dtype());
    CR_DISPATCH_NUMERIC(x.dtype(), op, [&] { detail::unary_loop<scalar_t, scalar_t>(y, x, f); });
    return y;
}

template <Unary Op>
Tensor unary_same(const Tensor& x, const char* op) {
    Tensor y = empty(x.shape(), x.dtype());
    CR_DISPATCH_NUMERIC(x.dtype(), op, [&] { detail::unary_map<Op, scalar_t>(y, x, {}); });
    return y;
}

#define CR_UNARY_FLOAT(op, Name, Op, saves_output)                                   \
    Tensor op(const Tensor& x) {                                                     \
        Tensor y = unary_float<Unary::Op>(x, #op);                                   \
        if (needs_grad(x)) {                                                         \
            detail::attach_unary<Unary::Op>(y, x, (saves_output) ? y : x, Name);     \
        }                                                                            \
        return y;                                                                    \
    }

}  // namespace

// The formulas (forward and derivative) are kernels::ew::<Op> in kernels/elementwise/formulas.h:
// op       y                       dx                   saves
// exp      e^x                     dy * y               y
// log      log x                   dy / x               x
// log1p    log(1 + x)              dy / (1 + x)         x
// expm1    e^x - 1                 dy * (y + 1)         y
// sqrt     sqrt x                  dy / (2 y)           y
// rsqrt    1 / sqrt x              -dy y^3 / 2          y
// sin      sin x                   dy cos x             x
// cos      cos x                   -dy sin x            x
// tanh     tanh x                  dy (1 - y^2)         y
// sigmoid  1 / (1 + e^-x)          dy y (1 - y)         y   (as e^x / (1 + e^x) below 0, so
//                                                            that e^-|x| never overflows)
CR_UNARY_FLOAT(exp, "ExpBackward0", Exp, true)
CR_UNARY_FLOAT(log, "LogBackward0", Log, false)
CR_UNARY_FLOAT(log1p, "Log1PBackward0", Log1p, false)
CR_UNARY_FLOAT(expm1, "Expm1Backward0", Expm1, true)
CR_UNARY_FLOAT(sqrt, "SqrtBackward0", Sqrt, true)
CR_UNARY_FLOAT(rsqrt, "RsqrtBackward0", Rsqrt, true)
CR_UNARY_FLOAT(sin, "SinBackward0", Sin, false)
CR_UNARY_FLOAT(cos, "CosBackward0", Cos, false)
CR_UNARY_FLOAT(tanh, "TanhBackward0", Tanh, true)
CR_UNARY_FLOAT(sigmoid, "SigmoidBackward0", Sigmoid, true)
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
    Tensor y = unary_same<Unary::Neg>(x, "neg");
    if (needs_grad(x)) set_grad_fn(y, make_node<NegBackward0>({&x}));
    return y;
}

// ---- abs -------------------------------------------------------------------
// y = |x|                dx = dy * sgn(x)     (0 at x = 0)
Tensor abs(const Tensor& x) {
    CR_CHECK(x.dtype() != DType::Bool, TypeError, "abs: not supported for bool tensors");
    Tensor y = unary_same<Unary::Abs>(x, "abs");
    if (needs_grad(x)) detail::attach_unary<Unary::Abs>(y, x, x, "AbsBackward0");
    return y;
}

// ---- relu ------------------------------------------------------------------
// y = max(x, 0)          dx = dy * [y > 0]     NOTE: relu'(0) = 0, as in PyTorch
Tensor relu(const Tensor& x) {
    Tensor y = unary_same<Unary::Relu>(x, "relu");
    if (needs_grad(x)) detail::attach_unary<Unary::Relu>(y, x, y, "ReluBackward0");
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
                                        : unary_same_fn(x, "sign", [](auto v) {
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
// Whether a bound has an exact int64 value (false for NaN and +-inf too).
bool int64_valued(double b) { return b == std::floor(b) && b >= -0x1p63 && b < 0x1p63; }

Tensor clamp_values(const Tensor& x, double lo, double hi) {
    if (lo != lo || hi != hi) {  // a NaN bound gives NaN everywhere, as in PyTorch (x is float)
        return unary_same_fn(x, "clamp", [](auto v) {
            return std::numeric_limits<decltype(v)>::quiet_NaN();
        });
    }
    return unary_same_fn(x, "clamp", [lo, hi](auto v) {
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
    // An integer tensor clamped by a float bound becomes float, as in PyTorch. The bounds come
    // as doubles: a fractional, NaN, infinite or beyond-int64 one is a float (it has no int64
    // value to clamp to).
    const bool float_bounds = (min && !int64_valued(*min)) || (max && !int64_valued(*max));
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
