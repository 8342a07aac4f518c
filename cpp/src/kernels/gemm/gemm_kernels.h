// The per-ISA GEMM kernels behind the driver (gemm.cpp): plain structs of function pointers
// that each ISA translation unit fills. Nothing here is inline or a function template, so the
// ISA units (compiled with -mavx2 / -mavx512f) share no code with the rest of the library.
#pragma once
#include <cstdint>

// Prefetch hint (a macro, not an inline function: nothing here may be shared code).
#if defined(__GNUC__) || defined(__clang__)
#define CR_PREFETCH(p, rw, locality) __builtin_prefetch((p), (rw), (locality))
#else
#define CR_PREFETCH(p, rw, locality) ((void)(p))
#endif

namespace chainrule::kernels {

// One dtype's kernels. An aggregate without constructors on purpose (see above).
template <class T>
struct GemmKernel {
    int64_t mr, nr;    // register tile: MR rows of C by NR columns
    bool fast_direct;  // `direct` is vectorised (else the driver uses it only for gemv)

    // Microkernel. C: (mr, nr) at row stride rsc, unit column stride.
    //   Ap: (kc, mr) k-major (Ap[k*mr + i] = A[i, k]); Bp: (kc, nr) (Bp[k*nr + j] = B[k, j]);
    //   both 64-byte aligned. acc = Ap^T @ Bp, summed over k in order, one FMA per step; then
    //   beta == 0: C = alpha*acc (C is never read: it may hold NaN garbage);
    //   beta == 1: C = C + alpha*acc;   else: C = alpha*acc + beta*C (each product rounded).
    void (*ukernel)(int64_t kc, T alpha, const T* Ap, const T* Bp, T beta, T* C, int64_t rsc);

    // ukernel on the first rows < mr of a panel (the bottom edge of C): C (rows, nr).
    void (*ukernel_rows)(int64_t kc, int64_t rows, T alpha, const T* Ap, const T* Bp, T beta, T* C,
                         int64_t rsc);

    // Ap: ceil(mc/mr) panels, each (kc, mr) k-major; rows past mc are zero.
    // A: (mc, kc) at strides (rsa, csa).
    void (*pack_a)(T* Ap, const T* A, int64_t rsa, int64_t csa, int64_t mc, int64_t kc);

    // Bp: ceil(nc/nr) panels, each (kc, nr); columns past nc are zero.
    // B: (kc, nc) at strides (rsb, csb).
    void (*pack_b)(T* Bp, const T* B, int64_t rsb, int64_t csb, int64_t kc, int64_t nc);

    // Unpacked product for small or thin problems (no workspace, no threads), with the same
    // beta contract as ukernel. C: (M, N) at (rsc, csc); A: (M, K) at (rsa, csa);
    // B: (K, N) at (rsb, csb); K >= 1. Each C element's K-sum runs in a fixed order that
    // does not depend on M or N, so callers may split C into blocks freely.
    void (*direct)(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa,
                   const T* B, int64_t rsb, int64_t csb, T beta, T* C, int64_t rsc, int64_t csc);

    // `direct` with row k of B at rows[k] (N contiguous elements): C (M, N) at (rsc, 1),
    // A (M, K) at (rsa, csa). A convolution's column matrix row is a run of its input, so the
    // rows point into the input and no column matrix is written.
    void (*direct_pointed)(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa,
                           int64_t csa, const T* const* rows, T beta, T* C, int64_t rsc);
};

struct GemmKernels {
    GemmKernel<float> s;
    GemmKernel<double> d;
};

// Fill *out and return true, or return false when this build has no code for the level:
// one getter per level of chainrule/cpu_levels.def, each defined in that level's unit.
#define CR_CPU_LEVEL(Enum, name, ...) bool gemm_kernels_##name(GemmKernels* out);
#include "chainrule/cpu_levels.def"

}  // namespace chainrule::kernels
