// The GEMM driver (BLIS loop nest): cache blocking, packing, thread split and edge tiles,
// around the per-ISA microkernels and packers of the level in use (gemm_kernels.h). Compiled
// with baseline flags; all ISA code is reached through the function-pointer table.
#include "gemm.h"

#include <cstdlib>
#include <new>
#include <type_traits>

#include "../dispatch.h"
#include "../ref/gemm.h"
#include "chainrule/parallel.h"

namespace chainrule::kernels {

namespace {

template <class T>
const GemmKernel<T>& kernel_of(const KernelTable& t);
template <>
const GemmKernel<float>& kernel_of<float>(const KernelTable& t) {
    return t.gemm.s;
}
template <>
const GemmKernel<double>& kernel_of<double>(const KernelTable& t) {
    return t.gemm.d;
}

int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Multiply-adds below which the unpacked path wins (measured on AVX-512 and AVX2: packing
// and edge tiles cost more than they save below ~32^3).
constexpr int64_t kDirectBelow = 32 * 32 * 32;
// Multiply-adds per extra thread worth a parallel region (~10 us of one core's work).
constexpr int64_t kWorkPerThread = int64_t(1) << 20;

// KC: a B micro-panel (KC x NR) fills about half of L1 and stays there while the A panels of
// the block stream past it; MC: the packed A block (MC x KC) takes about half of L2; NC: the
// packed B block (KC x NC) a few MiB of L3.
template <class T>
GemmBlocking blocking(const GemmKernel<T>& k, const GemmConfig* cfg) {
    const CacheSizes& cs = cache_sizes();
    const int64_t sz = static_cast<int64_t>(sizeof(T));
    GemmBlocking b{};
    b.mr = k.mr;
    b.nr = k.nr;
    b.kc = clamp(cs.l1d / 2 / (k.nr * sz) / 16 * 16, 64, 1024);
    b.mc = clamp(cs.l2 / 2 / (b.kc * sz) / k.mr * k.mr, k.mr, 4096 / k.mr * k.mr);
    b.nc = clamp(4096 / k.nr * k.nr, k.nr, 1 << 20);
    b.direct_below = kDirectBelow;
    if (cfg != nullptr) {
        if (cfg->kc > 0) b.kc = cfg->kc;
        if (cfg->mc > 0) b.mc = ceil_div(cfg->mc, k.mr) * k.mr;
        if (cfg->nc > 0) b.nc = ceil_div(cfg->nc, k.nr) * k.nr;
        if (cfg->direct_below >= 0) b.direct_below = cfg->direct_below;
    }
    return b;
}

// One growing, 64-byte aligned buffer per thread for the packed panels (OpenMP threads live
// across regions, so steady-state calls allocate nothing).
struct Workspace {
    void* p = nullptr;
    size_t bytes = 0;
    ~Workspace() { std::free(p); }
    void* get(size_t n) {
        if (n > bytes) {
            std::free(p);
            p = std::aligned_alloc(64, (n + 63) / 64 * 64);
            if (p == nullptr) throw std::bad_alloc();
            bytes = n;
        }
        return p;
    }
};

Workspace& workspace() {
    thread_local Workspace ws;
    return ws;
}

// C (M, N) = beta * C, the whole product when K == 0.
template <class T>
void scale(int64_t M, int64_t N, T beta, T* C, int64_t rsc, int64_t csc) {
    if (beta == T(1)) return;
    for (int64_t i = 0; i < M; ++i) {
        for (int64_t j = 0; j < N; ++j) {
            T* c = C + i * rsc + j * csc;
            *c = beta == T(0) ? T(0) : beta * *c;
        }
    }
}

// One thread's block of C: rows [m0, m1), columns [n0, n1), the BLIS loop nest.
template <class T>
void blocked(const GemmKernel<T>& k, const GemmBlocking& bl, int64_t kc_step, int64_t m0,
             int64_t m1, int64_t n0, int64_t n1, int64_t K, T alpha, const T* A, int64_t rsa,
             int64_t csa, const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc,
             int64_t csc, T* Ap, T* Bp) {
    const int64_t MR = k.mr, NR = k.nr;
    alignas(64) T tile[16 * 64];  // an edge tile: MR x NR <= 16 x 64
    for (int64_t jc = n0; jc < n1; jc += bl.nc) {
        const int64_t nc = bl.nc < n1 - jc ? bl.nc : n1 - jc;
        for (int64_t pc = 0; pc < K; pc += kc_step) {
            const int64_t kc = kc_step < K - pc ? kc_step : K - pc;
            const T bet = pc == 0 ? beta : T(1);  // later K blocks add to the first
            k.pack_b(Bp, B + pc * rsb + jc * csb, rsb, csb, kc, nc);
            for (int64_t ic = m0; ic < m1; ic += bl.mc) {
                const int64_t mc = bl.mc < m1 - ic ? bl.mc : m1 - ic;
                k.pack_a(Ap, A + ic * rsa + pc * csa, rsa, csa, mc, kc);
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    const int64_t nr = NR < nc - jr ? NR : nc - jr;
                    const T* bp = Bp + jr * kc;
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        const int64_t mr = MR < mc - ir ? MR : mc - ir;
                        const T* ap = Ap + ir * kc;
                        T* c = C + (ic + ir) * rsc + (jc + jr) * csc;
                        if (mr == MR && nr == NR && csc == 1) {
                            k.ukernel(kc, alpha, ap, bp, bet, c, rsc);
                            continue;
                        }
                        // Edge or strided tile: the exact accumulators (alpha 1, beta 0), then
                        // the microkernel's own combine rule on the valid part.
                        k.ukernel(kc, T(1), ap, bp, T(0), tile, NR);
                        for (int64_t i = 0; i < mr; ++i) {
                            for (int64_t j = 0; j < nr; ++j) {
                                T* cij = c + i * rsc + j * csc;
                                const T acc = tile[i * NR + j];
                                if (bet == T(0)) {
                                    *cij = alpha * acc;
                                } else if (bet == T(1)) {
                                    *cij = *cij + alpha * acc;
                                } else {
                                    *cij = alpha * acc + bet * *cij;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

template <class T>
void run(const GemmKernel<T>& k, const GemmBlocking& bl, int64_t M, int64_t N, int64_t K,
         T alpha, const T* A, int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb,
         T beta, T* C, int64_t rsc, int64_t csc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale(M, N, beta, C, rsc, csc);
        return;
    }
    // The packed path writes C rows with unit stride: a column-major C is the transposed
    // product C^T = B^T @ A^T.
    if (csc != 1 && rsc == 1) {
        run(k, bl, N, M, K, alpha, B, csb, rsb, A, csa, rsa, beta, C, csc, rsc);
        return;
    }
    const double work = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
    const int threads = get_num_threads();
    const int64_t max_threads = static_cast<int64_t>(work / static_cast<double>(kWorkPerThread));
    const int64_t nt = max_threads < threads ? (max_threads < 1 ? 1 : max_threads) : threads;

    // Unpacked path: small products, and matrix-vector ones (each element of the long
    // operand is used once: packing it would double the memory traffic).
    if (work < static_cast<double>(bl.direct_below) || M == 1 || N == 1) {
        // Threads split the longer side of C; each element's sum is the same either way.
        const bool split_n = N >= M;
        const int64_t len = split_n ? N : M, unit = 64;
        const int64_t parts = nt < ceil_div(len, unit) ? nt : ceil_div(len, unit);
        parallel_for(0, parts, 1, [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) {
                const int64_t b = len * t / parts, e = len * (t + 1) / parts;
                if (b >= e) continue;
                if (split_n) {
                    k.direct(M, e - b, K, alpha, A, rsa, csa, B + b * csb, rsb, csb, beta,
                             C + b * csc, rsc, csc);
                } else {
                    k.direct(e - b, N, K, alpha, A + b * rsa, rsa, csa, B, rsb, csb, beta,
                             C + b * rsc, rsc, csc);
                }
            }
        });
        return;
    }

    // K blocks of equal depth (<= KC): they fix each element's summation order, so they
    // depend on K alone, never on the thread split.
    const int64_t kc_step = ceil_div(K, ceil_div(K, bl.kc));
    // Threads take contiguous runs of whole tiles along one side of C; each packs its own
    // panels, so the split goes along the side whose other operand is cheaper to pack twice.
    const int64_t mt = ceil_div(M, k.mr), ntl = ceil_div(N, k.nr);
    const bool split_n = (M <= N && ntl >= nt) || mt < nt;
    const int64_t tiles = split_n ? ntl : mt;
    const int64_t parts = nt < tiles ? nt : tiles;
    const int64_t mc_max = bl.mc < M ? bl.mc : ceil_div(M, k.mr) * k.mr;
    const int64_t nc_max = bl.nc < N ? bl.nc : ceil_div(N, k.nr) * k.nr;
    const size_t a_bytes = static_cast<size_t>(ceil_div(mc_max, k.mr) * k.mr * kc_step) * sizeof(T);
    const size_t b_bytes = static_cast<size_t>(ceil_div(nc_max, k.nr) * k.nr * kc_step) * sizeof(T);
    parallel_for(0, parts, 1, [&](int64_t t0, int64_t t1) {
        char* ws = static_cast<char*>(workspace().get((a_bytes + 63) / 64 * 64 + b_bytes));
        T* Ap = reinterpret_cast<T*>(ws);
        T* Bp = reinterpret_cast<T*>(ws + (a_bytes + 63) / 64 * 64);
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t b = tiles * t / parts, e = tiles * (t + 1) / parts;
            if (b >= e) continue;
            if (split_n) {
                const int64_t n0 = b * k.nr, n1 = e * k.nr < N ? e * k.nr : N;
                blocked(k, bl, kc_step, 0, M, n0, n1, K, alpha, A, rsa, csa, B, rsb, csb, beta,
                        C, rsc, csc, Ap, Bp);
            } else {
                const int64_t m0 = b * k.mr, m1 = e * k.mr < M ? e * k.mr : M;
                blocked(k, bl, kc_step, m0, m1, 0, N, K, alpha, A, rsa, csa, B, rsb, csb, beta,
                        C, rsc, csc, Ap, Bp);
            }
        }
    });
}

}  // namespace

template <class T>
void gemm(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
          const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc, int64_t csc) {
    if constexpr (std::is_same_v<T, int64_t>) {
        if (beta != 0 && beta != 1) scale(M, N, beta, C, rsc, csc);
        gemm_ref<T>(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta != 0, C, rsc, csc);
    } else {
        const KernelTable& t = kernel_table();
        static const GemmBlocking bl = blocking(kernel_of<T>(t), nullptr);
        run(kernel_of<T>(t), bl, M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc);
    }
}

template <class T>
void gemm_with(const GemmConfig& cfg, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
               int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb, T beta, T* C,
               int64_t rsc, int64_t csc) {
    const KernelTable* t = kernel_table_at(cfg.level);
    if (t == nullptr) return;  // callers check kernel_table_at first
    const GemmKernel<T>& k = kernel_of<T>(*t);
    run(k, blocking(k, &cfg), M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc);
}

template <class T>
GemmBlocking gemm_blocking(CpuCapability level) {
    const KernelTable* t = kernel_table_at(level);
    if (t == nullptr) return GemmBlocking{};
    return blocking(kernel_of<T>(*t), nullptr);
}

#define CR_GEMM_INSTANTIATE(T)                                                                \
    template void gemm<T>(int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, const T*, \
                          int64_t, int64_t, T, T*, int64_t, int64_t);
CR_GEMM_INSTANTIATE(float)
CR_GEMM_INSTANTIATE(double)
CR_GEMM_INSTANTIATE(int64_t)
#undef CR_GEMM_INSTANTIATE

template void gemm_with<float>(const GemmConfig&, int64_t, int64_t, int64_t, float, const float*,
                               int64_t, int64_t, const float*, int64_t, int64_t, float, float*,
                               int64_t, int64_t);
template void gemm_with<double>(const GemmConfig&, int64_t, int64_t, int64_t, double,
                                const double*, int64_t, int64_t, const double*, int64_t, int64_t,
                                double, double*, int64_t, int64_t);
template GemmBlocking gemm_blocking<float>(CpuCapability);
template GemmBlocking gemm_blocking<double>(CpuCapability);

}  // namespace chainrule::kernels
