// The reduction loops, written once as plain C++ that GCC/Clang vectorise, included by each
// ISA unit with its own lane count L (16 floats for SSE2, 32 for AVX2, 64 for AVX-512: four
// vector registers of independent partial sums). Everything is in an unnamed namespace:
// each unit gets its own internal-linkage copy (see check_isa_symbols.cmake).
#pragma once
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../vec_math.h"
#include "reduce_kernels.h"

#if defined(__GNUC__)
#define CR_RED_INLINE inline __attribute__((always_inline))
#else
#define CR_RED_INLINE inline
#endif

namespace chainrule::kernels {
namespace {

// Elements per sub-block: each of the L float lanes sums kSub / L of them before the lanes
// are combined and the result goes to the double total.
constexpr int64_t kSub = 1024;
// Rows per float block of the column sums, then added to the double accumulators.
constexpr int64_t kColRows = 64;
// Columns per pass of the column sums (the float accumulators stay in L1).
constexpr int64_t kColWidth = 512;

struct Ident {
    template <class T>
    CR_RED_INLINE T operator()(T v) const {
        return v;
    }
};
struct Square {
    template <class T>
    CR_RED_INLINE T operator()(T v) const {
        return v * v;
    }
};

// x^2 in double, for float blocks whose float squares overflow or vanish.
struct SquareWide {
    CR_RED_INLINE double operator()(float v) const {
        const double d = v;
        return d * d;
    }
};

// One sub-block (n <= kSub): L lanes of type A (T's own by default), combined pairwise (a
// fixed tree).
template <int L, class T, class Map, class A = T>
CR_RED_INLINE double sum_sub(const T* __restrict x, int64_t n, Map map) {
    A lane[L];
    for (int j = 0; j < L; ++j) lane[j] = A(0);
    int64_t i = 0;
    for (; i + L <= n; i += L) {
        for (int j = 0; j < L; ++j) lane[j] += map(x[i + j]);
    }
    A tail = A(0);
    for (; i < n; ++i) tail += map(x[i]);
    for (int w = L / 2; w >= 1; w /= 2) {
        for (int j = 0; j < w; ++j) lane[j] += lane[j + w];
    }
    return static_cast<double>(lane[0]) + static_cast<double>(tail);
}

template <int L, class T, class Map>
double sum_impl(const T* x, int64_t n, Map map) {
    double total = 0;
    for (int64_t i = 0; i < n; i += kSub) {
        total += sum_sub<L>(x + i, n - i < kSub ? n - i : kSub, map);
    }
    return total;
}

template <int L, class T>
double sum_plain(const T* x, int64_t n) {
    return sum_impl<L>(x, n, Ident{});
}
// Float squares overflow beyond |x| ~ 1.8e19 and fall into subnormals (or to 0) below
// ~1e-19: a float sub-block whose sum is not finite, or so small that such squares matter,
// is summed again with double lanes (norm and var of very large or very small values come out
// as PyTorch's double accumulation gives them). Ordinary blocks keep the float lanes.
template <int L, class T>
double sum_squares(const T* x, int64_t n) {
    if constexpr (std::is_same_v<T, float>) {
        double total = 0;
        for (int64_t i = 0; i < n; i += kSub) {
            const int64_t m = n - i < kSub ? n - i : kSub;
            double s = sum_sub<L>(x + i, m, Square{});
            if (!(s >= 1e-25 && s <= 1e300)) {  // overflowed (inf), NaN, tiny or all zero
                s = sum_sub<L / 2, float, SquareWide, double>(x + i, m, SquareWide{});
            }
            total += s;
        }
        return total;
    } else {
        return sum_impl<L>(x, n, Square{});
    }
}

template <class T>
void colsum_impl(double* __restrict acc, const T* __restrict x, int64_t rows, int64_t ld,
                 int64_t cols) {
    alignas(64) T f[kColWidth];
    for (int64_t c0 = 0; c0 < cols; c0 += kColWidth) {
        const int64_t nc = cols - c0 < kColWidth ? cols - c0 : kColWidth;
        double* __restrict a = acc + c0;
        for (int64_t r0 = 0; r0 < rows; r0 += kColRows) {
            const int64_t r1 = rows - r0 < kColRows ? rows : r0 + kColRows;
            const T* __restrict q = x + r0 * ld + c0;
            for (int64_t j = 0; j < nc; ++j) f[j] = q[j];
            for (int64_t r = r0 + 1; r < r1; ++r) {
                q += ld;
                for (int64_t j = 0; j < nc; ++j) f[j] += q[j];
            }
            for (int64_t j = 0; j < nc; ++j) a[j] += static_cast<double>(f[j]);
        }
    }
}

// Max / min over order keys (integers that order like the floats: integer max/min reductions
// vectorise, a float one does not without fast-math flags) plus a NaN flag.
template <bool kMax>
float extremum(const float* x, int64_t n) {
    int32_t best = order_key(fbits(kMax ? -INFINITY : INFINITY));
    int32_t nan = 0;
    for (int64_t i = 0; i < n; ++i) {
        const int32_t b = fbits(x[i]);
        const int32_t k = order_key(b);
        best = kMax ? (k > best ? k : best) : (k < best ? k : best);
        nan |= mask32((b & 0x7FFFFFFF) > 0x7F800000);
    }
    return nan ? std::numeric_limits<float>::quiet_NaN() : bitsf(order_key(best));
}
template <bool kMax>
double extremum(const double* x, int64_t n) {
    auto key = [](int64_t b) { return b ^ ((b >> 63) & INT64_MAX); };
    int64_t best = key(dbits(kMax ? -INFINITY : INFINITY));
    int64_t nan = 0;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t b = dbits(x[i]);
        const int64_t k = key(b);
        best = kMax ? (k > best ? k : best) : (k < best ? k : best);
        nan |= mask64((b & INT64_MAX) > 0x7FF0000000000000LL);
    }
    return nan ? std::numeric_limits<double>::quiet_NaN() : bitsd(key(best));
}
template <class T>
T max_impl(const T* x, int64_t n) {
    return extremum<true>(x, n);
}
template <class T>
T min_impl(const T* x, int64_t n) {
    return extremum<false>(x, n);
}

template <int L>
void fill_reduce(ReduceKernels* out) {
    out->s.sum = &sum_plain<L, float>;
    out->s.sumsq = &sum_squares<L, float>;
    out->s.colsum = &colsum_impl<float>;
    out->s.max = &max_impl<float>;
    out->s.min = &min_impl<float>;
    out->d.sum = &sum_plain<L / 2, double>;
    out->d.sumsq = &sum_squares<L / 2, double>;
    out->d.colsum = &colsum_impl<double>;
    out->d.max = &max_impl<double>;
    out->d.min = &min_impl<double>;
}

}  // namespace
}  // namespace chainrule::kernels
