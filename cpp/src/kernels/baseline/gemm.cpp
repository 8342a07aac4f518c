// Portable cache-blocked GEMM (BLIS shape, plain C++ that the compiler auto-vectorises, built
// with the baseline flags): the int64 product, and the reference the tests and benchmarks check
// the per-level kernels (gemm/) against. A is packed into MR-row panels and B into NR-column
// panels of depth KC; an MR x NR register tile of C is accumulated over the panel depth.
#include "gemm.h"

#include <algorithm>
#include <vector>

#include "chainrule/parallel.h"

namespace chainrule::kernels {

namespace {

// Register tile: MR rows x NR columns. NR spans whole SIMD vectors of T.
template <class T>
struct Tile {
    static constexpr int64_t MR = 4, NR = 8;
};
template <>
struct Tile<double> {
    static constexpr int64_t MR = 4, NR = 4;
};

constexpr int64_t kMC = 64, kNC = 256, kKC = 256;  // C block (MC x NC), panel depth KC

// Ap: ceil(mc/MR) panels, each (kc, MR) row-interleaved; rows past mc are zero.
// A: (mc, kc) at strides (rsa, csa).
template <class T, int64_t MR>
void pack_a(T* Ap, const T* A, int64_t rsa, int64_t csa, int64_t mc, int64_t kc) {
    for (int64_t i0 = 0; i0 < mc; i0 += MR) {
        const int64_t mr = std::min(MR, mc - i0);
        for (int64_t k = 0; k < kc; ++k) {
            for (int64_t i = 0; i < mr; ++i) Ap[k * MR + i] = A[(i0 + i) * rsa + k * csa];
            for (int64_t i = mr; i < MR; ++i) Ap[k * MR + i] = T(0);
        }
        Ap += kc * MR;
    }
}

// Bp: ceil(nc/NR) panels, each (kc, NR); columns past nc are zero. B: (kc, nc) at (rsb, csb).
template <class T, int64_t NR>
void pack_b(T* Bp, const T* B, int64_t rsb, int64_t csb, int64_t kc, int64_t nc) {
    for (int64_t j0 = 0; j0 < nc; j0 += NR) {
        const int64_t nr = std::min(NR, nc - j0);
        for (int64_t k = 0; k < kc; ++k) {
            const T* b = B + k * rsb + j0 * csb;
            T* d = Bp + k * NR;
            if (csb == 1) {
                for (int64_t j = 0; j < nr; ++j) d[j] = b[j];
            } else {
                for (int64_t j = 0; j < nr; ++j) d[j] = b[j * csb];
            }
            for (int64_t j = nr; j < NR; ++j) d[j] = T(0);
        }
        Bp += kc * NR;
    }
}

// acc (MR, NR) = Ap panel (kc, MR)^T @ Bp panel (kc, NR); overwrites acc.
template <class T, int64_t MR, int64_t NR>
inline void microkernel(T (&acc)[MR][NR], const T* Ap, const T* Bp, int64_t kc) {
    for (int64_t i = 0; i < MR; ++i) {
        for (int64_t j = 0; j < NR; ++j) acc[i][j] = T(0);
    }
    for (int64_t k = 0; k < kc; ++k) {
        const T* a = Ap + k * MR;
        const T* b = Bp + k * NR;
        for (int64_t i = 0; i < MR; ++i) {
            const T ai = a[i];
            for (int64_t j = 0; j < NR; ++j) acc[i][j] += ai * b[j];
        }
    }
}

}  // namespace

template <class T>
void gemm_baseline(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
                   const T* B, int64_t rsb, int64_t csb, bool accumulate, T* C, int64_t rsc,
                   int64_t csc) {
    constexpr int64_t MR = Tile<T>::MR, NR = Tile<T>::NR;
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        if (!accumulate) {
            for (int64_t i = 0; i < M; ++i) {
                for (int64_t j = 0; j < N; ++j) C[i * rsc + j * csc] = T(0);
            }
        }
        return;
    }
    const int64_t mb = (M + kMC - 1) / kMC, nb = (N + kNC - 1) / kNC;
    const int64_t ntasks = mb * nb;
    // About 2^18 multiply-adds are worth waking the threads for.
    const double work = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
    const int64_t grain = work < 262144.0 ? ntasks : 1;
    parallel_for(0, ntasks, grain, [&](int64_t t0, int64_t t1) {
        std::vector<T> Ap(static_cast<size_t>(kMC * kKC)), Bp(static_cast<size_t>(kKC * kNC));
        T acc[MR][NR];
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t ic = (t / nb) * kMC, jc = (t % nb) * kNC;
            const int64_t mc = std::min(kMC, M - ic), nc = std::min(kNC, N - jc);
            for (int64_t pc = 0; pc < K; pc += kKC) {
                const int64_t kc = std::min(kKC, K - pc);
                const bool add = accumulate || pc > 0;
                pack_a<T, MR>(Ap.data(), A + ic * rsa + pc * csa, rsa, csa, mc, kc);
                pack_b<T, NR>(Bp.data(), B + pc * rsb + jc * csb, rsb, csb, kc, nc);
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    const int64_t nr = std::min(NR, nc - jr);
                    const T* bp = Bp.data() + (jr / NR) * kc * NR;
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        const int64_t mr = std::min(MR, mc - ir);
                        microkernel<T, MR, NR>(acc, Ap.data() + (ir / MR) * kc * MR, bp, kc);
                        T* c = C + (ic + ir) * rsc + (jc + jr) * csc;
                        for (int64_t i = 0; i < mr; ++i) {
                            T* row = c + i * rsc;
                            if (add) {
                                for (int64_t j = 0; j < nr; ++j) row[j * csc] += alpha * acc[i][j];
                            } else {
                                for (int64_t j = 0; j < nr; ++j) row[j * csc] = alpha * acc[i][j];
                            }
                        }
                    }
                }
            }
        }
    });
}

template void gemm_baseline<float>(int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
                                   const float*, int64_t, int64_t, bool, float*, int64_t, int64_t);
template void gemm_baseline<double>(int64_t, int64_t, int64_t, double, const double*, int64_t,
                                    int64_t, const double*, int64_t, int64_t, bool, double*,
                                    int64_t, int64_t);
template void gemm_baseline<int64_t>(int64_t, int64_t, int64_t, int64_t, const int64_t*, int64_t,
                                     int64_t, const int64_t*, int64_t, int64_t, bool, int64_t*,
                                     int64_t, int64_t);

}  // namespace chainrule::kernels
