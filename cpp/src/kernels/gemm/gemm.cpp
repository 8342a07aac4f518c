// The GEMM driver (BLIS loop nest): cache blocking, packing, thread split and edge tiles,
// around the per-ISA microkernels and packers of the level in use (gemm_kernels.h). Compiled
// with baseline flags; all ISA code is reached through the function-pointer table.
#include "gemm.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <thread>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(_WIN32)
#include <malloc.h>
#endif
#include <type_traits>

#include "../baseline/gemm.h"
#include "../dispatch.h"
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

// The unpacked path (direct_rows: B rows read in place) against the packed one, measured on
// AVX-512 (and AVX2) with the layouts of MLP training: it wins for small products, for a
// short K (a packed microkernel call then does little work per C tile), and for row-major A
// and B with few rows (packing B does not pay back over <= 32 rows while B stays in L2, or
// over one block of rows whatever its size).
constexpr int64_t kSmallWork = 64 * 1024;  // multiply-adds
constexpr int64_t kDirectMaxK = 32;
constexpr int64_t kDirectMaxM = 32;
constexpr int64_t kDirectOneBlock = 8;
// Multiply-adds per extra thread worth a parallel region (~10 us of one core's work).
constexpr int64_t kWorkPerThread = int64_t(1) << 20;

// KC: an A micro-panel (MR x KC) stays in L1 while the B panels stream past it from L2; the
//     depth is L1 * 2/3 / (NR sizeof T), 256 floats for 14 x 32 on a 48 KiB L1 (measured
//     best among 128..512 at 2048^3 and 512 x 4096 x 4096: fewer passes over C than 192,
//     and the A micro-panel, 14 KiB, still leaves L1 room for the streaming B rows).
// NC: the packed B block (KC x NC) takes about half of L2 (1024 columns here).
// direct_b_bytes: the unpacked path reads B in place for every block of rows, which pays
//     while B stays in L2.
template <class T>
GemmBlocking blocking(const GemmKernel<T>& k, const GemmConfig* cfg) {
    const CacheSizes& cs = cache_sizes();
    const int64_t sz = static_cast<int64_t>(sizeof(T));
    GemmBlocking b{};
    b.mr = k.mr;
    b.nr = k.nr;
    b.kc = clamp(cs.l1d * 2 / 3 / (k.nr * sz) / 16 * 16, 64, 1024);
    b.nc = clamp(cs.l2 / 2 / (b.kc * sz) / k.nr * k.nr, 4 * k.nr, 8192);
    b.direct_b_bytes = cs.l2 / 2;
    if (cfg != nullptr) {
        if (cfg->kc > 0) b.kc = cfg->kc;
        if (cfg->nc > 0) b.nc = ceil_div(cfg->nc, k.nr) * k.nr;
    }
    return b;
}

