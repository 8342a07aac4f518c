// The row kernels of 2-d pooling's fast paths (ops/pool.cpp), private to that file.
// Each output row of a plane splits into border columns (window clipped by the padding:
// scalar code) and interior columns [lo, hi) whose window lies inside the plane in width:
// there the loops run over the window position (h, kw) outside and the output column inside,
// branch-free, so GCC vectorises them (stride 1 and 2 are compiled with a constant stride).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "../vec_math.h"

namespace chainrule {
namespace {

// Integer type as wide as T: the argmax index inside a plane (plane sizes < 2^31 take the
// fast path) and the select mask share it, so the max loop vectorises without widening.
template <class T>
struct Bits;
template <>
struct Bits<float> {
    using type = int32_t;
};
template <>
struct Bits<double> {
    using type = int64_t;
};

// m (all ones or zero) ? a : b, on the bits (a float ternary would stay a branch).
template <class T, class I>
CR_VEC_INLINE T select_on(I m, T a, T b) {
    I ia, ib;
    std::memcpy(&ia, &a, sizeof ia);
    std::memcpy(&ib, &b, sizeof ib);
    const I r = (ia & m) | (ib & ~m);
    T out;
    std::memcpy(&out, &r, sizeof out);
    return out;
}

// Output columns whose window [ow*s - p, ow*s - p + span) lies inside [0, W).
inline void interior_cols(int64_t OW, int64_t W, int64_t s, int64_t p, int64_t span, int64_t& lo,
                          int64_t& hi) {
    lo = std::min<int64_t>((p + s - 1) / s, OW);
    const int64_t last = W - span + p;  // largest ow * s allowed
    hi = last < 0 ? 0 : std::min<int64_t>(last / s + 1, OW);
    if (hi < lo) hi = lo;
}

// Max over the window rows hs, hs + dh, .. < he and columns kw * d1 - p1 + ow * s of the
// interior output columns [lo, hi): mv[ow] = max, mi[ow] = flat index of the first maximum
// (a NaN wins: the scan order is that of the scalar code, row by row, column by column).
template <class T, int S>
void max_row_interior(const T* __restrict xq, int64_t W, int64_t hs, int64_t he, int64_t dh,
                      int64_t k1, int64_t d1, int64_t p1, int64_t s_rt, int64_t lo, int64_t hi,
                      T* __restrict mv, typename Bits<T>::type* __restrict mi) {
    using I = typename Bits<T>::type;
    const int64_t s = S ? S : s_rt;
    bool first = true;
    for (int64_t h = hs; h < he; h += dh)
        for (int64_t kw = 0; kw < k1; ++kw) {
            const int64_t c0 = h * W + kw * d1 - p1;  // flat index for ow = 0
            const T* src = xq + c0;
            if (first) {
                for (int64_t ow = lo; ow < hi; ++ow) {
                    mv[ow] = src[ow * s];
                    mi[ow] = static_cast<I>(c0 + ow * s);
                }
                first = false;
                continue;
            }
            for (int64_t ow = lo; ow < hi; ++ow) {
                const T v = src[ow * s];
                const T cur = mv[ow];
                const I m = -static_cast<I>((v > cur) | (v != v));
                mv[ow] = select_on(m, v, cur);
                mi[ow] = (static_cast<I>(c0 + ow * s) & m) | (mi[ow] & ~m);
            }
        }
}

// The common 2x2 window without dilation (K = 2, S = 2) whose K rows are all inside the plane, in
// one pass per output row: window offsets are constants, so the loop over output columns vectorises
// with the index select and the int64 store in it.
template <class T, int K, int S>
void max_row_fixed(const T* __restrict xq, int64_t W, int64_t h0, int64_t p1, int64_t lo,
                   int64_t hi, T* __restrict yr, int64_t* __restrict ir) {
    using I = typename Bits<T>::type;
    const int64_t b0 = h0 * W - p1;
    const T* src = xq + b0;
    const I Wi = static_cast<I>(W), b0i = static_cast<I>(b0);
    for (int64_t ow = lo; ow < hi; ++ow) {
        const T* q = src + ow * S;
        const I base = b0i + static_cast<I>(ow) * S;
        T mv = q[0];
        I mi = base;
        for (int kh = 0; kh < K; ++kh)
            for (int kw = 0; kw < K; ++kw) {
                if (kh == 0 && kw == 0) continue;
                const I at = base + kh * Wi + kw;
                const T v = q[kh * W + kw];
                const I m = -static_cast<I>((v > mv) | (v != v));
                mv = select_on(m, v, mv);
                mi = (at & m) | (mi & ~m);
            }
        yr[ow] = mv;
        ir[ow] = mi;
    }
}

// acc[ow] = sum over window rows [hs, he) and columns kw - p1 + ow * s, kw < k1, of the
// interior output columns (summed row by row, column by column, as the scalar code).
template <class T, int S>
void sum_row_interior(const T* __restrict xq, int64_t W, int64_t hs, int64_t he, int64_t k1,
                      int64_t p1, int64_t s_rt, int64_t lo, int64_t hi, T* __restrict acc) {
    const int64_t s = S ? S : s_rt;
    for (int64_t ow = lo; ow < hi; ++ow) acc[ow] = T(0);
    for (int64_t h = hs; h < he; ++h)
        for (int64_t kw = 0; kw < k1; ++kw) {
            const T* src = xq + h * W + kw - p1;
            for (int64_t ow = lo; ow < hi; ++ow) acc[ow] += src[ow * s];
        }
}

// dx[h, kw - p1 + ow * s] += gv[ow] over the window rows [hs, he), kw < k1, interior columns.
// For a fixed (h, kw) the columns written are distinct, so the inner loop has no dependency.
template <class T, int S>
void spread_row_interior(T* __restrict dq, int64_t W, int64_t hs, int64_t he, int64_t k1,
                         int64_t p1, int64_t s_rt, int64_t lo, int64_t hi, const T* __restrict gv) {
    const int64_t s = S ? S : s_rt;
    for (int64_t h = hs; h < he; ++h)
        for (int64_t kw = 0; kw < k1; ++kw) {
            T* dst = dq + h * W + kw - p1;
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow * s] += gv[ow];
        }
}

// Calls the stride-1 / stride-2 / any-stride instance of a row kernel.
#define CR_POOL_BY_STRIDE(s, KERNEL, T, ...) \
    do {                                     \
        if ((s) == 1)                        \
            KERNEL<T, 1>(__VA_ARGS__);       \
        else if ((s) == 2)                   \
            KERNEL<T, 2>(__VA_ARGS__);       \
        else                                 \
            KERNEL<T, 0>(__VA_ARGS__);       \
    } while (0)

}  // namespace
}  // namespace chainrule
