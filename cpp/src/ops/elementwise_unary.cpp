// Unary pointwise math. Each op is a formula struct of kernels/elementwise/formulas.h (its
// forward, its derivative and what that reads, used by the per-ISA contiguous kernels and the
// strided path alike) wired by unary_op (pointwise_unary.h), which also decides what the node
// saves; derivatives are one-pass kernels rather than chains of ops.
#include "../kernels/vec_math.h"
#include "pointwise_unary.h"

namespace chainrule {

using detail::unary_op;
using kernels::Unary;

// op       y                       dx                   (formulas.h: kernels::ew::<Op>)
// exp      e^x                     dy * y
// log      log x                   dy / x
// log1p    log(1 + x)              dy / (1 + x)
// expm1    e^x - 1                 dy * (y + 1)
// sqrt     sqrt x                  dy / (2 y)
// rsqrt    1 / sqrt x              -dy y^3 / 2
// sin      sin x                   dy cos x
// cos      cos x                   -dy sin x
// tanh     tanh x                  dy (1 - y^2)
// sigmoid  1 / (1 + e^-x)          dy y (1 - y)
// Integer inputs are computed in float32.
Tensor exp(const Tensor& x) { return unary_op<Unary::Exp>(x, "exp", "ExpBackward0"); }
Tensor log(const Tensor& x) { return unary_op<Unary::Log>(x, "log", "LogBackward0"); }
Tensor log1p(const Tensor& x) { return unary_op<Unary::Log1p>(x, "log1p", "Log1PBackward0"); }
Tensor expm1(const Tensor& x) { return unary_op<Unary::Expm1>(x, "expm1", "Expm1Backward0"); }
Tensor sqrt(const Tensor& x) { return unary_op<Unary::Sqrt>(x, "sqrt", "SqrtBackward0"); }
Tensor rsqrt(const Tensor& x) { return unary_op<Unary::Rsqrt>(x, "rsqrt", "RsqrtBackward0"); }
Tensor sin(const Tensor& x) { return unary_op<Unary::Sin>(x, "sin", "SinBackward0"); }
Tensor cos(const Tensor& x) { return unary_op<Unary::Cos>(x, "cos", "CosBackward0"); }
Tensor tanh(const Tensor& x) { return unary_op<Unary::Tanh>(x, "tanh", "TanhBackward0"); }
Tensor sigmoid(const Tensor& x) {
    return unary_op<Unary::Sigmoid>(x, "sigmoid", "SigmoidBackward0");
}

// ---- neg / abs / relu (int64 too) -------------------------------------------
// y = -x                 dx = -dy
// y = |x|                dx = dy * sgn(x)     (0 at x = 0)
// y = max(x, 0)          dx = dy * [y > 0]     NOTE: relu'(0) = 0, as in PyTorch
namespace {
void check_neg(const Tensor& x) {
    CR_CHECK(x.dtype() != DType::Bool, TypeError,
             "neg: negation of a bool tensor is not supported; use logical_not or ~");
}
void check_abs(const Tensor& x) {
    CR_CHECK(x.dtype() != DType::Bool, TypeError, "abs: not supported for bool tensors");
}
}  // namespace

Tensor neg(const Tensor& x) {
    check_neg(x);
    return unary_op<Unary::Neg>(x, "neg", "NegBackward0");
}
Tensor abs(const Tensor& x) {
    check_abs(x);
    return unary_op<Unary::Abs>(x, "abs", "AbsBackward0");
}
Tensor relu(const Tensor& x) { return unary_op<Unary::Relu>(x, "relu", "ReluBackward0"); }

// The in-place forms: the same formulas and node names.
Tensor& exp_(Tensor& self) { return detail::unary_op_<Unary::Exp>(self, "exp_", "ExpBackward0"); }
Tensor& log_(Tensor& self) { return detail::unary_op_<Unary::Log>(self, "log_", "LogBackward0"); }
Tensor& sqrt_(Tensor& self) {
    return detail::unary_op_<Unary::Sqrt>(self, "sqrt_", "SqrtBackward0");
}
Tensor& sigmoid_(Tensor& self) {
    return detail::unary_op_<Unary::Sigmoid>(self, "sigmoid_", "SigmoidBackward0");
}
Tensor& tanh_(Tensor& self) {
    return detail::unary_op_<Unary::Tanh>(self, "tanh_", "TanhBackward0");
}
Tensor& sin_(Tensor& self) { return detail::unary_op_<Unary::Sin>(self, "sin_", "SinBackward0"); }
Tensor& cos_(Tensor& self) { return detail::unary_op_<Unary::Cos>(self, "cos_", "CosBackward0"); }
Tensor& neg_(Tensor& self) {
    check_neg(self);
    return detail::unary_op_<Unary::Neg>(self, "neg_", "NegBackward0");
}
Tensor& abs_(Tensor& self) {
    check_abs(self);
    return detail::unary_op_<Unary::Abs>(self, "abs_", "AbsBackward0");
}
Tensor& relu_(Tensor& self) {
    return detail::unary_op_<Unary::Relu>(self, "relu_", "ReluBackward0");
}

// ---- sign / clamp -------------------------------------------------------------
// y = sign(x)                 dx = 0
// y = min(max(x, lo), hi)     dx = dy * [lo <= x <= hi]   (passes at the bounds, as PyTorch)
Tensor sign(const Tensor& x) {
    if (x.dtype() == DType::Bool) return clone(x);
    return unary_op<Unary::Sign>(x, "sign", "SignBackward0");
}

namespace {
// Whether a bound has an exact int64 value (false for NaN and +-inf too).
bool int64_valued(double b) { return b == std::floor(b) && b >= -0x1p63 && b < 0x1p63; }
}  // namespace

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
    CR_CHECK(min || max, ValueError, "clamp: at least one of 'min' or 'max' must not be None");
    const double lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
    // An integer tensor clamped by a float bound becomes float, as in PyTorch. The bounds come
    // as doubles: a fractional, NaN, infinite or beyond-int64 one is a float (it has no int64
    // value to clamp to). An integer x has no gradient, so computing on its cast loses none.
    const bool float_bounds = (min && !int64_valued(*min)) || (max && !int64_valued(*max));
    const Tensor in =
        (!is_floating(x.dtype()) && float_bounds) ? detail::cast_for_compute(x, kDefaultFloat) : x;
    return unary_op<Unary::Clamp>(in, "clamp", "ClampBackward1", {lo, hi, 0});
}

}  // namespace chainrule
