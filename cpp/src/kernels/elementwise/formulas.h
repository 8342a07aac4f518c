// The pointwise ops' math, one struct per op with its forward and derivative side by side:
//   fwd(x) = y,   bwd(dy, In<T> x) or bwd(dy, Out<T> y) or bwd(dy) = dx.
// The derivative's parameter types are the declaration of what it reads besides dy (the op's
// input, its output, or nothing); the op's node saves exactly that (kSaves below, and
// ops/pointwise_unary.h), so a derivative cannot read a tensor its node did not keep.
// `domain` says which dtypes the forward takes (Domain, elementwise_kernels.h).
// Used twice: by the per-ISA contiguous kernels (elementwise_impl.h, through the table in
// elementwise_kernels.h) and by the op files' strided/broadcast paths, so both compute the
// same formula. Op constants come in UnaryParams (p0, p1, p2, named per struct).
//
// Written to vectorise under GCC's default -ftrapping-math: selects are kernels::select (an
// integer mask), never a float ternary with arithmetic in its arms; no branches.
// Values at kinks, NaN and infinities follow PyTorch's CPU kernels (see the op files).
//
// Everything is in an unnamed namespace (as vec_math.h): each translation unit, and each
// per-ISA unit of the dispatch, gets its own internal-linkage copy (numpy#25274).
#pragma once
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "../vec_math.h"
#include "elementwise_kernels.h"

// An op without constants: constructible from (and ignoring) UnaryParams.
#define CR_EW_STATELESS(Name) \
    Name() = default;         \
    explicit Name(const UnaryParams&) {}

