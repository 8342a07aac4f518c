// The matrix-product entry point: C = alpha * A @ B + beta * C for float and double through
// the blocked SIMD kernels of the CPU level in use (int64 goes to the reference gemm_baseline).
// Every operand is read through its element strides: transposed views are absorbed by packing.
#pragma once
#include <cstdint>

#include "chainrule/cpu.h"

namespace chainrule::kernels {

// C: (M, N) strides (rsc, csc); A: (M, K) strides (rsa, csa); B: (K, N) strides (rsb, csb).
// beta == 0 overwrites C without reading it (C may hold NaN garbage); beta == 1 accumulates
// (gradients add in place); otherwise C = alpha * A @ B + beta * C. C must not overlap A or B.
// Threads (the global count) split C into blocks above a work threshold; each C element's
// K-sum runs in one fixed order, so the bits do not depend on the thread count.
template <class T>
void gemm(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
          const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc, int64_t csc);

// C (M, N) at row stride rsc = alpha * A @ B + beta * C, with row k of B given by pointer
// (rows[k], N contiguous elements), on the calling thread with the unpacked kernels. For
// small products whose B rows lie scattered in memory (a convolution's taps over its input).
template <class T>
void gemm_pointed(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
                  const T* const* rows, T beta, T* C, int64_t rsc);

// Knobs for tests and benchmarks; gemm() runs the level in use with the defaults.
enum class GemmPath {
    Auto,    // by shape and layout (below)
    Packed,  // BLIS loop nest over packed panels
    Direct,  // unpacked kernels reading A and B in place
};
// How threads share the packed path's work.
enum class GemmSplit {
    Auto,        // by shape (below)
    Rows,        // rows of C sharing packed B (all packed up front when it fits in L2)
    RowsBlocks,  // rows of C sharing packed B blocks packed one by one (a barrier per block)
    Cols,        // column panels of C; each thread packs its own B
    Serial,      // one thread
};
struct GemmConfig {
    CpuCapability level = CpuCapability::Baseline;  // must be available (kernel_table_at)
    int64_t kc = 0, nc = 0;                         // cache blocking; 0 = from the cache sizes
    GemmPath path = GemmPath::Auto;
    GemmSplit split = GemmSplit::Auto;
};

// gemm at a given level and blocking (the level must be available on this CPU).
template <class T>
void gemm_with(const GemmConfig& cfg, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
               int64_t rsa, int64_t csa, const T* B, int64_t rsb, int64_t csb, T beta, T* C,
               int64_t rsc, int64_t csc);

// The blocking gemm() uses for a level and dtype (for benchmarks and reports).
struct GemmBlocking {
    int64_t mr, nr, kc, nc;
    double direct_b_bytes;  // B (K x N) at most this large is read in place (unpacked path)
};
template <class T>
GemmBlocking gemm_blocking(CpuCapability level);

}  // namespace chainrule::kernels