// One growing, 64-byte aligned buffer per calling thread for the packed panels of every part
// of a product, allocated before any parallel region (bad_alloc must not escape one), and
// kept: steady-state calls allocate nothing.
struct Workspace {
    void* p = nullptr;
    size_t bytes = 0;
    ~Workspace() { release(); }
    void release() {
#if defined(_WIN32)
        _aligned_free(p);
#else
        std::free(p);
#endif
        p = nullptr;
        bytes = 0;
    }
    void* get(size_t n) {
        if (n > bytes) {
            release();
            // Large buffers on 2 MiB boundaries, marked for transparent huge pages: the B block
            // is swept once per A micro-panel, one TLB entry instead of hundreds.
            const size_t align = n >= (size_t(1) << 21) ? (size_t(1) << 21) : 64;
            const size_t size = (n + align - 1) / align * align;
#if defined(_WIN32)
            p = _aligned_malloc(size, align);
#else
            p = std::aligned_alloc(align, size);
#endif
            if (p == nullptr) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
            if (align > 64) madvise(p, size, MADV_HUGEPAGE);
#endif
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

// c (mr, nr) at (rsc, csc) from an exact accumulator tile (row stride ldt), with the
// microkernel's own combine rule: edge tiles round exactly as full ones.
template <class T>
void store_tile(T* c, int64_t rsc, int64_t csc, const T* tile, int64_t ldt, int64_t mr, int64_t nr,
                T alpha, T beta) {
    for (int64_t i = 0; i < mr; ++i) {
        for (int64_t j = 0; j < nr; ++j) {
            T* cij = c + i * rsc + j * csc;
            const T acc = tile[i * ldt + j];
            if (beta == T(0)) {
                *cij = alpha * acc;
            } else if (beta == T(1)) {
                *cij = *cij + alpha * acc;
            } else {
                *cij = alpha * acc + beta * *cij;
            }
        }
    }
}

// A spinning barrier for the members of one parallel team (one part each): packed B blocks
// are shared, so a block is complete before anyone multiplies with it. Every member calls
// join(team size) before its first wait: the count is the team OpenMP actually started, which
// can be smaller than the one asked for (OMP_THREAD_LIMIT, OMP_DYNAMIC). Waiters spin a
// bounded number of times, then yield the core (an oversubscribed machine: the member they
// wait for may need it).
class SpinBarrier {
 public:
    void join(int n) { n_.store(n, std::memory_order_relaxed); }
    void wait() {
        const int gen = gen_.load(std::memory_order_acquire);
        if (count_.fetch_add(1, std::memory_order_acq_rel) + 1 ==
            n_.load(std::memory_order_relaxed)) {
            count_.store(0, std::memory_order_relaxed);
            gen_.fetch_add(1, std::memory_order_release);
            return;
        }
        for (int spins = 0; gen_.load(std::memory_order_acquire) == gen; ++spins) {
            if (spins > 4000) {
                std::this_thread::yield();
            } else {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            }
        }
    }

 private:
    std::atomic<int> count_{0}, gen_{0}, n_{0};
};

// The threads that share packed B blocks: member `id` of `size` packs its share of each
// block's panels into bp[block parity] (two buffers, so one barrier per block suffices).
template <class T>
struct Team {
    int id, size;
    SpinBarrier* barrier;  // null when size == 1
    T* bp[2];
    T* bp_all;  // non-null: every B block was packed up front here (pack_all_b), in loop order
};

// Elements of one packed B block (kc x nc), rounded to whole 64-byte lines.
template <class T>
int64_t block_elems(int64_t panels, int64_t nr, int64_t kc) {
    constexpr int64_t line = 64 / static_cast<int64_t>(sizeof(T));
    return (panels * nr * kc + line - 1) / line * line;
}

// Member team.id's share of the panels of every B block of columns [n0, n1), packed into
// team.bp_all in the order blocked() visits the blocks.
template <class T>
void pack_all_b(const GemmKernel<T>& k, const GemmBlocking& bl, int64_t kc_step, int64_t n0,
                int64_t n1, int64_t K, const T* B, int64_t rsb, int64_t csb, const Team<T>& team) {
    const int64_t NR = k.nr;
    int64_t off = 0;
    for (int64_t jc = n0; jc < n1; jc += bl.nc) {
        const int64_t nc = bl.nc < n1 - jc ? bl.nc : n1 - jc;
        const int64_t panels = (nc + NR - 1) / NR;
        const int64_t p0 = panels * team.id / team.size;
        const int64_t p1 = panels * (team.id + 1) / team.size;
        for (int64_t pc = 0; pc < K; pc += kc_step) {
            const int64_t kc = kc_step < K - pc ? kc_step : K - pc;
            if (p0 < p1) {
                const int64_t j1 = p1 * NR < nc ? p1 * NR : nc;
                k.pack_b(team.bp_all + off + p0 * NR * kc, B + pc * rsb + (jc + p0 * NR) * csb, rsb,
                         csb, kc, j1 - p0 * NR);
            }
            off += block_elems<T>(panels, NR, kc);
        }
    }
}

// One thread's block of C: rows [m0, m1), columns [n0, n1). The BLIS loop nest with the two
// inner loops swapped: for each (NC, KC) block the B panels (KC x NC, about half of L2) are
// packed once (by the team together), then each A micro-panel (MR x KC, L1) is packed just in
// time and swept across all of them; C is visited once per K block.
template <class T>
void blocked(const GemmKernel<T>& k, const GemmBlocking& bl, int64_t kc_step, int64_t m0,
             int64_t m1, int64_t n0, int64_t n1, int64_t K, T alpha, const T* A, int64_t rsa,
             int64_t csa, const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc,
             int64_t csc, T* Ap, const Team<T>& team) {
    const int64_t MR = k.mr, NR = k.nr;
    alignas(64) T tile[16 * 64];  // an edge tile: MR x NR <= 16 x 64
    int block = 0;
    int64_t off = 0;  // of this block in team.bp_all
    for (int64_t jc = n0; jc < n1; jc += bl.nc) {
        const int64_t nc = bl.nc < n1 - jc ? bl.nc : n1 - jc;
        const int64_t panels = (nc + NR - 1) / NR;
        for (int64_t pc = 0; pc < K; pc += kc_step, ++block) {
            const int64_t kc = kc_step < K - pc ? kc_step : K - pc;
            const T bet = pc == 0 ? beta : T(1);  // later K blocks add to the first
            T* Bp = team.bp_all != nullptr ? team.bp_all + off : team.bp[block & 1];
            off += block_elems<T>(panels, NR, kc);
            if (team.bp_all == nullptr) {
                const int64_t p0 = panels * team.id / team.size;
                const int64_t p1 = panels * (team.id + 1) / team.size;
                if (p0 < p1) {
                    const int64_t j1 = p1 * NR < nc ? p1 * NR : nc;
                    k.pack_b(Bp + p0 * NR * kc, B + pc * rsb + (jc + p0 * NR) * csb, rsb, csb, kc,
                             j1 - p0 * NR);
                }
                if (team.barrier != nullptr) team.barrier->wait();
            }
            for (int64_t ir = m0; ir < m1; ir += MR) {
                const int64_t mr = MR < m1 - ir ? MR : m1 - ir;
                k.pack_a(Ap, A + ir * rsa + pc * csa, rsa, csa, mr, kc);
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    const int64_t nr = NR < nc - jr ? NR : nc - jr;
                    const T* bp = Bp + jr * kc;
                    T* c = C + ir * rsc + (jc + jr) * csc;
                    if (nr == NR && csc == 1) {
                        if (mr == MR) {
                            k.ukernel(kc, alpha, Ap, bp, bet, c, rsc);
                        } else {
                            k.ukernel_rows(kc, mr, alpha, Ap, bp, bet, c, rsc);  // bottom edge
                        }
                        continue;
                    }
                    // Right edge or strided C: exact accumulators (alpha 1, beta 0) stored
                    // with the microkernel's combine rule.
                    k.ukernel(kc, T(1), Ap, bp, T(0), tile, NR);
                    store_tile(c, rsc, csc, tile, NR, mr, nr, alpha, bet);
                }
            }
        }
    }
}

template <class T>
void run(const GemmKernel<T>& k, const GemmBlocking& bl, GemmPath path, GemmSplit split, int64_t M,
         int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa, const T* B,
         int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc, int64_t csc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale(M, N, beta, C, rsc, csc);
        return;
    }
    // The packed path writes C rows with unit stride: a column-major C is the transposed
    // product C^T = B^T @ A^T.
    if (csc != 1 && rsc == 1) {
        run(k, bl, path, split, N, M, K, alpha, B, csb, rsb, A, csa, rsa, beta, C, csc, rsc);
        return;
    }
    const double work = static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
    const int threads = get_num_threads();
    const int64_t max_threads = static_cast<int64_t>(work / static_cast<double>(kWorkPerThread));
    const int64_t nt =
        split == GemmSplit::Serial
            ? 1
            : (max_threads < threads ? (max_threads < 1 ? 1 : max_threads) : threads);

    // The unpacked path: matrix-vector products (each element of the long operand is used
    // once: packing it would double the memory traffic), and the cases above. A transposed
    // B (x @ W^T) always packs: the unpacked kernel would need dot products along K.
    const double sz = static_cast<double>(sizeof(T));
    const bool rows_b = csb == 1 && csc == 1, rows_at = rsa == 1 && rsc == 1;
    const bool direct =
        path == GemmPath::Direct ||
        (path == GemmPath::Auto &&
         (M == 1 || N == 1 ||
          (k.fast_direct && (rows_b || rows_at) &&
           (work < static_cast<double>(kSmallWork) || K <= kDirectMaxK)) ||
          (k.fast_direct && rows_b && csa == 1 &&
           (M <= kDirectOneBlock ||
            (M <= kDirectMaxM &&
             static_cast<double>(K) * static_cast<double>(N) * sz <= bl.direct_b_bytes)))));
    if (direct) {
        // Threads split the longer side of C; each element's sum is the same either way.
        const bool split_n = N >= M;
        // Split points on multiples of 16 (whole vectors of columns, whole row blocks).
        const int64_t len = split_n ? N : M, unit = 16;
        const int64_t units = ceil_div(len, unit);
        const int64_t parts = nt < units ? nt : units;
        parallel_for(0, parts, 1, [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) {
                const int64_t b = units * t / parts * unit;
                const int64_t e = t + 1 == parts ? len : units * (t + 1) / parts * unit;
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
    const int64_t nc_max = bl.nc < N ? bl.nc : ceil_div(N, k.nr) * k.nr;
    const size_t a_bytes = (static_cast<size_t>(k.mr * kc_step) * sizeof(T) + 63) / 64 * 64;
    const size_t b_bytes =
        (static_cast<size_t>(ceil_div(nc_max, k.nr) * k.nr * kc_step) * sizeof(T) + 63) / 64 * 64;
    auto ptr = [](char* base, size_t off) { return reinterpret_cast<T*>(base + off); };

    // Two ways to share the packed path between threads:
    // - columns: each thread packs its own run of column panels of B and sweeps all of A
    //   across it (A is packed by every thread). No barrier, and each core reads only the
    //   packed B it wrote (in its own L2). Measured faster for C at least as wide as tall:
    //   x @ W^T, dy @ W, 512^3 and 512 x 4096 x 4096 by 5-20% at 2 threads, equal at 2048^3.
    // - rows (C taller than wide, or too narrow to split): each thread sweeps its rows of A
    //   across shared packed B, each member packing a share. When all of B packed fits in L2
    //   it is packed up front (one barrier per product), else block by block (a barrier per
    //   block, double buffered). Nothing is packed twice.
    const int64_t ntl = ceil_div(N, k.nr);
    size_t b_all_bytes = 0;
    for (int64_t jc = 0; jc < N; jc += bl.nc) {
        const int64_t panels = ceil_div(bl.nc < N - jc ? bl.nc : N - jc, k.nr);
        for (int64_t pc = 0; pc < K; pc += kc_step) {
            const int64_t kc = kc_step < K - pc ? kc_step : K - pc;
            b_all_bytes += static_cast<size_t>(block_elems<T>(panels, k.nr, kc)) * sizeof(T);
        }
    }
    const bool b_all =
        split != GemmSplit::RowsBlocks && b_all_bytes <= static_cast<size_t>(cache_sizes().l2);
    const bool rows = split == GemmSplit::Rows || split == GemmSplit::RowsBlocks ||
                      (split == GemmSplit::Auto && M >= nt * k.mr && (M > N || ntl < 2 * nt));
    if (nt > 1 && rows) {
        char* ws = static_cast<char*>(workspace().get((b_all ? b_all_bytes : 2 * b_bytes) +
                                                      static_cast<size_t>(nt) * a_bytes));
        const size_t a_off = b_all ? b_all_bytes : 2 * b_bytes;
        SpinBarrier barrier;
        parallel_team(static_cast<int>(nt), [&](int id, int size) {
            // The split follows the team that started (at most nt members; one when the
            // product runs inside another parallel region). Rows at multiples of 8.
            if (size > 1) barrier.join(size);
            const int64_t m0 = M * id / size / 8 * 8;
            const int64_t m1 = id + 1 < size ? M * (id + 1) / size / 8 * 8 : M;
            Team<T> team{
                id, size, size > 1 ? &barrier : nullptr, {ptr(ws, 0), ptr(ws, b_bytes)}, nullptr};
            if (b_all) {
                team.bp_all = ptr(ws, 0);
                pack_all_b(k, bl, kc_step, 0, N, K, B, rsb, csb, team);
                if (size > 1) barrier.wait();
            }
            blocked(k, bl, kc_step, m0, m1, 0, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc,
                    csc, ptr(ws, a_off + static_cast<size_t>(id) * a_bytes), team);
        });
        return;
    }
    const int64_t parts = nt < ntl ? nt : ntl;
    const size_t part_bytes = a_bytes + b_bytes;
    char* ws = static_cast<char*>(workspace().get(part_bytes * static_cast<size_t>(parts)));
    parallel_for(0, parts, 1, [&](int64_t t0, int64_t t1) {
        char* mine = ws + part_bytes * static_cast<size_t>(t0);
        const Team<T> team{0, 1, nullptr, {ptr(mine, a_bytes), ptr(mine, a_bytes)}, nullptr};
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t b = ntl * t / parts, e = ntl * (t + 1) / parts;
            if (b >= e) continue;
            const int64_t n0 = b * k.nr, n1 = e * k.nr < N ? e * k.nr : N;
            blocked(k, bl, kc_step, 0, M, n0, n1, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc,
                    csc, ptr(mine, 0), team);
        }
    });
}

}  // namespace

template <class T>
void gemm(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
          const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc, int64_t csc) {
    if constexpr (std::is_same_v<T, int64_t>) {
        if (beta != 0 && beta != 1) scale(M, N, beta, C, rsc, csc);
        gemm_baseline<T>(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta != 0, C, rsc, csc);
    } else {
        const KernelTable& t = kernel_table();
        static const GemmBlocking bl = blocking(kernel_of<T>(t), nullptr);
        run(kernel_of<T>(t), bl, GemmPath::Auto, GemmSplit::Auto, M, N, K, alpha, A, rsa, csa, B,
            rsb, csb, beta, C, rsc, csc);
    }
}

template <class T>
void gemm_pointed(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
                  const T* const* rows, T beta, T* C, int64_t rsc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale(M, N, beta, C, rsc, int64_t(1));
        return;
    }
    kernel_of<T>(kernel_table()).direct_pointed(M, N, K, alpha, A, rsa, csa, rows, beta, C, rsc);
}

template <class T>
void gemm_with(const GemmConfig& cfg, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
               int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb, T beta, T* C,
               int64_t rsc, int64_t csc) {
    const KernelTable* t = kernel_table_at(cfg.level);
    if (t == nullptr) return;  // callers check kernel_table_at first
    const GemmKernel<T>& k = kernel_of<T>(*t);
    run(k, blocking(k, &cfg), cfg.path, cfg.split, M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta,
        C, rsc, csc);
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
template void gemm_with<double>(const GemmConfig&, int64_t, int64_t, int64_t, double, const double*,
                                int64_t, int64_t, const double*, int64_t, int64_t, double, double*,
                                int64_t, int64_t);
template void gemm_pointed<float>(int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
                                  const float* const*, float, float*, int64_t);
template void gemm_pointed<double>(int64_t, int64_t, int64_t, double, const double*, int64_t,
                                   int64_t, const double* const*, double, double*, int64_t);
template GemmBlocking gemm_blocking<float>(CpuCapability);
template GemmBlocking gemm_blocking<double>(CpuCapability);

}  // namespace chainrule::kernels