namespace chainrule::kernels {
namespace {
namespace ew {

constexpr double kSqrt1_2 = 0.70710678118654752440;      // 1/sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1/sqrt(2*pi)
constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2/pi)
constexpr double kGeluKappa = 0.044715;

// What a derivative reads besides dy, as its parameter type: In<T> the op's input x at the
// element, Out<T> its output y. Distinct types that convert to nothing else, so calling a
// derivative with the wrong one (a node saving x for a formula of y) does not compile.
template <class T>
struct In {
    T v;
};
template <class T>
struct Out {
    T v;
};

template <class F, class T, class = void>
struct ReadsNothing : std::false_type {};
template <class F, class T>
struct ReadsNothing<F, T, std::void_t<decltype(std::declval<const F&>().bwd(T()))>>
    : std::true_type {};
template <class F, class T, class = void>
struct ReadsInput : std::false_type {};
template <class F, class T>
struct ReadsInput<F, T, std::void_t<decltype(std::declval<const F&>().bwd(T(), In<T>{}))>>
    : std::true_type {};
template <class F, class T, class = void>
struct ReadsOutput : std::false_type {};
template <class F, class T>
struct ReadsOutput<F, T, std::void_t<decltype(std::declval<const F&>().bwd(T(), Out<T>{}))>>
    : std::true_type {};

template <class F>
constexpr Saves saves_of() {
    constexpr int kinds = int(ReadsNothing<F, float>::value) + int(ReadsInput<F, float>::value) +
                          int(ReadsOutput<F, float>::value);
    static_assert(kinds == 1,
                  "a derivative declares exactly one of bwd(dy), bwd(dy, In<T>) "
                  "and bwd(dy, Out<T>)");
    static_assert(ReadsInput<F, float>::value == ReadsInput<F, double>::value &&
                      ReadsOutput<F, float>::value == ReadsOutput<F, double>::value,
                  "a derivative reads the same tensor in every dtype");
    return ReadsInput<F, float>::value    ? Saves::Input
           : ReadsOutput<F, float>::value ? Saves::Output
                                          : Saves::None;
}
template <class F>
constexpr Saves kSaves = saves_of<F>();

// dx = F's derivative at dy, given s: the saved tensor's element F declares (unused when it
// declares none). The one place a saved value is handed to a derivative, typed by kSaves.
template <class F, class T>
CR_VEC_INLINE T derivative(const F& f, T dy, T s) {
    if constexpr (kSaves<F> == Saves::Input) {
        return f.bwd(dy, In<T>{s});
    } else if constexpr (kSaves<F> == Saves::Output) {
        return f.bwd(dy, Out<T>{s});
    } else {
        (void)s;
        return f.bwd(dy);
    }
}

// ---- math (elementwise_unary.cpp) ------------------------------------------------------
// y = e^x                         dx = dy * y
struct Exp {
    CR_EW_STATELESS(Exp)
    static constexpr Domain domain = Domain::Promote;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return vexp(v);
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, Out<T> y) const {
        return dy * y.v;
    }
};
// y = log x                       dx = dy / x
struct Log {
    CR_EW_STATELESS(Log)
    static constexpr Domain domain = Domain::Promote;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return vlog(v);
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        return dy / x.v;
    }
};
// y = log(1 + x)                  dx = dy / (1 + x)
struct Log1p {
    CR_EW_STATELESS(Log1p)
    static constexpr Domain domain = Domain::Promote;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return vlog1p(v);
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        return dy / (T(1) + x.v);
    }
};
// y = e^x - 1                     dx = dy * (y + 1)
struct Expm1 {
    CR_EW_STATELESS(Expm1)
    static constexpr Domain domain = Domain::Promote;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return vexpm1(v);
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, Out<T> y) const {
        return dy * (y.v + T(1));
    }
};
// y = sqrt x                      dx = dy / (2 y)
struct Sqrt {
    CR_EW_STATELESS(Sqrt)
    static constexpr Domain domain = Domain::Promote;
    static constexpr bool kSqrtFirst = true;  // fwd = post(sqrt): the kernels' vector sqrt
    template <class T>
    CR_VEC_INLINE T post(T r) const {
        return r;
    }
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return std::sqrt(v);
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, Out<T> y) const {
        return dy / (T(2) * y.v);
    }
};
// y = 1 / sqrt x                  dx = -dy y^3 / 2
struct Rsqrt {
    CR_EW_STATELESS(Rsqrt)
    static constexpr Domain domain = Domain::Promote;
    static constexpr bool kSqrtFirst = true;
    template <class T>
    CR_VEC_INLINE T post(T r) const {
        return T(1) / r;
    }
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return post(std::sqrt(v));
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, Out<T> y) const {
        return T(-0.5) * dy * y.v * y.v * y.v;
    }
};
// y = sin x                       dx = dy cos x       (libm: scalar)
struct Sin {
    CR_EW_STATELESS(Sin)
    static constexpr Domain domain = Domain::Promote;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return std::sin(v);
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        return dy * std::cos(x.v);
    }
};
// y = cos x                       dx = -dy sin x      (libm: scalar)
struct Cos {
    CR_EW_STATELESS(Cos)
    static constexpr Domain domain = Domain::Promote;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return std::cos(v);
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        return -dy * std::sin(x.v);
    }
};
// y = tanh x                      dx = dy (1 - y^2)
struct Tanh {
    CR_EW_STATELESS(Tanh)
    static constexpr Domain domain = Domain::Promote;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return vtanh(v);
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, Out<T> y) const {
        return dy * (T(1) - y.v * y.v);
    }
};
// y = 1 / (1 + e^-x)              dx = dy y (1 - y)   (as e^x / (1 + e^x) below 0, so that
// e^-|x| never overflows)
struct Sigmoid {
    CR_EW_STATELESS(Sigmoid)
    static constexpr Domain domain = Domain::Promote;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return vsigmoid(v);
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, Out<T> y) const {
        return dy * y.v * (T(1) - y.v);
    }
};
// y = max(x, 0) (NaN stays)        dx = y > 0 ? dy : 0  (relu'(0) = 0; NaN y passes dy, as
// torch's threshold_backward).  Also int64 (forward).
struct Relu {
    CR_EW_STATELESS(Relu)
    static constexpr Domain domain = Domain::Numeric;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        if constexpr (std::is_integral_v<T>) {
            return v > T(0) ? v : T(0);
        } else {
            return select(v <= T(0), T(0), v);
        }
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, Out<T> y) const {
        return select(y.v <= T(0), T(0), dy);
    }
};
// y = -x                          dx = -dy            Also int64 (forward).
struct Neg {
    CR_EW_STATELESS(Neg)
    static constexpr Domain domain = Domain::Numeric;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return -v;
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy) const {
        return -dy;
    }
};
// y = |x| (+0 at -0)               dx = dy sgn(x)  (sgn(0) = sgn(NaN) = 0)   Also int64.
struct Abs {
    CR_EW_STATELESS(Abs)
    static constexpr Domain domain = Domain::Numeric;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        if constexpr (std::is_integral_v<T>) {
            return v < T(0) ? -v : v;
        } else {
            return std::fabs(v);
        }
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        return dy * (select(x.v > T(0), T(1), T(0)) - select(x.v < T(0), T(1), T(0)));
    }
};

