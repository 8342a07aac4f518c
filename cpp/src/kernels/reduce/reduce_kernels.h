// The per-ISA loops of the reductions (sum, mean, sum of squares, max, min) behind the strided
// engine in kernels/reduce/strided.h: plain structs of function pointers that each ISA translation
// unit fills (reduce_baseline.cpp, reduce_avx2.cpp, reduce_avx512.cpp). Nothing here is inline or
// a template function, so the ISA units share no code with the rest of the library.
//
// Accuracy and determinism: every sum runs in float lanes over short sub-blocks (kSub
// elements, a fixed number per lane), the lanes combined pairwise, the sub-block results
// added in double in order. The bits depend on the level (its lane count), never on the
// thread count: callers split work only at fixed block boundaries.
#pragma once
#include <cstdint>

namespace chainrule::kernels {

template <class T>
struct ReduceKernel {
    // sum_{i < n} x[i] (contiguous), rounded to double.
    double (*sum)(const T* x, int64_t n);
    // sum_{i < n} x[i]^2 (contiguous).
    double (*sumsq)(const T* x, int64_t n);
    // acc[j] += sum_{r < rows} x[r * ld + j] for j < cols: column sums of a row-major block
    // (sum over dim 0 of an (N, C) tensor), rows streamed in order; ld >= cols.
    void (*colsum)(double* acc, const T* x, int64_t rows, int64_t ld, int64_t cols);
    // max / min of x[0..n) (n >= 1), NaN when any element is NaN (as torch.amax / amin).
    T (*max)(const T* x, int64_t n);
    T (*min)(const T* x, int64_t n);
};

struct ReduceKernels {
    ReduceKernel<float> s;
    ReduceKernel<double> d;
};

// Fill *out and return true, or return false when this build has no code for the level:
// one getter per level of chainrule/cpu_levels.def, each defined in that level's unit.
#define CR_CPU_LEVEL(Enum, name, ...) bool reduce_kernels_##name(ReduceKernels* out);
#include "chainrule/cpu_levels.def"

}  // namespace chainrule::kernels
