// GEMM building blocks written once over a vector policy V and compiled by each ISA unit
// (ukernel_<isa>.cpp) with its own flags. Everything here is in an anonymous namespace, so
// each unit gets its own internal-linkage copy: no weak symbol an -mavx512f unit could hand
// to the baseline path (numpy#25274). Include only from ukernel_*.cpp; uses no standard-
// library templates for the same reason.
//
// A vector policy V provides: T (float or double), reg, L (lanes), zero(), set1(T),
// load(const T*) (aligned), loadu(const T*), storeu(T*, reg), fmadd(a, b, c) = a*b + c
// (fused where the ISA has FMA), mul, add, and for tails loadn(const T*, n) / storen(T*, reg,
// n) that touch only n < L elements, and transpose(reg r[L]) (an L x L in-register transpose;
// policies with L == 1 never use it). The scalar policy ScalarVec<T> below is the portable one.
#pragma once
#include <cstdint>

#include "gemm_kernels.h"

// The microkernel prefetches the B panel this many k steps ahead (into L1; the panel
// streams from L2): +5% at 2048^3 and on the transposed-A backward product, measured.
#ifndef CR_GEMM_PF_B
#define CR_GEMM_PF_B 8
#endif
// pack_b on a row-major B: panels per group (see pack_b).
#ifndef CR_GEMM_PACK_B_GROUP
#define CR_GEMM_PACK_B_GROUP 4
#endif

#if defined(__GNUC__)
#define CR_GEMM_UNROLL _Pragma("GCC unroll 64")
#else
#define CR_GEMM_UNROLL
#endif

