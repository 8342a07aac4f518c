// layer_norm row loops and batch_norm segment loops, written once as plain C++ that GCC/Clang
// vectorise, included by each ISA unit with its float lane count L. Everything is in an unnamed
// namespace: each unit gets its own internal-linkage copy (see check_isa_symbols.cmake).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "../vec_math.h"
#include "norm_kernels.h"

namespace chainrule::kernels {
namespace {

// Two sums over i < n of terms computed by term(i, a, b) (a, b: the two double terms) in
// K = L/2 double lanes each, the lanes combined pairwise; the tail added last.
template <int L, class Term>
CR_VEC_INLINE void lane_sums2(int64_t n, double& sa, double& sb, const Term& term) {
    constexpr int K = L / 2 > 0 ? L / 2 : 1;
    double la[K], lb[K];
    for (int j = 0; j < K; ++j) la[j] = lb[j] = 0.0;
    int64_t i = 0;
    for (; i + K <= n; i += K)
        for (int j = 0; j < K; ++j) {
            double a, b;
            term(i + j, a, b);
            la[j] += a;
            lb[j] += b;
        }
    for (int w = K / 2; w >= 1; w /= 2)
        for (int j = 0; j < w; ++j) {
            la[j] += la[j + w];
            lb[j] += lb[j + w];
        }
    double ta = 0.0, tb = 0.0;
    for (; i < n; ++i) {
        double a, b;
        term(i, a, b);
        ta += a;
        tb += b;
    }
    sa = la[0] + ta;
    sb = lb[0] + tb;
}

template <int L, class Term>
[[maybe_unused]] CR_VEC_INLINE double lane_sum(int64_t n, const Term& term) {
    constexpr int K = L / 2 > 0 ? L / 2 : 1;
    double la[K];
    for (int j = 0; j < K; ++j) la[j] = 0.0;
    int64_t i = 0;
    for (; i + K <= n; i += K)
        for (int j = 0; j < K; ++j) la[j] += term(i + j);
    for (int w = K / 2; w >= 1; w /= 2)
        for (int j = 0; j < w; ++j) la[j] += la[j + w];
    double t = 0.0;
    for (; i < n; ++i) t += term(i);
    return la[0] + t;
}

template <int L, class T>
void ln_forward(T* y, double* mean, double* rstd, const T* x, const T* w, const T* b, int64_t rows,
                int64_t N, double eps) {
    for (int64_t r = 0; r < rows; ++r) {
        const T* __restrict xr = x + r * N;
        T* __restrict yr = y + r * N;
        // One pass over x - x[0] (sum and sum of squares): the shift keeps the cancellation
        // in var = E[d^2] - E[d]^2 to the spread of the row, which double sums absorb.
        const double x0 = static_cast<double>(xr[0]);
        double s1, s2;
        lane_sums2<L>(N, s1, s2, [xr, x0](int64_t i, double& a, double& bb) {
            const double d = static_cast<double>(xr[i]) - x0;
            a = d;
            bb = d * d;
        });
        const double md = s1 / double(N);
        const double var = std::max(s2 / double(N) - md * md, 0.0);
        const double mu = x0 + md;
        const double rs = 1.0 / std::sqrt(var + eps);
        mean[r] = mu;
        rstd[r] = rs;
        const T m = static_cast<T>(mu), s = static_cast<T>(rs);
        if (w != nullptr && b != nullptr) {
            const T* __restrict wp = w;
            const T* __restrict bp = b;
            for (int64_t j = 0; j < N; ++j) yr[j] = (xr[j] - m) * s * wp[j] + bp[j];
        } else if (w != nullptr) {
            const T* __restrict wp = w;
            for (int64_t j = 0; j < N; ++j) yr[j] = (xr[j] - m) * s * wp[j];
        } else if (b != nullptr) {
            const T* __restrict bp = b;
            for (int64_t j = 0; j < N; ++j) yr[j] = (xr[j] - m) * s + bp[j];
        } else {
            for (int64_t j = 0; j < N; ++j) yr[j] = (xr[j] - m) * s;
        }
    }
}

// One pass for the parameter grads and the two row sums, one for dx.
template <int L, class T, bool kW, bool kDW, bool kDB>
CR_VEC_INLINE void ln_backward_row(T* __restrict dr, double* __restrict dw, double* __restrict db,
                                   const T* __restrict xr, const T* __restrict gr,
                                   const T* __restrict w, double mu, double rs, int64_t N) {
    constexpr int K = L / 2 > 0 ? L / 2 : 1;
    const T m = static_cast<T>(mu), s = static_cast<T>(rs);
    double la[K], lb[K];
    for (int j = 0; j < K; ++j) la[j] = lb[j] = 0.0;
    auto step = [&](int64_t i, double& a, double& bb) {
        const T g = gr[i];
        const T xh = (xr[i] - m) * s;
        if (kDW) dw[i] += static_cast<double>(g) * static_cast<double>(xh);
        if (kDB) db[i] += static_cast<double>(g);
        const double gw =
            kW ? static_cast<double>(g) * static_cast<double>(w[i]) : static_cast<double>(g);
        a += gw;
        bb += gw * static_cast<double>(xh);
    };
    int64_t i = 0;
    for (; i + K <= N; i += K)
        for (int j = 0; j < K; ++j) step(i + j, la[j], lb[j]);
    for (int v = K / 2; v >= 1; v /= 2)
        for (int j = 0; j < v; ++j) {
            la[j] += la[j + v];
            lb[j] += lb[j + v];
        }
    double ta = 0.0, tb = 0.0;
    for (; i < N; ++i) step(i, ta, tb);
    if (dr == nullptr) return;
    const T mg = static_cast<T>((la[0] + ta) / double(N));
    const T mgx = static_cast<T>((lb[0] + tb) / double(N));
    for (int64_t j = 0; j < N; ++j) {
        const T g = kW ? gr[j] * w[j] : gr[j];
        dr[j] = s * (g - mg - (xr[j] - m) * s * mgx);
    }
}

template <int L, class T, bool kW, bool kDW, bool kDB>
void ln_backward_rows(T* dx, double* dw, double* db, const T* x, const T* dy, const T* w,
                      const double* mean, const double* rstd, int64_t rows, int64_t N) {
    for (int64_t r = 0; r < rows; ++r)
        ln_backward_row<L, T, kW, kDW, kDB>(dx != nullptr ? dx + r * N : nullptr, dw, db, x + r * N,
                                            dy + r * N, w, mean[r], rstd[r], N);
}

template <int L, class T, bool kW>
void ln_backward_w(T* dx, double* dw, double* db, const T* x, const T* dy, const T* w,
                   const double* mean, const double* rstd, int64_t rows, int64_t N) {
    if (dw != nullptr && db != nullptr)
        ln_backward_rows<L, T, kW, true, true>(dx, dw, db, x, dy, w, mean, rstd, rows, N);
    else if (dw != nullptr)
        ln_backward_rows<L, T, kW, true, false>(dx, dw, db, x, dy, w, mean, rstd, rows, N);
    else if (db != nullptr)
        ln_backward_rows<L, T, kW, false, true>(dx, dw, db, x, dy, w, mean, rstd, rows, N);
    else
        ln_backward_rows<L, T, kW, false, false>(dx, dw, db, x, dy, w, mean, rstd, rows, N);
}

template <int L, class T>
void ln_backward(T* dx, double* dw, double* db, const T* x, const T* dy, const T* w,
                 const double* mean, const double* rstd, int64_t rows, int64_t N) {
    if (w != nullptr)
        ln_backward_w<L, T, true>(dx, dw, db, x, dy, w, mean, rstd, rows, N);
    else
        ln_backward_w<L, T, false>(dx, dw, db, x, dy, w, mean, rstd, rows, N);
}

template <int L, class T>
void bn_stats(double* s, const T* x, int64_t n, double shift) {
    const T* __restrict xr = x;
    double a, b;
    lane_sums2<L>(n, a, b, [xr, shift](int64_t i, double& u, double& v) {
        const double d = static_cast<double>(xr[i]) - shift;
        u = d;
        v = d * d;
    });
    s[0] += a;
    s[1] += b;
}

template <int L, class T>
void bn_grad_stats(double* s, const T* x, const T* g, int64_t n, double mu) {
    const T* __restrict xr = x;
    const T* __restrict gr = g;
    double a, b;
    lane_sums2<L>(n, a, b, [xr, gr, mu](int64_t i, double& u, double& v) {
        const double gi = static_cast<double>(gr[i]);
        u = gi;
        v = gi * (static_cast<double>(xr[i]) - mu);
    });
    s[0] += a;
    s[1] += b;
}

template <class T>
void bn_affine(T* y, const T* x, int64_t n, T m, T a, T c) {
    T* __restrict yr = y;
    const T* __restrict xr = x;
    for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] - m) * a + c;
}

template <class T>
void bn_dx(T* dx, const T* x, const T* g, int64_t n, T m, T s, T k, T mg, T mgx) {
    T* __restrict dr = dx;
    const T* __restrict xr = x;
    const T* __restrict gr = g;
    for (int64_t i = 0; i < n; ++i) dr[i] = k * (gr[i] - mg - (xr[i] - m) * s * mgx);
}

template <int L>
void fill_norm(NormKernels* out) {
    out->s.bn_stats = &bn_stats<L, float>;
    out->s.bn_grad_stats = &bn_grad_stats<L, float>;
    out->s.bn_affine = &bn_affine<float>;
    out->s.bn_dx = &bn_dx<float>;
    out->d.bn_stats = &bn_stats<L / 2, double>;
    out->d.bn_grad_stats = &bn_grad_stats<L / 2, double>;
    out->d.bn_affine = &bn_affine<double>;
    out->d.bn_dx = &bn_dx<double>;
    out->s.ln_forward = &ln_forward<L, float>;
    out->s.ln_backward = &ln_backward<L, float>;
    out->d.ln_forward = &ln_forward<L / 2, double>;
    out->d.ln_backward = &ln_backward<L / 2, double>;
}

}  // namespace
}  // namespace chainrule::kernels
