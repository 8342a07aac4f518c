// The row loops of the fused cross-entropy (ops/loss_ce.cpp): target checks, per-row
// statistics (max and sum of exponentials) and the forward and backward passes for class
// indices (rows, or columns of an (N, C, d1, ..., dk) input) and for class probabilities.
// Private to that file (an unnamed namespace, as before the move).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "../dispatch.h"
#include "../vec_math.h"
#include "chainrule/errors.h"
#include "chainrule/parallel.h"

namespace chainrule {
namespace {

// Checks that every target is a class in [0, C) or ignore_index, and returns torch's mean
// denominator: the summed weight of the non-ignored targets (their count without weight).
template <class T>
double check_targets(const int64_t* y, int64_t rows, int64_t C, int64_t ignore_index, const T* w,
                     const char* op) {
    double total = 0;
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t v = y[r];
        if (v == ignore_index) continue;
        CR_CHECK(v >= 0 && v < C, IndexError, op, ": target ", v, " is out of bounds for ", C,
                 " classes; expected 0..", C - 1, " or ignore_index (", ignore_index, ")");
        total += w ? static_cast<double>(w[v]) : 1.0;
    }
    return total;
}

// The class-index and probability forms share their settings.
struct CeArgs {
    int64_t N = 1, C = 0, inner = 1;
    int64_t ignore_index = -100;
    double eps = 0;   // label smoothing
    double wsum = 0;  // sum of the class weights (C without weight)
};

// Row r's first score and its stride.
template <class T>
inline const T* row_ptr(const T* x, int64_t r, const CeArgs& a) {
    return x + (r / a.inner) * a.C * a.inner + (r % a.inner);
}

// ---- exp, log1p and select: kernels/vec_math.h ----------------------------------------------
// The row loops below use kernels::vexp_nonpositive (x - max <= 0: within 1 ulp, exactly 0
// below -87.34 so exp(-inf) = 0, NaN for NaN) and the branch-free select: plain arithmetic
// and integer masks, so the compiler vectorises them (GCC does not if-convert float compares under
// -ftrapping-math). double goes through std::exp.
using kernels::vexp;
using kernels::vexp_nonpositive;
using kernels::vlog1p;
inline float select(bool c, float a, float b) { return kernels::select(c, a, b); }
inline double select(bool c, double a, double b) { return kernels::select(c, a, b); }

// A row's logsumexp lse = m + log(sum_c exp(x_c - m)), m the row max (subtracted so exp never
// overflows). lse is never formed: forward and backward use lse - x_c = (m - x_c) + log_s, the
// difference first (exact near the max), as torch's log_softmax does; a rounded lse near 3e4
// would be off by 1e-3 in float32 and by 1e-9 near 1e7 even in double.
template <class T>
struct RowStats {
    T m = 0, log_s = 0;
    // lse - x, from the difference up.
    double lse_minus(T x) const {
        return (static_cast<double>(m) - static_cast<double>(x)) + static_cast<double>(log_s);
    }
};

// Contiguous rows keep 8 partial maxima and sums (vector lanes), combined in a fixed order.
template <class T, bool kUnit>
inline RowStats<T> row_stats(const T* p, int64_t C, int64_t S) {
    constexpr int kLanes = 8;
    T acc[kLanes];
    for (T& a : acc) a = -std::numeric_limits<T>::infinity();
    int64_t c = 0;
    if (kUnit) {
        for (; c + kLanes <= C; c += kLanes) {
            for (int k = 0; k < kLanes; ++k) acc[k] = select(p[c + k] > acc[k], p[c + k], acc[k]);
        }
    }
    T m = acc[0];
    for (int k = 1; k < kLanes; ++k) m = acc[k] > m ? acc[k] : m;
    for (; c < C; ++c) m = p[kUnit ? c : c * S] > m ? p[kUnit ? c : c * S] : m;
    for (T& a : acc) a = 0;
    c = 0;
    if (kUnit) {
        for (; c + kLanes <= C; c += kLanes) {
            for (int k = 0; k < kLanes; ++k) acc[k] += vexp_nonpositive(p[c + k] - m);
        }
    }
    T s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; c < C; ++c) s += vexp_nonpositive(p[kUnit ? c : c * S] - m);
    return {m, std::log(s)};
}

