// The per-ISA row loops of layer_norm and the channel-segment loops of batch_norm (ops/norm.cpp):
// plain structs of function pointers that each ISA translation unit fills (norm_baseline.cpp,
// norm_avx2.cpp, norm_avx512.cpp). Nothing here is inline or a template function, so the ISA units
// share no code with the rest of the library. The kernels are single-threaded: the op splits rows
// over threads.
//
// Row statistics are sums in double lanes (L/2 by level), combined pairwise: the bits depend
// on the level, never on the thread count.
#pragma once
#include <cstdint>

namespace chainrule::kernels {

template <class T>
struct NormKernel {
    // x, y: (rows, N) contiguous; w, b: N elements or null. Per row: mean and
    // rstd = 1 / sqrt(biased var + eps) (two passes, double sums) into mean[r], rstd[r];
    // y = (x - mean) * rstd * w + b.
    void (*ln_forward)(T* y, double* mean, double* rstd, const T* x, const T* w, const T* b,
                       int64_t rows, int64_t N, double eps);
    // g = dy * w, xh = (x - mean) * rstd:  dx = rstd * (g - mean(g) - xh * mean(g * xh))
    // (dx null: skipped); dw[j] += sum over the rows of dy * xh, db[j] += sum of dy (double
    // accumulators, each null when not wanted).
    void (*ln_backward)(T* dx, double* dw, double* db, const T* x, const T* dy, const T* w,
                        const double* mean, const double* rstd, int64_t rows, int64_t N);
    // batch_norm, one contiguous segment of n values of a channel (double lane sums, added
    // to the accumulators): s[0] += sum(x - shift), s[1] += sum((x - shift)^2).
    void (*bn_stats)(double* s, const T* x, int64_t n, double shift);
    // s[0] += sum(g), s[1] += sum(g * (x - mu)).
    void (*bn_grad_stats)(double* s, const T* x, const T* g, int64_t n, double mu);
    // y = (x - m) * a + c.
    void (*bn_affine)(T* y, const T* x, int64_t n, T m, T a, T c);
    // dx = k * (g - mg - (x - m) * s * mgx).
    void (*bn_dx)(T* dx, const T* x, const T* g, int64_t n, T m, T s, T k, T mg, T mgx);
};

struct NormKernels {
    NormKernel<float> s;
    NormKernel<double> d;
};

// Fill *out and return true, or return false when this build has no code for the level:
// one getter per level of chainrule/cpu_levels.def, each defined in that level's unit.
#define CR_CPU_LEVEL(Enum, name, ...) bool norm_kernels_##name(NormKernels* out);
#include "chainrule/cpu_levels.def"

}  // namespace chainrule::kernels