namespace chainrule::kernels {
namespace {

constexpr int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

// a*b + c in one rounding where the unit is compiled with FMA, else two.
inline float madd(float a, float b, float c) {
#ifdef __FMA__
    return __builtin_fmaf(a, b, c);
#else
    return a * b + c;
#endif
}
inline double madd(double a, double b, double c) {
#ifdef __FMA__
    return __builtin_fma(a, b, c);
#else
    return a * b + c;
#endif
}

// One lane: the portable policy (the compiler may still vectorise across the tile).
template <class Scalar>
struct ScalarVec {
    using T = Scalar;
    using reg = Scalar;
    static constexpr int64_t L = 1;
    static reg zero() { return T(0); }
    static reg set1(T x) { return x; }
    static reg load(const T* p) { return *p; }
    static reg loadu(const T* p) { return *p; }
    static void storeu(T* p, reg v) { *p = v; }
    static reg fmadd(reg a, reg b, reg c) { return madd(a, b, c); }
    static reg mul(reg a, reg b) { return a * b; }
    static reg add(reg a, reg b) { return a + b; }
    static reg loadn(const T* p, int64_t n) { return n > 0 ? *p : T(0); }
    static void storen(T* p, reg v, int64_t n) {
        if (n > 0) *p = v;
    }
    static void transpose(reg*) {}
};

// ---- microkernel -------------------------------------------------------------------------
// C (MR, NV*L) at (rsc, 1) = alpha * Ap^T @ Bp (+ beta * C): the contract in gemm_kernels.h,
// for the first MR rows of an A panel packed LDA rows wide. The MR x NV accumulators live in
// registers; each k step loads NV vectors of the B panel and broadcasts MR scalars of the A
// panel.
template <class V, int64_t MR, int64_t LDA, int64_t NV>
void ukernel_impl(int64_t kc, typename V::T alpha, const typename V::T* Ap, const typename V::T* Bp,
                  typename V::T beta, typename V::T* C, int64_t rsc) {
    using T = typename V::T;
    using reg = typename V::reg;
    constexpr int64_t L = V::L, NR = NV * L;
    reg acc[MR][NV];
    CR_GEMM_UNROLL for (int64_t i = 0; i < MR; ++i) {
        CR_GEMM_UNROLL for (int64_t v = 0; v < NV; ++v) acc[i][v] = V::zero();
        // The C tile moves to L2 while the k loop runs (to L2, not L1: with a power-of-two
        // row stride its MR rows fall into one or two L1 sets).
        CR_PREFETCH(C + i * rsc, 1, 2);
        CR_PREFETCH(C + i * rsc + NR - 1, 1, 2);
    }
    for (int64_t k = 0; k < kc; ++k) {
        reg b[NV];
#if CR_GEMM_PF_B > 0
        CR_GEMM_UNROLL for (int64_t v = 0; v < NR * (int64_t)sizeof(T); v += 64) {
            CR_PREFETCH(reinterpret_cast<const char*>(Bp + (k + CR_GEMM_PF_B) * NR) + v, 0, 3);
        }
#endif
        CR_GEMM_UNROLL for (int64_t v = 0; v < NV; ++v) b[v] = V::load(Bp + k * NR + v * L);
        CR_GEMM_UNROLL for (int64_t i = 0; i < MR; ++i) {
            const reg a = V::set1(Ap[k * LDA + i]);
            CR_GEMM_UNROLL for (int64_t v = 0; v < NV; ++v) {
                acc[i][v] = V::fmadd(a, b[v], acc[i][v]);
            }
        }
    }
    const reg va = V::set1(alpha);
    if (beta == T(0)) {
        CR_GEMM_UNROLL for (int64_t i = 0; i < MR; ++i) {
            CR_GEMM_UNROLL for (int64_t v = 0; v < NV; ++v) {
                V::storeu(C + i * rsc + v * L, V::mul(va, acc[i][v]));
            }
        }
    } else if (beta == T(1)) {
        CR_GEMM_UNROLL for (int64_t i = 0; i < MR; ++i) {
            CR_GEMM_UNROLL for (int64_t v = 0; v < NV; ++v) {
                T* c = C + i * rsc + v * L;
                V::storeu(c, V::add(V::loadu(c), V::mul(va, acc[i][v])));
            }
        }
    } else {
        const reg vb = V::set1(beta);
        CR_GEMM_UNROLL for (int64_t i = 0; i < MR; ++i) {
            CR_GEMM_UNROLL for (int64_t v = 0; v < NV; ++v) {
                T* c = C + i * rsc + v * L;
                V::storeu(c, V::add(V::mul(va, acc[i][v]), V::mul(vb, V::loadu(c))));
            }
        }
    }
}

template <class V, int64_t MR, int64_t NV>
void ukernel(int64_t kc, typename V::T alpha, const typename V::T* Ap, const typename V::T* Bp,
             typename V::T beta, typename V::T* C, int64_t rsc) {
    ukernel_impl<V, MR, MR, NV>(kc, alpha, Ap, Bp, beta, C, rsc);
}

// The first mr < MR rows of a panel: compile-time row counts R = MR-1 .. 1, picked at run
// time, so the bottom edge of C costs mr rows of arithmetic, not MR.
template <class V, int64_t MR, int64_t NV, int64_t R = MR - 1>
void ukernel_rows(int64_t kc, int64_t mr, typename V::T alpha, const typename V::T* Ap,
                  const typename V::T* Bp, typename V::T beta, typename V::T* C, int64_t rsc) {
    if constexpr (R >= 1) {
        if (mr == R) {
            ukernel_impl<V, R, MR, NV>(kc, alpha, Ap, Bp, beta, C, rsc);
        } else {
            ukernel_rows<V, MR, NV, R - 1>(kc, mr, alpha, Ap, Bp, beta, C, rsc);
        }
    }
}

// ---- packing -----------------------------------------------------------------------------
// dst[k*ds + l] = src[l*ls + k] for k < kc and lanes l < ds; lines l >= nvalid are zero. Lines
// are contiguous along k (A rows, or B columns of a transposed view): L lines x L values of k
// are loaded as vectors and transposed in registers, then stored one k at a time, so both
// sides move whole vectors (a scalar transpose is bound by one load and one store per value).
template <class V>
void pack_lines(typename V::T* dst, int64_t ds, const typename V::T* src, int64_t ls,
                int64_t nvalid, int64_t kc) {
    using reg = typename V::reg;
    constexpr int64_t L = V::L;
    for (int64_t g0 = 0; g0 < ds; g0 += L) {
        const int64_t gs = imin(L, ds - g0);                // lanes stored
        const int64_t gv = imin(gs, imin(L, nvalid - g0));  // lines loaded (may be <= 0)
        const typename V::T* s = src + g0 * ls;
        for (int64_t k0 = 0; k0 < kc; k0 += L) {
            const int64_t kl = imin(L, kc - k0);
            reg r[L];
            CR_GEMM_UNROLL for (int64_t l = 0; l < L; ++l) {
                if (l >= gv) {
                    r[l] = V::zero();
                } else if (kl == L) {
                    CR_PREFETCH(s + l * ls + k0 + 4 * L, 0, 3);
                    r[l] = V::loadu(s + l * ls + k0);
                } else {
                    r[l] = V::loadn(s + l * ls + k0, kl);
                }
            }
            V::transpose(r);
            typename V::T* d = dst + k0 * ds + g0;
            if (gs == L) {
                for (int64_t k = 0; k < kl; ++k) V::storeu(d + k * ds, r[k]);
            } else {
                for (int64_t k = 0; k < kl; ++k) V::storen(d + k * ds, r[k], gs);
            }
        }
    }
}

// dst[0, N) = src[0, N) in whole vectors (the compiler does not vectorise the scalar loop:
// it cannot rule out that the two overlap).
template <class V, int64_t N>
inline void copy_n(typename V::T* dst, const typename V::T* src) {
    CR_GEMM_UNROLL for (int64_t i = 0; i < N; i += V::L) {
        if (i + V::L <= N) {
            V::storeu(dst + i, V::loadu(src + i));
        } else {
            V::storen(dst + i, V::loadn(src + i, N - i), N - i);
        }
    }
}

// Ap: ceil(mc/MR) panels, each (kc, MR) k-major; rows past mc are zero. A: (mc, kc).
template <class V, int64_t MR>
void pack_a(typename V::T* Ap, const typename V::T* A, int64_t rsa, int64_t csa, int64_t mc,
            int64_t kc) {
    using T = typename V::T;
    for (int64_t i0 = 0; i0 < mc; i0 += MR) {
        const int64_t mr = imin(MR, mc - i0);
        const T* a = A + i0 * rsa;
        if (csa == 1 && V::L > 1) {
            pack_lines<V>(Ap, MR, a, rsa, mr, kc);  // A row-major: transpose
        } else if (mr == MR && rsa == 1) {
            // Columns contiguous (A is a transposed view): each k copies MR adjacent values.
            for (int64_t k = 0; k < kc; ++k) copy_n<V, MR>(Ap + k * MR, a + k * csa);
        } else {
            for (int64_t k = 0; k < kc; ++k) {
                for (int64_t i = 0; i < mr; ++i) Ap[k * MR + i] = a[i * rsa + k * csa];
                for (int64_t i = mr; i < MR; ++i) Ap[k * MR + i] = T(0);
            }
        }
        Ap += kc * MR;
    }
}

// Bp: ceil(nc/NR) panels, each (kc, NR); columns past nc are zero. B: (kc, nc).
template <class V, int64_t NR>
void pack_b(typename V::T* Bp, const typename V::T* B, int64_t rsb, int64_t csb, int64_t kc,
            int64_t nc) {
    using T = typename V::T;
    if (csb == 1) {
        // B row-major: groups of G panels, each walked row by row (G*NR contiguous values per
        // row, a run the hardware prefetchers follow). Whole rows across all panels would
        // read best, but then write one line per panel per row, every panel kc*NR values
        // apart: at kc*NR*sizeof(T) = 32 KiB those lines all fall into one L1 set.
        constexpr int64_t G = CR_GEMM_PACK_B_GROUP;
        const int64_t full = nc / NR * NR;
        for (int64_t g0 = 0; g0 < full; g0 += G * NR) {
            const int64_t g1 = imin(full, g0 + G * NR);
            for (int64_t k = 0; k < kc; ++k) {
                const T* b = B + k * rsb;
                for (int64_t j0 = g0; j0 < g1; j0 += NR) {
                    copy_n<V, NR>(Bp + j0 * kc + k * NR, b + j0);
                }
            }
        }
        if (full < nc) {
            for (int64_t k = 0; k < kc; ++k) {
                const T* b = B + k * rsb;
                T* d = Bp + full * kc + k * NR;
                for (int64_t j = 0; j < NR; ++j) d[j] = full + j < nc ? b[full + j] : T(0);
            }
        }
        return;
    }
    for (int64_t j0 = 0; j0 < nc; j0 += NR) {
        const int64_t nr = imin(NR, nc - j0);
        const T* b = B + j0 * csb;
        if (rsb == 1 && V::L > 1) {
            pack_lines<V>(Bp, NR, b, csb, nr, kc);  // B = W^T (x @ W^T): transpose
        } else {
            for (int64_t k = 0; k < kc; ++k) {
                for (int64_t j = 0; j < nr; ++j) Bp[k * NR + j] = b[k * rsb + j * csb];
                for (int64_t j = nr; j < NR; ++j) Bp[k * NR + j] = T(0);
            }
        }
        Bp += kc * NR;
    }
}

// ---- unpacked path -----------------------------------------------------------------------
// c = alpha*acc (+ beta*c), the microkernel's rounding contract.
template <class T>
inline T combine(T acc, T alpha, T beta, const T* c) {
    if (beta == T(0)) return alpha * acc;
    if (beta == T(1)) return *c + alpha * acc;
    return alpha * acc + beta * *c;
}

template <class V>
inline void store_combined(typename V::T* c, typename V::reg acc, typename V::reg va,
                           typename V::T beta, int64_t n) {
    using T = typename V::T;
    using reg = typename V::reg;
    reg r = V::mul(va, acc);
    if (beta == T(1)) {
        r = V::add(n == V::L ? V::loadu(c) : V::loadn(c, n), r);
    } else if (beta != T(0)) {
        r = V::add(r, V::mul(V::set1(beta), n == V::L ? V::loadu(c) : V::loadn(c, n)));
    }
    if (n == V::L) {
        V::storeu(c, r);
    } else {
        V::storen(c, r, n);
    }
}

// Where direct_rows finds row k of B (K x N, unit column stride): B + k * rsb, or through a
// table of row pointers (the convolutions' kernel taps read the input in place that way).
template <class T>
struct StridedRows {
    const T* B;
    int64_t rsb;
    const T* row(int64_t k) const { return B + k * rsb; }
    StridedRows at(int64_t j) const { return {B + j, rsb}; }
};
template <class T>
struct PointedRows {
    const T* const* rows;
    int64_t j;
    const T* row(int64_t k) const { return rows[k] + j; }
    PointedRows at(int64_t dj) const { return {rows, j + dj}; }
};

// One RB x (NV vectors) block of C for direct_rows, the last vector holding `nlast` columns:
// C[i, j] accumulates A[i, k] * B[k, j] over k in order. Compile-time sizes keep the
// accumulators in registers.
template <class V, int64_t RB, int64_t NV, bool Masked, class Rows>
void direct_block(int64_t K, typename V::T alpha, const typename V::T* A, int64_t rsa, int64_t csa,
                  Rows B, typename V::T beta, typename V::T* C, int64_t rsc, int64_t nlast) {
    using reg = typename V::reg;
    constexpr int64_t L = V::L;
    reg acc[RB][NV];
    CR_GEMM_UNROLL for (int64_t i = 0; i < RB; ++i) {
        CR_GEMM_UNROLL for (int64_t v = 0; v < NV; ++v) {
            acc[i][v] = V::zero();
            CR_PREFETCH(C + i * rsc + v * L, 1, 2);  // C arrives while k runs
        }
    }
    for (int64_t k = 0; k < K; ++k) {
        const typename V::T* b = B.row(k);
        reg bv[NV];
        CR_GEMM_UNROLL for (int64_t v = 0; v < NV; ++v) {
            bv[v] = (v < NV - 1 || !Masked) ? V::loadu(b + v * L) : V::loadn(b + v * L, nlast);
        }
        CR_GEMM_UNROLL for (int64_t i = 0; i < RB; ++i) {
            const reg a = V::set1(A[i * rsa + k * csa]);
            CR_GEMM_UNROLL for (int64_t v = 0; v < NV; ++v) {
                acc[i][v] = V::fmadd(a, bv[v], acc[i][v]);
            }
        }
    }
    const reg va = V::set1(alpha);
    CR_GEMM_UNROLL for (int64_t i = 0; i < RB; ++i) {
        CR_GEMM_UNROLL for (int64_t v = 0; v < NV; ++v) {
            store_combined<V>(C + i * rsc + v * L, acc[i][v], va, beta,
                              (v < NV - 1 || !Masked) ? L : nlast);
        }
    }
}

// direct_block with nv <= NV vectors, chosen at run time among compile-time sizes.
template <class V, int64_t RB, int64_t NV, class Rows>
void direct_tail(int64_t nv, int64_t K, typename V::T alpha, const typename V::T* A, int64_t rsa,
                 int64_t csa, Rows B, typename V::T beta, typename V::T* C, int64_t rsc,
                 int64_t nlast) {
    if constexpr (NV > 1) {
        if (nv < NV) {
            direct_tail<V, RB, NV - 1>(nv, K, alpha, A, rsa, csa, B, beta, C, rsc, nlast);
            return;
        }
    }
    if (nlast == V::L) {
        direct_block<V, RB, NV, false>(K, alpha, A, rsa, csa, B, beta, C, rsc, nlast);
    } else {
        direct_block<V, RB, NV, true>(K, alpha, A, rsa, csa, B, beta, C, rsc, nlast);
    }
}

// A row block of RB rows across all N columns: full NV-vector chunks, then the tail with as
// many vectors as it needs (the last one masked).
template <class V, int64_t RB, int64_t NV, class Rows>
void direct_row_block(int64_t N, int64_t K, typename V::T alpha, const typename V::T* A,
                      int64_t rsa, int64_t csa, Rows B, typename V::T beta, typename V::T* C,
                      int64_t rsc) {
    constexpr int64_t L = V::L, W = NV * L;
    int64_t j0 = 0;
    for (; j0 + W <= N; j0 += W) {
        direct_block<V, RB, NV, false>(K, alpha, A, rsa, csa, B.at(j0), beta, C + j0, rsc, L);
    }
    const int64_t rest = N - j0;
    if (rest <= 0) return;
    const int64_t nv = (rest + L - 1) / L;
    direct_tail<V, RB, NV>(nv, K, alpha, A, rsa, csa, B.at(j0), beta, C + j0, rsc,
                           rest - (nv - 1) * L);
}

// The last `rest` < 2R rows of direct_rows: a block of R rows if they fill it, then halves.
// Each pass reads all of B, so 6 rows go as 4 + 2 (two passes), not as 6 single rows.
template <class V, int64_t R, int64_t NV, class Rows>
void direct_rows_rest(int64_t rest, int64_t N, int64_t K, typename V::T alpha,
                      const typename V::T* A, int64_t rsa, int64_t csa, Rows B, typename V::T beta,
                      typename V::T* C, int64_t rsc) {
    for (; rest >= R; rest -= R, A += R * rsa, C += R * rsc) {
        direct_row_block<V, R, NV>(N, K, alpha, A, rsa, csa, B, beta, C, rsc);
    }
    if constexpr (R > 1) {
        direct_rows_rest<V, R / 2, NV>(rest, N, K, alpha, A, rsa, csa, B, beta, C, rsc);
    }
}

// B rows contiguous (csb == 1): blocks of RB rows, then the rest (above).
template <class V, int64_t RB, int64_t NV, class Rows>
void direct_rows(int64_t M, int64_t N, int64_t K, typename V::T alpha, const typename V::T* A,
                 int64_t rsa, int64_t csa, Rows B, typename V::T beta, typename V::T* C,
                 int64_t rsc) {
    int64_t i0 = 0;
    for (; i0 + RB <= M; i0 += RB) {
        direct_row_block<V, RB, NV>(N, K, alpha, A + i0 * rsa, rsa, csa, B, beta, C + i0 * rsc,
                                    rsc);
    }
    if constexpr (RB > 1) {
        direct_rows_rest<V, RB / 2, NV>(M - i0, N, K, alpha, A + i0 * rsa, rsa, csa, B, beta,
                                        C + i0 * rsc, rsc);
    }
}

// Dot products along K (A rows and B columns contiguous: x @ W^T): NL lanes of partial sums
// (k = l mod NL*L goes to lane l), added pairwise in a fixed order at the end.
template <class V>
typename V::T dot(const typename V::T* a, const typename V::T* b, int64_t K) {
    using T = typename V::T;
    using reg = typename V::reg;
    constexpr int64_t L = V::L;
    reg s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
    int64_t k = 0;
    for (; k + 4 * L <= K; k += 4 * L) {
        s0 = V::fmadd(V::loadu(a + k), V::loadu(b + k), s0);
        s1 = V::fmadd(V::loadu(a + k + L), V::loadu(b + k + L), s1);
        s2 = V::fmadd(V::loadu(a + k + 2 * L), V::loadu(b + k + 2 * L), s2);
        s3 = V::fmadd(V::loadu(a + k + 3 * L), V::loadu(b + k + 3 * L), s3);
    }
    for (; k + L <= K; k += L) s0 = V::fmadd(V::loadu(a + k), V::loadu(b + k), s0);
    if (k < K) s1 = V::fmadd(V::loadn(a + k, K - k), V::loadn(b + k, K - k), s1);
    const reg s = V::add(V::add(s0, s1), V::add(s2, s3));
    T lanes[L];
    V::storeu(lanes, s);
    for (int64_t w = L / 2; w >= 1; w /= 2) {
        for (int64_t l = 0; l < w; ++l) lanes[l] = lanes[l] + lanes[l + w];
    }
    return lanes[0];
}

// The unpacked product: picks the loop order that reads memory contiguously.
template <class V, int64_t RB, int64_t NV>
void direct(int64_t M, int64_t N, int64_t K, typename V::T alpha, const typename V::T* A,
            int64_t rsa, int64_t csa, const typename V::T* B, int64_t rsb, int64_t csb,
            typename V::T beta, typename V::T* C, int64_t rsc, int64_t csc) {
    using T = typename V::T;
    if ((N == 1 && csa == 1 && rsb == 1) || (M == 1 && csa == 1 && rsb == 1)) {
        // Matrix-vector with K contiguous in both: one dot product per element.
        for (int64_t i = 0; i < M; ++i) {
            for (int64_t j = 0; j < N; ++j) {
                T* c = C + i * rsc + j * csc;
                *c = combine(dot<V>(A + i * rsa, B + j * csb, K), alpha, beta, c);
            }
        }
    } else if (csb == 1 && csc == 1) {
        direct_rows<V, RB, NV>(M, N, K, alpha, A, rsa, csa, StridedRows<T>{B, rsb}, beta, C, rsc);
    } else if (rsa == 1 && rsc == 1) {
        // C^T = B^T @ A^T has contiguous "B rows" (the columns of A) and C^T rows.
        direct_rows<V, RB, NV>(N, M, K, alpha, B, csb, rsb, StridedRows<T>{A, csa}, beta, C, csc);
    } else if (csa == 1 && rsb == 1) {
        for (int64_t i = 0; i < M; ++i) {
            for (int64_t j = 0; j < N; ++j) {
                T* c = C + i * rsc + j * csc;
                *c = combine(dot<V>(A + i * rsa, B + j * csb, K), alpha, beta, c);
            }
        }
    } else {
        for (int64_t i = 0; i < M; ++i) {
            for (int64_t j = 0; j < N; ++j) {
                T s = T(0);
                for (int64_t k = 0; k < K; ++k) {
                    s = madd(A[i * rsa + k * csa], B[k * rsb + j * csb], s);
                }
                T* c = C + i * rsc + j * csc;
                *c = combine(s, alpha, beta, c);
            }
        }
    }
}

template <class V, int64_t RB, int64_t NV>
void direct_pointed(int64_t M, int64_t N, int64_t K, typename V::T alpha, const typename V::T* A,
                    int64_t rsa, int64_t csa, const typename V::T* const* rows, typename V::T beta,
                    typename V::T* C, int64_t rsc) {
    using T = typename V::T;
    direct_rows<V, RB, NV>(M, N, K, alpha, A, rsa, csa, PointedRows<T>{rows, 0}, beta, C, rsc);
}

// Fills one dtype's table with the MR x (NV*L) microkernel of policy V.
template <class V, int64_t MR, int64_t NV, int64_t RB, int64_t DNV>
void fill(GemmKernel<typename V::T>* k) {
    k->mr = MR;
    k->nr = NV * V::L;
    k->fast_direct = V::L > 1;
    k->ukernel = &ukernel<V, MR, NV>;
    k->ukernel_rows = &ukernel_rows<V, MR, NV>;
    k->pack_a = &pack_a<V, MR>;
    k->pack_b = &pack_b<V, NV * V::L>;
    k->direct = &direct<V, RB, DNV>;
    k->direct_pointed = &direct_pointed<V, RB, DNV>;
}

}  // namespace
}  // namespace chainrule::kernels