// ---- class indices: forward and backward kernels ------------------------------------------
// Rows of an (N, C) or (C,) input (inner == 1); K-d inputs take the column kernels below.
// loss_r = (1 - eps) w_y (lse - x_y) + eps / C * sum_c w_c (lse - x_c)   (0 where ignored)
// dx_c   = s_r [((1 - eps) w_y + eps / C * wsum) softmax_c - eps / C * w_c - (1 - eps) w_y [c = y]]
// loss: (rows,) in double, st: (rows,) row stats, x: (N, C, inner), y: (rows,), w: (C,) or null.
template <class T>
void ce_class_forward(double* loss, RowStats<T>* st, const T* x, const int64_t* y, const T* w,
                      const CeArgs& a) {
    const int64_t C = a.C;
    const kernels::SoftmaxKernel<T>& k = kernels::for_dtype<T>(kernels::kernel_table().softmax);
    parallel_for(
        0, a.N * a.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(4 * C, 1)),
        [&](int64_t b, int64_t e) {
            for (int64_t r = b; r < e; ++r) {
                const T* p = x + r * C;  // inner == 1: contiguous rows
                const int64_t t = y[r];
                if (t == a.ignore_index || C == 0) {  // backward never reads an ignored row's stats
                    st[r] = RowStats<T>{};
                    loss[r] = 0;
                    continue;
                }
                k.row_stats(&st[r].m, p, C);  // the level's loop: (max, log sum exp)
                const double wy = w ? static_cast<double>(w[t]) : 1.0;
                double v = wy * st[r].lse_minus(p[t]);
                if (a.eps > 0) {
                    // sum_c w_c (lse - x_c) = sum_c w_c (m - x_c) + wsum log_s, differences first
                    const double m = static_cast<double>(st[r].m);
                    double wd = 0;
                    if (w) {
                        for (int64_t c = 0; c < C; ++c) {
                            wd += static_cast<double>(w[c]) * (m - static_cast<double>(p[c]));
                        }
                    } else {
                        for (int64_t c = 0; c < C; ++c) wd += m - static_cast<double>(p[c]);
                    }
                    const double smooth = wd + a.wsum * static_cast<double>(st[r].log_s);
                    v = (1 - a.eps) * v + a.eps / static_cast<double>(C) * smooth;
                }
                loss[r] = v;
            }
        });
}

// dx: (N, C, inner); g: (rows,) upstream gradients when per_row, else `scale` for every row.
template <class T>
void ce_class_backward(T* dx, const T* x, const RowStats<T>* st, const int64_t* y, const T* w,
                       const T* g, double scale, const CeArgs& a) {
    const int64_t C = a.C;
    const kernels::SoftmaxKernel<T>& k = kernels::for_dtype<T>(kernels::kernel_table().softmax);
    const T smooth = static_cast<T>(C > 0 ? a.eps / static_cast<double>(C) : 0.0);
    parallel_for(0, a.N * a.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(2 * C, 1)),
                 [&](int64_t b, int64_t e) {
                     for (int64_t r = b; r < e; ++r) {
                         const T* p = x + r * C;  // inner == 1: contiguous rows
                         T* d = dx + r * C;
                         const int64_t t = y[r];
                         if (t == a.ignore_index) {
                             for (int64_t c = 0; c < C; ++c) d[c] = 0;
                             continue;
                         }
                         const T s = g ? g[r] : static_cast<T>(scale);
                         const double wy = w ? static_cast<double>(w[t]) : 1.0;
                         const T coef = static_cast<T>((1 - a.eps) * wy +
                                                       a.eps / static_cast<double>(C) * a.wsum);
                         const T m = st[r].m, ls = st[r].log_s;
                         const T sc = s * coef;
                         // The level's loop: d = sc softmax - ss w (the smoothing term only when
                         // eps > 0).
                         if (a.eps > 0) {
                             k.ce_row_backward(d, p, C, m, ls, sc, s * smooth, w);
                         } else {
                             k.ce_row_backward(d, p, C, m, ls, sc, T(0), nullptr);
                         }
                         d[t] -= s * static_cast<T>((1 - a.eps) * wy);
                     }
                 });
}

// ---- class indices over (N, C, d1, ..., dk): columns ---------------------------------------
// There a row's scores sit `inner` apart; kCols neighbouring rows (positions j of one sample n)
// are processed together so that every inner loop runs over contiguous memory and vectorises.
// Same math as the row kernels above; ignored rows get stats but no loss or gradient.
constexpr int64_t kCols = 64;