// y = sign(x) (0 at 0 and at NaN)   dx = 0      Also int64 (forward).
struct Sign {
    CR_EW_STATELESS(Sign)
    static constexpr Domain domain = Domain::Numeric;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        if constexpr (std::is_integral_v<T>) {
            return T((v > T(0)) - (v < T(0)));
        } else {
            return select(v > T(0), T(1), T(0)) - select(v < T(0), T(1), T(0));
        }
    }
    template <class T>
    CR_VEC_INLINE T bwd(T) const {
        return T(0);
    }
};
// clamp (p0 = lo, p1 = hi; -inf / inf when absent: clamp_min, clamp_max):
//   y = min(max(x, lo), hi)      dx = lo <= x <= hi ? dy : 0   (passes at the bounds)
// As PyTorch: hi where lo > hi, NaN everywhere for a NaN bound, a NaN x stays. int64 forward
// compares in double (an infinite bound cast to int64 is undefined); the ops compute in float
// for a bound without an int64 value.
struct Clamp {
    static constexpr Domain domain = Domain::Numeric;
    double lo = -HUGE_VAL, hi = HUGE_VAL;
    Clamp() = default;
    explicit Clamp(const UnaryParams& p) : lo(p.p0), hi(p.p1) {}
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        if constexpr (std::is_integral_v<T>) {
            if (static_cast<double>(v) < lo) return static_cast<T>(lo);
            if (static_cast<double>(v) > hi) return static_cast<T>(hi);
            return v;
        } else {
            const T l = static_cast<T>(lo), h = static_cast<T>(hi);
            const T r = select(v < l, l, v);
            return select((l != l) | (h != h), l + h, select(r > h, h, r));
        }
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        return select((x.v >= T(lo)) & (x.v <= T(hi)), dy, T(0));
    }
};

// ---- activations (activation.cpp) -----------------------------------------------------------
// float Phi(x) for gelu's derivative with one division and one exp: erfc(z), z = |x| / sqrt 2, from
// Numerical Recipes' t = 1 / (1 + z/2), erfc = t exp(poly(t) - z^2) (relative error
// < 1.2e-7; verf's small-|x| series is not needed, as 1 + erf stays near 1 there), then
// Phi = erfc / 2 for x < 0 (sign bit: -0 too) and 1 - erfc / 2 above. The exp argument is
// <= 3e-8, within vexp_nonpositive's range. NaN -> NaN, +inf -> 1, -inf -> 0.
CR_VEC_INLINE float gelu_cdf(float x) {
    const float a = fabs_bits(x) * static_cast<float>(kSqrt1_2);
    const float t = 1.0f / (1.0f + 0.5f * a);
    const float h = 0.5f * t * vexp_nonpositive(erfc_exponent_poly(t) - a * a);
    return select(fbits(x) < 0, h, 1.0f - h);
}

