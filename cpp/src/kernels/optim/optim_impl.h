// The fused optimizer update loops, written once and included by each ISA unit (the unit's
// flags pick the vector square root). Everything is in an unnamed namespace: each unit gets
// its own internal-linkage copy (see check_isa_symbols.cmake).
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__AVX512F__)
#include <immintrin.h>
#define CR_OPTIM_SQRT_AVX512 1
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_p[sd]() pass-through inside _mm512_sqrt_p[sd].
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#elif defined(__AVX__)
#include <immintrin.h>
#define CR_OPTIM_SQRT_AVX 1
#elif defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define CR_OPTIM_SQRT_SSE2 1
#endif

#include "optim_kernels.h"

namespace chainrule::kernels {
namespace {

// Blocks of kBlock elements: a first loop updates the moments and leaves the value to take
// the root of in a stack buffer, sqrt_block takes the roots (std::sqrt in a loop does not
// vectorise: it may set errno), a second loop updates the parameter.
constexpr int64_t kBlock = 256;

inline void sqrt_block(float* x, int64_t n) {
    int64_t i = 0;
#if defined(CR_OPTIM_SQRT_AVX512)
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_sqrt_ps(_mm512_loadu_ps(x + i)));
#elif defined(CR_OPTIM_SQRT_AVX)
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#elif defined(CR_OPTIM_SQRT_SSE2)
    for (; i + 4 <= n; i += 4) _mm_storeu_ps(x + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#endif
    for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

inline void sqrt_block(double* x, int64_t n) {
    int64_t i = 0;
#if defined(CR_OPTIM_SQRT_AVX512)
    for (; i + 8 <= n; i += 8) _mm512_storeu_pd(x + i, _mm512_sqrt_pd(_mm512_loadu_pd(x + i)));
#elif defined(CR_OPTIM_SQRT_AVX)
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(x + i, _mm256_sqrt_pd(_mm256_loadu_pd(x + i)));
#elif defined(CR_OPTIM_SQRT_SSE2)
    for (; i + 2 <= n; i += 2) _mm_storeu_pd(x + i, _mm_sqrt_pd(_mm_loadu_pd(x + i)));
#endif
    for (; i < n; ++i) x[i] = std::sqrt(x[i]);
}

// torch.maximum: NaN wins.
template <class T>
inline T nan_max(T a, T b) {
    return (a > b || a != a) ? a : b;
}

// t += 1; g = sign grad (+ wd p); m = lerp(m, g, 1 - b1); v = b2 v + (1 - b2) g g;
// amsgrad: vmax = max(vmax, v); p = p decay - step_size m / (sqrt(vmax or v) / bc2 + eps)
template <class T, bool kL2, bool kAmsgrad, bool kSmall>
void adam_loop(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
               T* __restrict vmax, int64_t n, const AdamCoeffs<T>& c) {
    alignas(64) T root[kBlock];
    for (int64_t b = 0; b < n; b += kBlock) {
        const int64_t len = n - b < kBlock ? n - b : kBlock;
        T* pb = p + b;
        const T* gb = g + b;
        T* mb = m + b;
        T* vb = v + b;
        for (int64_t i = 0; i < len; ++i) {
            T gi = c.sign * gb[i];
            if constexpr (kL2) gi = gi + c.weight_decay * pb[i];
            mb[i] = (kSmall ? mb[i] : gi) + c.lerp_coeff * (gi - mb[i]);
            T vi = vb[i] * c.beta2;
            vi = vi + c.one_minus_beta2 * gi * gi;
            vb[i] = vi;
            if constexpr (kAmsgrad) {
                vi = nan_max(vmax[b + i], vi);
                vmax[b + i] = vi;
            }
            root[i] = vi;
        }
        sqrt_block(root, len);
        for (int64_t i = 0; i < len; ++i) {
            const T denom = root[i] / c.bias_correction2_sqrt + c.eps;
            pb[i] = pb[i] * c.decay + c.neg_step_size * mb[i] / denom;
        }
    }
}

template <class T>
void adam(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamCoeffs<T>& c) {
    const int f = (c.l2 ? 4 : 0) | (c.amsgrad ? 2 : 0) | (c.lerp_small ? 1 : 0);
    switch (f) {
        case 0: adam_loop<T, false, false, false>(p, g, m, v, vmax, n, c); break;
        case 1: adam_loop<T, false, false, true>(p, g, m, v, vmax, n, c); break;
        case 2: adam_loop<T, false, true, false>(p, g, m, v, vmax, n, c); break;
        case 3: adam_loop<T, false, true, true>(p, g, m, v, vmax, n, c); break;
        case 4: adam_loop<T, true, false, false>(p, g, m, v, vmax, n, c); break;
        case 5: adam_loop<T, true, false, true>(p, g, m, v, vmax, n, c); break;
        case 6: adam_loop<T, true, true, false>(p, g, m, v, vmax, n, c); break;
        default: adam_loop<T, true, true, true>(p, g, m, v, vmax, n, c); break;
    }
}

inline void fill_optim(OptimKernels* out) {
    out->adam_f32 = &adam<float>;
    out->adam_f64 = &adam<double>;
}

}  // namespace
}  // namespace chainrule::kernels
