// The one matrix-product kernel: C = alpha * A @ B (+ C), with every operand read through its
// element strides, so transposed views (a.mT @ b) are never materialised.
#pragma once
#include <cstdint>

namespace chainrule::kernels {

// C: (M, N) strides (rsc, csc); A: (M, K) strides (rsa, csa); B: (K, N) strides (rsb, csb).
// accumulate=false overwrites C (C = alpha * A @ B); true adds to it (C += alpha * A @ B).
// Parallel over C tiles above a work threshold; each C element is computed by one thread in a
// fixed order of K, so results do not depend on the thread count.
// Instantiated for float, double and int64_t.
template <class T>
void gemm_baseline(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
                   const T* B, int64_t rsb, int64_t csb, bool accumulate, T* C, int64_t rsc,
                   int64_t csc);

}  // namespace chainrule::kernels