template <class T>
void ce_class_forward_cols(double* loss, RowStats<T>* st, const T* x, const int64_t* y, const T* w,
                           const CeArgs& a) {
    const int64_t C = a.C, inner = a.inner, chunks = (inner + kCols - 1) / kCols;
    const double smooth = C > 0 ? a.eps / static_cast<double>(C) : 0.0;
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(4 * C * kCols, 1));
    parallel_for(0, a.N * chunks, grain, [&](int64_t b, int64_t e) {
        T m[kCols], s[kCols];
        double wd[kCols];  // sum_c w_c (m - x_c), differences first (see RowStats)
        for (int64_t q = b; q < e; ++q) {
            const int64_t n = q / chunks, j0 = (q % chunks) * kCols;
            const int64_t nc = std::min(kCols, inner - j0);
            const T* xp = x + n * C * inner + j0;
            for (int64_t j = 0; j < nc; ++j) m[j] = -std::numeric_limits<T>::infinity();
            for (int64_t c = 0; c < C; ++c) {
                const T* r = xp + c * inner;
                for (int64_t j = 0; j < nc; ++j) m[j] = select(r[j] > m[j], r[j], m[j]);
            }
            for (int64_t j = 0; j < nc; ++j) s[j] = 0;
            for (int64_t c = 0; c < C; ++c) {
                const T* r = xp + c * inner;
                for (int64_t j = 0; j < nc; ++j) s[j] += vexp_nonpositive(r[j] - m[j]);
            }
            if (a.eps > 0) {
                for (int64_t j = 0; j < nc; ++j) wd[j] = 0;
                for (int64_t c = 0; c < C; ++c) {
                    const T* r = xp + c * inner;
                    const double wc = w ? static_cast<double>(w[c]) : 1.0;
                    for (int64_t j = 0; j < nc; ++j) {
                        wd[j] += wc * (static_cast<double>(m[j]) - static_cast<double>(r[j]));
                    }
                }
            }
            for (int64_t j = 0; j < nc; ++j) {
                const int64_t row = n * inner + j0 + j;
                st[row] = {m[j], std::log(s[j])};
                const int64_t t = y[row];
                if (t == a.ignore_index) {
                    loss[row] = 0;
                    continue;
                }
                const double wy = w ? static_cast<double>(w[t]) : 1.0;
                double v = wy * st[row].lse_minus(xp[t * inner + j]);
                if (a.eps > 0) {
                    const double ls = static_cast<double>(st[row].log_s);
                    v = (1 - a.eps) * v + smooth * (wd[j] + a.wsum * ls);
                }
                loss[row] = v;
            }
        }
    });
}

template <class T>
void ce_class_backward_cols(T* dx, const T* x, const RowStats<T>* st, const int64_t* y, const T* w,
                            const T* g, double scale, const CeArgs& a) {
    const int64_t C = a.C, inner = a.inner, chunks = (inner + kCols - 1) / kCols;
    const double smooth = C > 0 ? a.eps / static_cast<double>(C) : 0.0;
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(2 * C * kCols, 1));
    parallel_for(0, a.N * chunks, grain, [&](int64_t b, int64_t e) {
        T m[kCols], ls[kCols], sc[kCols], ss[kCols];
        for (int64_t q = b; q < e; ++q) {
            const int64_t n = q / chunks, j0 = (q % chunks) * kCols;
            const int64_t nc = std::min(kCols, inner - j0);
            const int64_t off = n * C * inner + j0;
            for (int64_t j = 0; j < nc; ++j) {  // per-row coefficients; 0 for ignored rows
                const int64_t row = n * inner + j0 + j;
                const int64_t t = y[row];
                const bool keep = t != a.ignore_index;
                const double s = g ? static_cast<double>(g[row]) : scale;
                const double wy = keep ? (w ? static_cast<double>(w[t]) : 1.0) : 0.0;
                sc[j] = static_cast<T>(keep ? s * ((1 - a.eps) * wy + smooth * a.wsum) : 0.0);
                ss[j] = static_cast<T>(keep ? s * smooth : 0.0);
                m[j] = st[row].m;
                ls[j] = st[row].log_s;
            }
            for (int64_t c = 0; c < C; ++c) {
                const T* r = x + off + c * inner;
                T* d = dx + off + c * inner;
                const T wc = w ? w[c] : T(1);
                for (int64_t j = 0; j < nc; ++j) {
                    d[j] = sc[j] * vexp_nonpositive((r[j] - m[j]) - ls[j]) - ss[j] * wc;
                }
            }
            for (int64_t j = 0; j < nc; ++j) {
                const int64_t row = n * inner + j0 + j;
                const int64_t t = y[row];
                if (t == a.ignore_index) continue;
                const T s = g ? g[row] : static_cast<T>(scale);
                const double wy = w ? static_cast<double>(w[t]) : 1.0;
                dx[off + t * inner + j] -= s * static_cast<T>((1 - a.eps) * wy);
            }
        }
    });
}

