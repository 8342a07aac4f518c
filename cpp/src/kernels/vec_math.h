// Branch-free float math that GCC vectorises: a plain `for` loop over these functions becomes
// SSE2 code at -O2/-O3 (and AVX2/AVX-512 code when the same loop is compiled with those flags).
//
// Why they look like this:
// - Under GCC's default -ftrapping-math a float ternary (or std::min/max) is not if-converted,
//   so it stays a branch and the loop does not vectorise. Every select here is an integer
//   mask on the bits; comparisons are integer compares on the bits where possible.
// - exp (one forced-inline range reduction, exp_reduce, shared by vexp, vexp_nonpositive and
//   vexpm1): x = n ln2 + r with n = round(x log2e) (the 1.5*2^23 shifter trick), ln2 split in two
//   (Cody-Waite), Cephes' degree-5 polynomial for e^r, then times 2^n built in the exponent
//   bits (as two factors 2^(n/2) 2^(n-n/2), so that results down into the denormals round once).
// - log/log1p: the exponent and a mantissa in [sqrt(1/2), sqrt(2)) from the bits, Cephes' logf
//   polynomial; log1p adds the rounding error of 1 + x back as (x - (u - 1)) / u.
// - Special values (±inf, NaN, ±0, denormals, overflow/underflow) are fixed up with masks.
//
// double overloads call std:: (glibc's scalar double functions): they do not vectorise, but
// the float32 paths are the hot ones; every function has both overloads so generic lambdas
// (`[](auto v)`) work for both dtypes.
//
// Everything is in an unnamed namespace: each translation unit (and each per-ISA translation
// unit of the dispatch) gets its own internal-linkage copy, so a copy compiled with -mavx512f
// can never be the one the linker keeps for the baseline path (numpy#25274).
//
// Measured accuracy (tests/test_vec_math.py, float32 against float64 NumPy over dense sweeps):
// see that file for the bounds it enforces.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

// Forced inlining: with several callers per file GCC otherwise keeps vexp out of line, and a
// loop that calls a function does not vectorise.
#if defined(__GNUC__)
#define CR_VEC_INLINE inline __attribute__((always_inline))
#else
#define CR_VEC_INLINE inline
#endif

