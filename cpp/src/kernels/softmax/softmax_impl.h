// softmax / log_softmax / cross-entropy loops, written once as plain C++ on vec_math.h's
// branch-free exp that GCC/Clang vectorise, included by each ISA unit with its lane count L.
// Everything is in an unnamed namespace: each unit gets its own internal-linkage copy (see
// check_isa_symbols.cmake).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "../vec_math.h"
#include "softmax_kernels.h"

namespace chainrule::kernels {
namespace {

// Elements per sub-block of a row sum (and of the exp scratch buffer of row_stats).
constexpr int64_t kRowSub = 1024;

// sum_{i < n} term(i) in double: L/2 double lanes (as many vector registers as L floats
// take twice over), combined pairwise per sub-block, the sub-blocks added in order. Double
// lanes keep softmax within a few float ulps of float64 however long the row.
template <int L, class T, class Term>
CR_VEC_INLINE double lane_sum(int64_t n, const Term& term) {
    constexpr int kL = L / 2 > 0 ? L / 2 : 1;
    double total = 0;
    for (int64_t i0 = 0; i0 < n; i0 += kRowSub) {
        const int64_t len = n - i0 < kRowSub ? n - i0 : kRowSub;
        double lane[kL];
        for (int j = 0; j < kL; ++j) lane[j] = 0.0;
        int64_t i = 0;
        for (; i + kL <= len; i += kL) {
            for (int j = 0; j < kL; ++j) lane[j] += static_cast<double>(term(i0 + i + j));
        }
        double tail = 0.0;
        for (; i < len; ++i) tail += static_cast<double>(term(i0 + i));
        for (int w = kL / 2; w >= 1; w /= 2) {
            for (int j = 0; j < w; ++j) lane[j] += lane[j + w];
        }
        total += lane[0] + tail;
    }
    return total;
}

// Row max. float: an integer max over order keys (GCC vectorises integer max reductions; a
// float max is not reassociable without fast-math flags); a NaN row then comes out all NaN
// through the sum. double: L select lanes.
template <int L>
CR_VEC_INLINE float row_max(const float* x, int64_t n) {
    int32_t km = order_key(fbits(-INFINITY));
    for (int64_t i = 0; i < n; ++i) {
        const int32_t k = order_key(fbits(x[i]));
        km = k > km ? k : km;
    }
    return bitsf(order_key(km));
}
template <int L>
CR_VEC_INLINE double row_max(const double* x, int64_t n) {
    constexpr int kL = L;
    double mk[kL];
    for (double& a : mk) a = -std::numeric_limits<double>::infinity();
    int64_t i = 0;
    for (; i + kL <= n; i += kL) {
        for (int k = 0; k < kL; ++k) mk[k] = select(x[i + k] > mk[k], x[i + k], mk[k]);
    }
    double m = mk[0];
    for (int k = 1; k < kL; ++k) m = select(mk[k] > m, mk[k], m);
    for (; i < n; ++i) m = select(x[i] > m, x[i], m);
    return m;
}

template <int L, class T, bool kLog>
void softmax_row(T* __restrict y, const T* __restrict x, int64_t D) {
    const T m = row_max<L>(x, D);
    for (int64_t d = 0; d < D; ++d) y[d] = vexp_nonpositive(x[d] - m);  // through y
    const double s = lane_sum<L, T>(D, [y](int64_t i) { return y[i]; });
    if (kLog) {
        // (x - m) - log s, in that order: x - m is exact near the max, while x - (m + log s)
        // rounds log s to m's ulp (all of it at |x| ~ 1e7 in float32).
        const T ls = static_cast<T>(std::log(s));
        for (int64_t d = 0; d < D; ++d) y[d] = (x[d] - m) - ls;
    } else {
        const T inv = static_cast<T>(1.0 / s);
        for (int64_t d = 0; d < D; ++d) y[d] *= inv;
    }
}

template <int L, class T>
void rows_forward(T* y, const T* x, int64_t rows, int64_t D, bool log) {
    for (int64_t r = 0; r < rows; ++r) {
        if (log) {
            softmax_row<L, T, true>(y + r * D, x + r * D, D);
        } else {
            softmax_row<L, T, false>(y + r * D, x + r * D, D);
        }
    }
}

template <int L, class T>
void rows_backward(T* dx, const T* y, const T* dy, int64_t rows, int64_t D, bool log) {
    for (int64_t r = 0; r < rows; ++r) {
        const T* __restrict g = dy + r * D;
        const T* __restrict v = y + r * D;
        T* __restrict w = dx + r * D;
        if (log) {
            const T s = static_cast<T>(lane_sum<L, T>(D, [g](int64_t i) { return g[i]; }));
            for (int64_t d = 0; d < D; ++d) w[d] = g[d] - vexp_nonpositive(v[d]) * s;
        } else {
            const T s =
                static_cast<T>(lane_sum<L, T>(D, [g, v](int64_t i) { return g[i] * v[i]; }));
            for (int64_t d = 0; d < D; ++d) w[d] = v[d] * (g[d] - s);
        }
    }
}

// Columns: nc <= kSoftmaxCols neighbouring columns, the softmax dim at stride `inner`; the
// inner loops run over contiguous memory.
template <class T, bool kLog>
void cols_forward_impl(T* __restrict y, const T* __restrict x, int64_t D, int64_t inner,
                       int64_t nc) {
    T m[kSoftmaxCols];
    double s[kSoftmaxCols];  // double sums of the (float) exps: D may be long
    for (int64_t j = 0; j < nc; ++j) {
        m[j] = -std::numeric_limits<T>::infinity();
        s[j] = 0;
    }
    for (int64_t d = 0; d < D; ++d) {
        const T* r = x + d * inner;
        for (int64_t j = 0; j < nc; ++j) m[j] = select(r[j] > m[j], r[j], m[j]);
    }
    for (int64_t d = 0; d < D; ++d) {
        const T* r = x + d * inner;
        T* w = y + d * inner;
        for (int64_t j = 0; j < nc; ++j) {
            const T ev = vexp_nonpositive(r[j] - m[j]);
            if (!kLog) w[j] = ev;
            s[j] += ev;
        }
    }
    T f[kSoftmaxCols];  // log: log s; softmax: 1 / s
    for (int64_t j = 0; j < nc; ++j) {
        f[j] = kLog ? static_cast<T>(std::log(s[j])) : static_cast<T>(1.0 / s[j]);
    }
    for (int64_t d = 0; d < D; ++d) {
        const T* r = x + d * inner;
        T* w = y + d * inner;
        if (kLog) {  // (x - m) - log s, as softmax_row
            for (int64_t j = 0; j < nc; ++j) w[j] = (r[j] - m[j]) - f[j];
        } else {
            for (int64_t j = 0; j < nc; ++j) w[j] *= f[j];
        }
    }
}

template <class T>
void cols_forward(T* y, const T* x, int64_t D, int64_t inner, int64_t nc, bool log) {
    if (log) {
        cols_forward_impl<T, true>(y, x, D, inner, nc);
    } else {
        cols_forward_impl<T, false>(y, x, D, inner, nc);
    }
}

template <class T, bool kLog>
void cols_backward_impl(T* __restrict dx, const T* __restrict y, const T* __restrict dy, int64_t D,
                        int64_t inner, int64_t nc) {
    double acc[kSoftmaxCols];
    for (int64_t j = 0; j < nc; ++j) acc[j] = 0;
    for (int64_t d = 0; d < D; ++d) {
        const T* g = dy + d * inner;
        const T* v = y + d * inner;
        for (int64_t j = 0; j < nc; ++j) acc[j] += kLog ? g[j] : g[j] * v[j];
    }
    T s[kSoftmaxCols];
    for (int64_t j = 0; j < nc; ++j) s[j] = static_cast<T>(acc[j]);
    for (int64_t d = 0; d < D; ++d) {
        const T* g = dy + d * inner;
        const T* v = y + d * inner;
        T* w = dx + d * inner;
        for (int64_t j = 0; j < nc; ++j) {
            w[j] = kLog ? g[j] - vexp_nonpositive(v[j]) * s[j] : v[j] * (g[j] - s[j]);
        }
    }
}

template <class T>
void cols_backward(T* dx, const T* y, const T* dy, int64_t D, int64_t inner, int64_t nc, bool log) {
    if (log) {
        cols_backward_impl<T, true>(dx, y, dy, D, inner, nc);
    } else {
        cols_backward_impl<T, false>(dx, y, dy, D, inner, nc);
    }
}

template <int L, class T>
void row_stats(T* st, const T* x, int64_t C) {
    const T m = row_max<L>(x, C);
    alignas(64) T buf[kRowSub];
    double s = 0;
    for (int64_t c0 = 0; c0 < C; c0 += kRowSub) {  // the same sub-blocks as lane_sum
        const int64_t len = C - c0 < kRowSub ? C - c0 : kRowSub;
        for (int64_t i = 0; i < len; ++i) buf[i] = vexp_nonpositive(x[c0 + i] - m);
        s += lane_sum<L, T>(len, [&buf](int64_t i) { return buf[i]; });
    }
    st[0] = m;
    st[1] = static_cast<T>(std::log(s));
}

template <class T>
void ce_row_backward(T* __restrict d, const T* __restrict x, int64_t C, T m, T ls, T sc, T ss,
                     const T* __restrict w) {
    if (w) {
        for (int64_t c = 0; c < C; ++c) d[c] = sc * vexp_nonpositive((x[c] - m) - ls) - ss * w[c];
    } else if (ss != T(0)) {
        for (int64_t c = 0; c < C; ++c) d[c] = sc * vexp_nonpositive((x[c] - m) - ls) - ss;
    } else {
        for (int64_t c = 0; c < C; ++c) d[c] = sc * vexp_nonpositive((x[c] - m) - ls);
    }
}

template <int L, class T>
void fill_softmax_kernel(SoftmaxKernel<T>* k) {
    k->rows_forward = &rows_forward<L, T>;
    k->rows_backward = &rows_backward<L, T>;
    k->cols_forward = &cols_forward<T>;
    k->cols_backward = &cols_backward<T>;
    k->row_stats = &row_stats<L, T>;
    k->ce_row_backward = &ce_row_backward<T>;
}

template <int L>
void fill_softmax(SoftmaxKernels* out) {
    fill_softmax_kernel<L, float>(&out->s);
    fill_softmax_kernel<L / 2, double>(&out->d);
}

}  // namespace
}  // namespace chainrule::kernels