// gelu none: y = x Phi(x) = x/2 (1 + erf(x / sqrt 2))
//            dx = dy (Phi(x) + x exp(-x^2/2) / sqrt(2 pi))
// The float derivative uses gelu_cdf (the forward keeps verf: its series is tighter in ulps
// near x = -1, which tests/test_vec_math.py bounds).
struct GeluErf {
    CR_EW_STATELESS(GeluErf)
    static constexpr Domain domain = Domain::Floating;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return v * T(0.5) * (T(1) + verf(v * T(kSqrt1_2)));
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        const T s = x.v;
        if constexpr (std::is_same_v<T, float>) {
            const float pdf = static_cast<float>(kInvSqrt2Pi) * vexp_nonpositive(-0.5f * s * s);
            return dy * (gelu_cdf(s) + s * pdf);
        } else {
            const T cdf = T(0.5) * (T(1) + verf(s * T(kSqrt1_2)));
            const T pdf = T(kInvSqrt2Pi) * vexp(T(-0.5) * s * s);
            return dy * (cdf + s * pdf);
        }
    }
};
// gelu tanh: y = x/2 (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3), computed with
//   sg = (1 + tanh u) / 2 = 1 / (1 + exp(-2u)):  y = x sg,
//   dx = dy (sg + 2 x sg (1 - sg) sqrt(2/pi) (1 + 3 * 0.044715 x^2))
// (one exp instead of a tanh, and no cancellation in 1 + tanh u for u << 0).
struct GeluTanh {
    CR_EW_STATELESS(GeluTanh)
    static constexpr Domain domain = Domain::Floating;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        const T u = T(kSqrt2OverPi) * (v + T(kGeluKappa) * v * v * v);
        return v / (T(1) + vexp(T(-2) * u));
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        const T s = x.v, s2 = s * s;
        const T u = T(kSqrt2OverPi) * (s + T(kGeluKappa) * s2 * s);
        const T sg = T(1) / (T(1) + vexp(T(-2) * u));
        const T inner_d = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluKappa) * s2);
        return dy * (sg + T(2) * s * sg * (T(1) - sg) * inner_d);
    }
};
// silu: y = x / (1 + exp(-x))      dx = dy sig(x) (1 + x (1 - sig(x)))
// For x -> -inf, exp(-x) overflows to inf and y to -0: no NaN for finite x.
struct Silu {
    CR_EW_STATELESS(Silu)
    static constexpr Domain domain = Domain::Floating;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return v / (T(1) + vexp(-v));
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        const T sig = vsigmoid(x.v);
        return dy * sig * (T(1) + x.v * (T(1) - sig));
    }
};
// mish: y = x tanh(sp), sp = log1p(exp x)    dx = dy (tanh(sp) + x sig(x) (1 - tanh(sp)^2))
struct Mish {
    CR_EW_STATELESS(Mish)
    static constexpr Domain domain = Domain::Floating;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return v * vtanh(vlog1p(vexp(v)));
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        const T sig = vsigmoid(x.v);
        const T t = vtanh(vlog1p(vexp(x.v)));
        return dy * (t + x.v * sig * (T(1) - t * t));
    }
};
// softplus (p0 = beta, p1 = threshold):
//   y = beta x > threshold ? x : log1p(exp(beta x)) / beta
//   dx = beta x > threshold ? dy : dy z / (z + 1),  z = exp(beta x)
struct Softplus {
    static constexpr Domain domain = Domain::Floating;
    double beta = 1, threshold = 20;
    Softplus() = default;
    explicit Softplus(const UnaryParams& p) : beta(p.p0), threshold(p.p1) {}
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        const T bx = v * T(beta);
        return select(bx > T(threshold), v, vlog1p(vexp(bx)) / T(beta));
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        const T bx = x.v * T(beta);
        const T z = vexp(bx);
        return select(bx > T(threshold), dy, dy * z / (z + T(1)));
    }
};
// logsigmoid: y = min(x, 0) - log1p(exp(-|x|))
//   dx = dy ([x < 0] - sign'(x) z / (1 + z)),  z = exp(-|x|),  sign' = x < 0 ? 1 : -1
struct Logsigmoid {
    CR_EW_STATELESS(Logsigmoid)
    static constexpr Domain domain = Domain::Floating;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        const T m = select(v < T(0), v, T(0));
        return m - vlog1p(vexp(-std::fabs(v)));
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        const bool neg = x.v < T(0);
        const T z = vexp(-std::fabs(x.v));
        return dy * (select(neg, T(1), T(0)) - select(neg, T(1), T(-1)) * (z / (T(1) + z)));
    }
};
// elu/selu/celu (p0 = alpha * scale, p1 = scale, p2 = input_scale):
//   y = x > 0 ? scale x : alpha scale (exp(input_scale x) - 1)
//   dx = x > 0 ? dy scale : dy input_scale alpha scale exp(input_scale x)    (Elu: from x)
//      = x > 0 ? dy scale : dy input_scale (y + alpha scale)                 (EluOut: from y,
//        valid when y > 0 iff x > 0: alpha scale >= 0 and scale > 0; the in-place forms)
// x = 0 takes the exponential side; a NaN x or y gives NaN.
struct Elu {
    static constexpr Domain domain = Domain::Floating;
    double neg = 1, pos = 1, in = 1;
    Elu() = default;
    explicit Elu(const UnaryParams& p) : neg(p.p0), pos(p.p1), in(p.p2) {}
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return select(v <= T(0), vexpm1(v * T(in)) * T(neg), v * T(pos));
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        const T s = x.v;
        const T lo = dy * T(in) * T(neg) * vexp(s * T(in));
        return select(s > T(0), dy * T(pos), select(s != s, s, lo));
    }
};
struct EluOut : Elu {  // bwd hides Elu's: this one reads only the output
    EluOut() = default;
    explicit EluOut(const UnaryParams& p) : Elu(p) {}
    template <class T>
    CR_VEC_INLINE T bwd(T dy, Out<T> y) const {
        const T s = y.v;
        const T lo = dy * T(in) * (s + T(neg));
        return select(s > T(0), dy * T(pos), select(s != s, s, lo));
    }
};
// leaky_relu (p0 = slope): y = x > 0 ? x : slope x    dx = x > 0 ? dy : slope dy
// max(x, 0) + slope min(x, 0) is exactly x or slope x, and keeps NaN and -0. At x = 0 the
// gradient is slope (PyTorch's choice); NaN gives NaN and a slope gradient.
// LeakyReluOut: the same derivative from y, valid for slope >= 0 (y > 0 iff x > 0, y NaN iff
// x NaN); the in-place form's (LeakyReluBackward1).
struct LeakyRelu {
    static constexpr Domain domain = Domain::Floating;
    double slope = 0.01;
    LeakyRelu() = default;
    explicit LeakyRelu(const UnaryParams& p) : slope(p.p0) {}
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        return std::max(v, T(0)) + T(slope) * std::min(v, T(0));
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        return grad(dy, x.v);
    }

 protected:
    // s: x, or y when slope >= 0
    template <class T>
    CR_VEC_INLINE T grad(T dy, T s) const {
        const T p = select(s > T(0), dy, T(0));
        const T q = select(s > T(0), T(0), dy);  // NaN takes this side
        return p + T(slope) * q;
    }
};
struct LeakyReluOut : LeakyRelu {
    LeakyReluOut() = default;
    explicit LeakyReluOut(const UnaryParams& p) : LeakyRelu(p) {}
    template <class T>
    CR_VEC_INLINE T bwd(T dy, Out<T> y) const {
        return grad(dy, y.v);
    }
};
// hardtanh (p0 = min_val, p1 = max_val): y = min(max(x, lo), hi)  dx = lo < x < hi ? dy : 0
// (0 at the bounds and at NaN; NaN propagates). int64 forward compares in double (an
// infinite bound cast to int64 is undefined) and truncates fractional bounds, as PyTorch.
// HardtanhOut: the same derivative from y (lo < y < hi iff lo < x < hi); the in-place form's.
struct Hardtanh {
    static constexpr Domain domain = Domain::Numeric;
    double lo = -1, hi = 1;
    Hardtanh() = default;
    explicit Hardtanh(const UnaryParams& p) : lo(p.p0), hi(p.p1) {}
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        if constexpr (std::is_integral_v<T>) {
            const double d = static_cast<double>(v);
            return d < lo ? static_cast<T>(lo) : (d > hi ? static_cast<T>(hi) : v);
        } else {
            const T l = static_cast<T>(lo), h = static_cast<T>(hi);
            return select(v < l, l, select(v > h, h, v));
        }
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        return grad(dy, x.v);
    }

 protected:
    template <class T>
    CR_VEC_INLINE T grad(T dy, T s) const {  // s: x or y
        return select((s > T(lo)) & (s < T(hi)), dy, T(0));
    }
};
struct HardtanhOut : Hardtanh {
    HardtanhOut() = default;
    explicit HardtanhOut(const UnaryParams& p) : Hardtanh(p) {}
    template <class T>
    CR_VEC_INLINE T bwd(T dy, Out<T> y) const {
        return grad(dy, y.v);
    }
};
// hardsigmoid: y = min(max(x + 3, 0), 6) / 6      dx = -3 < x < 3 ? dy / 6 : 0
struct Hardsigmoid {
    CR_EW_STATELESS(Hardsigmoid)
    static constexpr Domain domain = Domain::Floating;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        const T r = v + T(3);
        return select(r < T(0), T(0), select(r > T(6), T(6), r)) / T(6);  // NaN falls through
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        return select((x.v > T(-3)) & (x.v < T(3)), dy, T(0)) / T(6);
    }
};
// hardswish: y = x min(max(x + 3, 0), 6) / 6
//   dx = x <= -3 ? 0 : (x < 3 ? dy (x / 3 + 1/2) : dy)   (0 at -3, dy at 3, NaN at NaN)
struct Hardswish {
    CR_EW_STATELESS(Hardswish)
    static constexpr Domain domain = Domain::Floating;
    template <class T>
    CR_VEC_INLINE T fwd(T v) const {
        const T r = v + T(3);
        return v * select(r < T(0), T(0), select(r > T(6), T(6), r)) / T(6);
    }
    template <class T>
    CR_VEC_INLINE T bwd(T dy, In<T> x) const {
        const T s = x.v;
        const T mid = select(s < T(3), dy * (s / T(3) + T(0.5)), dy);
        return select(s <= T(-3), T(0), select(s != s, s, mid));
    }
};

// ---- binary arithmetic (elementwise_binary.cpp) ----------------------------------------------
// out = a + alpha b, a - alpha b, a b, a / b. alpha = 1 gives exactly a + b (1 * b is exact).
struct AddOp {
    template <class T>
    static CR_VEC_INLINE T apply(T a, T b, T alpha) {
        return a + alpha * b;
    }
};
struct SubOp {
    template <class T>
    static CR_VEC_INLINE T apply(T a, T b, T alpha) {
        return a - alpha * b;
    }
};
struct MulOp {
    template <class T>
    static CR_VEC_INLINE T apply(T a, T b, T) {
        return a * b;
    }
};
struct DivOp {
    template <class T>
    static CR_VEC_INLINE T apply(T a, T b, T) {
        return a / b;
    }
};

}  // namespace ew
}  // namespace
}  // namespace chainrule::kernels

#undef CR_EW_STATELESS