namespace chainrule::kernels {
namespace {

CR_VEC_INLINE int32_t fbits(float f) {
    int32_t i;
    std::memcpy(&i, &f, sizeof i);
    return i;
}
CR_VEC_INLINE float bitsf(int32_t i) {
    float f;
    std::memcpy(&f, &i, sizeof f);
    return f;
}
// a - b wrapping around (two's complement) instead of overflowing: bit patterns of negative
// floats and NaNs go through the same arithmetic as the rest and are masked out afterwards.
CR_VEC_INLINE int32_t wrap_sub(int32_t a, int32_t b) {
    return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
// 2^n as a float for n in [-126, 127], built from its exponent field; the shift is done
// unsigned so that the masked-out lanes (NaN inputs) do not overflow a signed shift.
CR_VEC_INLINE float pow2_float(int32_t n) {
    return bitsf(static_cast<int32_t>((static_cast<uint32_t>(n) + 127u) << 23));
}
CR_VEC_INLINE int64_t dbits(double f) {
    int64_t i;
    std::memcpy(&i, &f, sizeof i);
    return i;
}
CR_VEC_INLINE double bitsd(int64_t i) {
    double f;
    std::memcpy(&f, &i, sizeof f);
    return f;
}

// All ones when c, else zero.
CR_VEC_INLINE int32_t mask32(bool c) { return -static_cast<int32_t>(c); }
CR_VEC_INLINE int64_t mask64(bool c) { return -static_cast<int64_t>(c); }
CR_VEC_INLINE int32_t select_bits(int32_t m, int32_t a, int32_t b) { return (a & m) | (b & ~m); }

// c ? a : b without a branch (both sides are computed).
CR_VEC_INLINE float select(bool c, float a, float b) {
    return bitsf(select_bits(mask32(c), fbits(a), fbits(b)));
}
CR_VEC_INLINE double select(bool c, double a, double b) {
    const int64_t m = mask64(c);
    return bitsd((dbits(a) & m) | (dbits(b) & ~m));
}

// A signed integer that orders like the float (NaNs beyond ±inf), for integer compares.
CR_VEC_INLINE int32_t order_key(int32_t i) { return i ^ ((i >> 31) & 0x7FFFFFFF); }

// |x| and the sign bit of s copied onto |x|.
CR_VEC_INLINE float fabs_bits(float x) { return bitsf(fbits(x) & 0x7FFFFFFF); }
CR_VEC_INLINE float copysign_bits(float mag, int32_t sign_src_bits) {
    return bitsf((fbits(mag) & 0x7FFFFFFF) | (sign_src_bits & INT32_MIN));
}

// ---- exp range reduction (shared by vexp, vexp_nonpositive, vexpm1) ----------------------
// For a clamped x: n = round(x log2e) (the 1.5*2^23 shifter trick) and r = x - n ln2 with ln2
// in two parts (Cody-Waite: an exact product, then a correction); returns e^r - 1 from Cephes'
// degree-5 polynomial, so e^x = 2^n (1 + result).
CR_VEC_INLINE float exp_reduce(float xc, int32_t& n) {
    const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
    const float t = xc * 1.44269504088896341f + shifter;
    n = wrap_sub(fbits(t), fbits(shifter));
    const float fn = t - shifter;
    float r = xc - fn * 0.693359375f;
    r = r - fn * -2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    return y * (r * r) + r;
}

// ---- exp ---------------------------------------------------------------------------------
// Within 1 ulp; exp(x) = inf above 88.7228, denormals down to -103.97, 0 below, NaN in -> NaN.
CR_VEC_INLINE float vexp(float x) {
    const int32_t ix = fbits(x);
    const int32_t k = order_key(ix);
    const float hi = 89.0f, lo = -104.0f;
    int32_t cb = select_bits(mask32(k > order_key(fbits(hi))), fbits(hi), ix);
    cb = select_bits(mask32(k < order_key(fbits(lo))), fbits(lo), cb);
    const float xc = bitsf(cb);
    int32_t n;
    const float y = exp_reduce(xc, n) + 1.0f;
    const int32_t h = n >> 1;  // n in [-150, 128]: both halves are normal exponents
    const float res = (y * pow2_float(h)) * pow2_float(n - h);
    const int32_t nan = mask32((ix & 0x7FFFFFFF) > 0x7F800000);
    return bitsf(select_bits(nan, fbits(x + x), fbits(res)));
}
CR_VEC_INLINE double vexp(double x) { return std::exp(x); }

// ---- exp of x <= 0 (softmax rows) ------------------------------------------------------------
// exp for the x - max <= 0 of softmax/logsumexp, ~30% cheaper than vexp: one clamp and one
// scale, results below 2^-126 flushed to 0 (exactly 0 below -87.3365, so exp(-inf) = 0), NaN
// for NaN, within 1 ulp otherwise. Also correct for small positive x (|x| < 88).
CR_VEC_INLINE float vexp_nonpositive(float x) {
    const int32_t bx = fbits(x);
    // Negative floats order like their bit patterns read as unsigned ints.
    const uint32_t ux = static_cast<uint32_t>(bx);
    const int32_t low = mask32(ux > 0xC2AE0000u);  // x < -87: clamp
    const float xc = bitsf(select_bits(low, static_cast<int32_t>(0xC2AE0000u), bx));
    int32_t n;
    const float y = exp_reduce(xc, n) + 1.0f;
    const int32_t res = fbits(y * pow2_float(n));
    const int32_t zero = mask32(ux > 0xC2AEAC50u);  // x < -87.3365
    const int32_t nan = mask32((bx & 0x7FFFFFFF) > 0x7F800000);
    return bitsf((res & ~zero & ~nan) | (bx & nan));
}
CR_VEC_INLINE double vexp_nonpositive(double x) { return std::exp(x); }

// ---- expm1 -------------------------------------------------------------------------------
// e^x - 1 = 2^n (e^r - 1) + (2^n - 1), computed as 2 (2^(n-1) p + (2^(n-1) - 1/2)) so that
// n = 128 does not need 2^128; exact for n = 0 up to the polynomial. x tiny returns x (-0).
CR_VEC_INLINE float vexpm1(float x) {
    const int32_t ix = fbits(x);
    const int32_t k = order_key(ix);
    const float hi = 89.0f, lo = -20.0f;
    int32_t cb = select_bits(mask32(k > order_key(fbits(hi))), fbits(hi), ix);
    cb = select_bits(mask32(k < order_key(fbits(lo))), fbits(lo), cb);
    const float xc = bitsf(cb);
    int32_t n;
    const float p = exp_reduce(xc, n);  // e^r - 1
    const float s = pow2_float(n - 1);  // 2^(n-1), n in [-29, 128]
    const float res = (s * p + (s - 0.5f)) * 2.0f;
    const int32_t ax = ix & 0x7FFFFFFF;
    int32_t out = select_bits(mask32(ax < 0x33000000), ix, fbits(res));  // |x| < 2^-25
    return bitsf(select_bits(mask32(ax > 0x7F800000), fbits(x + x), out));
}
CR_VEC_INLINE double vexpm1(double x) { return std::expm1(x); }

// ---- log ---------------------------------------------------------------------------------
// log(1 + f) for f in [sqrt(1/2) - 1, sqrt(2) - 1] (Cephes' logf polynomial) plus e ln2.
CR_VEC_INLINE float log_core(float f, float e) {
    const float z = f * f;
    float y = 7.0376836292e-2f;
    y = y * f - 1.1514610310e-1f;
    y = y * f + 1.1676998740e-1f;
    y = y * f - 1.2420140846e-1f;
    y = y * f + 1.4249322787e-1f;
    y = y * f - 1.6668057665e-1f;
    y = y * f + 2.0000714765e-1f;
    y = y * f - 2.4999993993e-1f;
    y = y * f + 3.3333331174e-1f;
    y = y * f * z - 0.5f * z;
    return (f + (y + e * -2.12194440e-4f)) + e * 0.693359375f;
}

// Within 1 ulp; log(±0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN -> NaN, denormals ok.
CR_VEC_INLINE float vlog(float x) {
    const int32_t ix = fbits(x);
    const int32_t sub = mask32(ix < 0x00800000);  // denormals (and 0, negatives: fixed below)
    const int32_t i = select_bits(sub, fbits(x * 8388608.0f), ix);
    const int32_t tmp = wrap_sub(i, 0x3F3504F3);  // bits of sqrt(1/2)
    const int32_t e = (tmp >> 23) - (sub & 23);
    const float f = bitsf(wrap_sub(i, tmp & static_cast<int32_t>(0xFF800000u))) - 1.0f;
    int32_t out = fbits(log_core(f, static_cast<float>(e)));
    out = select_bits(mask32(ix >= 0x7F800000), fbits(x + x), out);  // inf, NaN
    out = select_bits(mask32(ix < 0), 0x7FC00000, out);              // negative: NaN
    return bitsf(select_bits(mask32((ix & 0x7FFFFFFF) == 0), fbits(-INFINITY), out));
}
CR_VEC_INLINE double vlog(double x) { return std::log(x); }

// ---- log1p -------------------------------------------------------------------------------
// Within 2 ulp; log1p(-1) = -inf, below NaN, tiny x (incl. -0, denormals) returns x.
CR_VEC_INLINE float vlog1p(float x) {
    const int32_t ix = fbits(x);
    const float u = 1.0f + x;
    const int32_t iu = fbits(u);
    const int32_t tmp = wrap_sub(iu, 0x3F3504F3);
    const int32_t e = tmp >> 23;
    const float f = bitsf(wrap_sub(iu, tmp & static_cast<int32_t>(0xFF800000u))) - 1.0f;
    const float c = (x - (u - 1.0f)) / u;  // the rounding error of 1 + x, relative to u
    int32_t out = fbits(log_core(f, static_cast<float>(e)) + c);
    out = select_bits(mask32(iu >= 0x7F800000), fbits(u + u), out);              // inf, NaN
    out = select_bits(mask32(iu < 0), 0x7FC00000, out);                          // x < -1: NaN
    out = select_bits(mask32(iu == 0), fbits(-INFINITY), out);                   // x = -1
    return bitsf(select_bits(mask32((ix & 0x7FFFFFFF) < 0x33800000), ix, out));  // |x| < 2^-24
}
CR_VEC_INLINE double vlog1p(double x) { return std::log1p(x); }

// ---- tanh --------------------------------------------------------------------------------
// |x| < 0.625: Cephes' odd polynomial; above: 1 - 2 / (e^2|x| + 1) with x's sign.
CR_VEC_INLINE float vtanh(float x) {
    const int32_t ix = fbits(x);
    const float z = x * x;
    float y = -5.70498872745e-3f;
    y = y * z + 2.06390887954e-2f;
    y = y * z - 5.37397155531e-2f;
    y = y * z + 1.33314422036e-1f;
    y = y * z - 3.33332819422e-1f;
    const float a = fabs_bits(x);  // on |x|, then x's sign (keeps -0)
    const float small = y * z * a + a;
    const float e = vexp(2.0f * a);
    const float big = 1.0f - 2.0f / (e + 1.0f);
    return copysign_bits(select((ix & 0x7FFFFFFF) < 0x3F200000, small, big), ix);  // 0.625f
}
CR_VEC_INLINE double vtanh(double x) { return std::tanh(x); }

// ---- sigmoid -----------------------------------------------------------------------------
// 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below (e = e^-|x| never overflows).
CR_VEC_INLINE float vsigmoid(float x) {
    const int32_t ix = fbits(x);
    const float e = vexp(-fabs_bits(x));
    return select(ix < 0, e, 1.0f) / (1.0f + e);
}
CR_VEC_INLINE double vsigmoid(double x) {
    const double e = std::exp(-std::fabs(x));
    return (x < 0 ? e : 1.0) / (1.0 + e);
}

// erfc(a) = t * exp(erfc_exponent_poly(t) - a*a) for a >= 0, t = 1 / (1 + a/2) (a Chebyshev
// fit, relative error below 1.2e-7): shared by verf and GELU's normal CDF.
CR_VEC_INLINE float erfc_exponent_poly(float t) {
    float q = 0.17087277f;
    q = q * t - 0.82215223f;
    q = q * t + 1.48851587f;
    q = q * t - 1.13520398f;
    q = q * t + 0.27886807f;
    q = q * t - 0.18628806f;
    q = q * t + 0.09678418f;
    q = q * t + 0.37409196f;
    q = q * t + 1.00002368f;
    return q * t - 1.26551223f;
}

// ---- erf ---------------------------------------------------------------------------------
// |x| < 0.5: Taylor series to x^15; above: 1 - erfc with Numerical Recipes' erfc (relative
// error < 1.2e-7), which is within a few ulp of erf there. Odd, -0 -> -0, ±inf -> ±1.
CR_VEC_INLINE float verf(float x) {
    const int32_t ix = fbits(x);
    const float a = fabs_bits(x);
    const float z = a * a;
    float p = -1.0f / 75600.0f;
    p = p * z + 1.0f / 9360.0f;
    p = p * z - 1.0f / 1320.0f;
    p = p * z + 1.0f / 216.0f;
    p = p * z - 1.0f / 42.0f;
    p = p * z + 1.0f / 10.0f;
    p = p * z - 1.0f / 3.0f;
    const float small = (p * z * a + a) * 1.12837916709551257f;  // 2 / sqrt(pi)
    const float t = 1.0f / (1.0f + 0.5f * a);
    const float erfc = t * vexp(erfc_exponent_poly(t) - z);
    const float big = 1.0f - erfc;
    return copysign_bits(select((ix & 0x7FFFFFFF) < 0x3F000000, small, big), ix);  // 0.5f
}
CR_VEC_INLINE double verf(double x) { return std::erf(x); }

}  // namespace
}  // namespace chainrule::kernels
