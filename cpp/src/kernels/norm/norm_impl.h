// layer_norm row loops, written once as plain C++ that GCC/Clang vectorise, included by each
// ISA unit with its float lane count L. Everything is in an unnamed namespace: each unit gets
// its own internal-linkage copy (see check_isa_symbols.cmake).
#pragma once
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
CR_VEC_INLINE double lane_sum(int64_t n, const Term& term) {
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
void ln_forward(T* y, double* mean, double* rstd, const T* x, const T* w, const T* b,
                int64_t rows, int64_t N, double eps) {
    for (int64_t r = 0; r < rows; ++r) {
        const T* __restrict xr = x + r * N;
        T* __restrict yr = y + r * N;
        const double mu =
            lane_sum<L>(N, [xr](int64_t i) { return static_cast<double>(xr[i]); }) / double(N);
        const double var = lane_sum<L>(N, [xr, mu](int64_t i) {
                               const double d = static_cast<double>(xr[i]) - mu;
                               return d * d;
                           }) / double(N);
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

template <int L, class T, bool kW>
CR_VEC_INLINE void ln_backward_row(T* __restrict dr, double* __restrict dw, double* __restrict db,
                                   const T* __restrict xr, const T* __restrict gr,
                                   const T* __restrict w, double mu, double rs, int64_t N) {
    const T m = static_cast<T>(mu), s = static_cast<T>(rs);
    if (dw != nullptr)
        for (int64_t j = 0; j < N; ++j)
            dw[j] += static_cast<double>(gr[j]) * static_cast<double>((xr[j] - m) * s);
    if (db != nullptr)
        for (int64_t j = 0; j < N; ++j) db[j] += static_cast<double>(gr[j]);
    if (dr == nullptr) return;
    double sg, sgx;
    lane_sums2<L>(N, sg, sgx, [&](int64_t i, double& a, double& bb) {
        const double g = kW ? static_cast<double>(gr[i]) * static_cast<double>(w[i])
                            : static_cast<double>(gr[i]);
        a = g;
        bb = g * ((static_cast<double>(xr[i]) - mu) * rs);
    });
    const T mg = static_cast<T>(sg / double(N)), mgx = static_cast<T>(sgx / double(N));
    for (int64_t j = 0; j < N; ++j) {
        const T g = kW ? gr[j] * w[j] : gr[j];
        dr[j] = s * (g - mg - (xr[j] - m) * s * mgx);
    }
}

template <int L, class T>
void ln_backward(T* dx, double* dw, double* db, const T* x, const T* dy, const T* w,
                 const double* mean, const double* rstd, int64_t rows, int64_t N) {
    for (int64_t r = 0; r < rows; ++r) {
        T* dr = dx != nullptr ? dx + r * N : nullptr;
        if (w != nullptr)
            ln_backward_row<L, T, true>(dr, dw, db, x + r * N, dy + r * N, w, mean[r], rstd[r], N);
        else
            ln_backward_row<L, T, false>(dr, dw, db, x + r * N, dy + r * N, w, mean[r], rstd[r], N);
    }
}

template <int L>
void fill_norm(NormKernels* out) {
    out->s.ln_forward = &ln_forward<L, float>;
    out->s.ln_backward = &ln_backward<L, float>;
    out->d.ln_forward = &ln_forward<L / 2, double>;
    out->d.ln_backward = &ln_backward<L / 2, double>;
}

}  // namespace
}  // namespace chainrule::kernels