// ---- class probabilities: forward and backward kernels ------------------------------------
// t'_c = (1 - eps) t_c + eps / C;  A_r = sum_c w_c t'_c
// loss_r = sum_c w_c t'_c (lse - x_c) = sum_c w_c t'_c (m - x_c) + A_r log_s
// dx_c = s_r (A_r softmax_c - w_c t'_c)      dt_c = s_r (1 - eps) w_c (lse - x_c)
template <class T, bool kUnit>
void ce_prob_forward(double* loss, RowStats<T>* st, const T* x, const T* tg, const T* w,
                     const CeArgs& a) {
    const int64_t S = a.inner, C = a.C;
    const double keep = 1 - a.eps, add = C > 0 ? a.eps / static_cast<double>(C) : 0.0;
    std::vector<T> ones_buf(w ? 0 : static_cast<size_t>(C), T(1));
    const T* wc = w ? w : ones_buf.data();
    const kernels::SoftmaxKernel<T>& k_rows =
        kernels::for_dtype<T>(kernels::kernel_table().softmax);
    parallel_for(0, a.N * a.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(4 * C, 1)),
                 [&](int64_t b, int64_t e) {
                     for (int64_t r = b; r < e; ++r) {
                         const int64_t off = row_ptr(x, r, a) - x;
                         const T* p = x + off;
                         const T* q = tg + off;
                         if (C == 0) {
                             st[r] = RowStats<T>{};
                             loss[r] = 0;
                             continue;
                         }
                         if constexpr (kUnit) {
                             k_rows.row_stats(&st[r].m, p, C);  // the level's loop
                         } else {
                             st[r] = row_stats<T, false>(p, C, S);
                         }
                         const double m = static_cast<double>(st[r].m);
                         double A = 0, B = 0;  // B: sum_c w_c t'_c (m - x_c), differences first
                         for (int64_t c = 0; c < C; ++c) {
                             const int64_t k = kUnit ? c : c * S;
                             const double wt = static_cast<double>(wc[c]) * (keep * q[k] + add);
                             A += wt;
                             B += wt * (m - static_cast<double>(p[k]));
                         }
                         loss[r] = B + A * static_cast<double>(st[r].log_s);
                     }
                 });
}

// dx, dt: (N, C, inner) or null.
template <class T, bool kUnit>
void ce_prob_backward(T* dx, T* dt, const T* x, const T* tg, const RowStats<T>* st, const T* w,
                      const T* g, double scale, const CeArgs& a) {
    const int64_t S = a.inner, C = a.C;
    const T keep = static_cast<T>(1 - a.eps);
    const T add = static_cast<T>(C > 0 ? a.eps / static_cast<double>(C) : 0.0);
    std::vector<T> ones_buf(w ? 0 : static_cast<size_t>(C), T(1));
    const T* ones = ones_buf.data();
    parallel_for(0, a.N * a.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(4 * C, 1)),
                 [&](int64_t b, int64_t e) {
                     for (int64_t r = b; r < e; ++r) {
                         const int64_t off = row_ptr(x, r, a) - x;
                         const T* p = x + off;
                         const T* q = tg + off;
                         const T s = g ? g[r] : static_cast<T>(scale);
                         const T m = st[r].m, ls = st[r].log_s;
                         // The weight is read through wc (w or ones), keeping branches out of the
                         // loops.
                         const T* wc = w ? w : ones;
                         if (dx) {
                             double A = 0;
                             for (int64_t c = 0; c < C; ++c) {
                                 A += static_cast<double>(wc[c]) *
                                      (keep * q[kUnit ? c : c * S] + add);
                             }
                             const T sA = s * static_cast<T>(A);
                             for (int64_t c = 0; c < C; ++c) {
                                 const int64_t k = kUnit ? c : c * S;
                                 dx[off + k] = sA * vexp_nonpositive((p[k] - m) - ls) -
                                               s * wc[c] * (keep * q[k] + add);
                             }
                         }
                         if (dt) {
                             const T sk = s * keep;
                             for (int64_t c = 0; c < C; ++c) {
                                 const int64_t k = kUnit ? c : c * S;
                                 dt[off + k] = sk * wc[c] * ((m - p[k]) + ls);
                             }
                         }
                     }
                 });
}

}  // namespace
}  // namespace chainrule
