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
        case 0:
            adam_loop<T, false, false, false>(p, g, m, v, vmax, n, c);
            break;
        case 1:
            adam_loop<T, false, false, true>(p, g, m, v, vmax, n, c);
            break;
        case 2:
            adam_loop<T, false, true, false>(p, g, m, v, vmax, n, c);
            break;
        case 3:
            adam_loop<T, false, true, true>(p, g, m, v, vmax, n, c);
            break;
        case 4:
            adam_loop<T, true, false, false>(p, g, m, v, vmax, n, c);
            break;
        case 5:
            adam_loop<T, true, false, true>(p, g, m, v, vmax, n, c);
            break;
        case 6:
            adam_loop<T, true, true, false>(p, g, m, v, vmax, n, c);
            break;
        default:
            adam_loop<T, true, true, true>(p, g, m, v, vmax, n, c);
            break;
    }
}

// g = sign grad (+ wd p); momentum: b = first ? g : mu b + (1 - dampening) g,
// g = nesterov ? g + mu b : b; p = p - lr g.   kMomentum: 0 none, 1 plain, 2 Nesterov.
template <class T, bool kL2, int kMomentum, bool kFirst>
void sgd_loop(T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t n,
              const SgdCoeffs<T>& c) {
    for (int64_t i = 0; i < n; ++i) {
        T gi = c.sign * g[i];
        if constexpr (kL2) gi = gi + c.weight_decay * p[i];
        if constexpr (kMomentum != 0) {
            T bi;
            if constexpr (kFirst) {
                bi = gi;
            } else {
                bi = buf[i] * c.momentum;
                bi = bi + c.one_minus_dampening * gi;
            }
            buf[i] = bi;
            gi = kMomentum == 2 ? gi + c.momentum * bi : bi;
        }
        p[i] = p[i] + c.neg_lr * gi;
    }
}

template <class T, bool kL2>
void sgd_l2(T* p, const T* g, T* buf, int64_t n, const SgdCoeffs<T>& c) {
    if (c.momentum_kind == 0) {
        sgd_loop<T, kL2, 0, false>(p, g, buf, n, c);
    } else if (c.momentum_kind == 1) {
        if (c.first) {
            sgd_loop<T, kL2, 1, true>(p, g, buf, n, c);
        } else {
            sgd_loop<T, kL2, 1, false>(p, g, buf, n, c);
        }
    } else {
        if (c.first) {
            sgd_loop<T, kL2, 2, true>(p, g, buf, n, c);
        } else {
            sgd_loop<T, kL2, 2, false>(p, g, buf, n, c);
        }
    }
}

template <class T>
void sgd(T* p, const T* g, T* buf, int64_t n, const SgdCoeffs<T>& c) {
    if (c.l2) {
        sgd_l2<T, true>(p, g, buf, n, c);
    } else {
        sgd_l2<T, false>(p, g, buf, n, c);
    }
}

// g = sign grad (+ wd p); s = alpha s + (1 - alpha) g g; centered: a = lerp(a, g, 1 - alpha),
// d = sqrt(s - a a) + eps, else d = sqrt(s) + eps; momentum: b = mu b + g / d, p = p - lr b;
// else p = p - lr g / d.
template <class T, bool kL2, bool kCentered, bool kMomentum, bool kSmall>
void rmsprop_loop(T* __restrict p, const T* __restrict g, T* __restrict sq, T* __restrict avg,
                  T* __restrict buf, int64_t n, const RmspropCoeffs<T>& c) {
    alignas(64) T root[kBlock];
    for (int64_t b = 0; b < n; b += kBlock) {
        const int64_t len = n - b < kBlock ? n - b : kBlock;
        T* pb = p + b;
        const T* gb = g + b;
        T* sb = sq + b;
        for (int64_t i = 0; i < len; ++i) {
            T gi = c.sign * gb[i];
            if constexpr (kL2) gi = gi + c.weight_decay * pb[i];
            T si = sb[i] * c.alpha;
            si = si + c.one_minus_alpha * gi * gi;
            sb[i] = si;
            if constexpr (kCentered) {
                const T a0 = avg[b + i];
                const T ai = (kSmall ? a0 : gi) + c.lerp_coeff * (gi - a0);
                avg[b + i] = ai;
                si = si + -ai * ai;
            }
            root[i] = si;
        }
        sqrt_block(root, len);
        for (int64_t i = 0; i < len; ++i) {
            T gi = c.sign * gb[i];
            if constexpr (kL2) gi = gi + c.weight_decay * pb[i];
            const T d = root[i] + c.eps;
            if constexpr (kMomentum) {
                T bi = buf[b + i] * c.momentum;
                bi = bi + gi / d;
                buf[b + i] = bi;
                pb[i] = pb[i] + c.neg_lr * bi;
            } else {
                pb[i] = pb[i] + c.neg_lr * gi / d;
            }
        }
    }
}

template <class T, bool kL2, bool kCentered>
void rmsprop_lc(T* p, const T* g, T* sq, T* avg, T* buf, int64_t n, const RmspropCoeffs<T>& c) {
    const int f = (c.use_momentum ? 2 : 0) | (c.lerp_small ? 1 : 0);
    switch (f) {
        case 0:
            rmsprop_loop<T, kL2, kCentered, false, false>(p, g, sq, avg, buf, n, c);
            break;
        case 1:
            rmsprop_loop<T, kL2, kCentered, false, true>(p, g, sq, avg, buf, n, c);
            break;
        case 2:
            rmsprop_loop<T, kL2, kCentered, true, false>(p, g, sq, avg, buf, n, c);
            break;
        default:
            rmsprop_loop<T, kL2, kCentered, true, true>(p, g, sq, avg, buf, n, c);
            break;
    }
}

template <class T>
void rmsprop(T* p, const T* g, T* sq, T* avg, T* buf, int64_t n, const RmspropCoeffs<T>& c) {
    if (c.l2) {
        if (c.centered) {
            rmsprop_lc<T, true, true>(p, g, sq, avg, buf, n, c);
        } else {
            rmsprop_lc<T, true, false>(p, g, sq, avg, buf, n, c);
        }
    } else {
        if (c.centered) {
            rmsprop_lc<T, false, true>(p, g, sq, avg, buf, n, c);
        } else {
            rmsprop_lc<T, false, false>(p, g, sq, avg, buf, n, c);
        }
    }
}

// g = sign grad (+ wd p); s = s + g g; p = p - clr g / (sqrt(s) + eps)
template <class T, bool kL2>
void adagrad_loop(T* __restrict p, const T* __restrict g, T* __restrict sum, int64_t n,
                  const AdagradCoeffs<T>& c) {
    alignas(64) T root[kBlock];
    for (int64_t b = 0; b < n; b += kBlock) {
        const int64_t len = n - b < kBlock ? n - b : kBlock;
        T* pb = p + b;
        const T* gb = g + b;
        T* sb = sum + b;
        for (int64_t i = 0; i < len; ++i) {
            T gi = c.sign * gb[i];
            if constexpr (kL2) gi = gi + c.weight_decay * pb[i];
            const T si = sb[i] + gi * gi;
            sb[i] = si;
            root[i] = si;
        }
        sqrt_block(root, len);
        for (int64_t i = 0; i < len; ++i) {
            T gi = c.sign * gb[i];
            if constexpr (kL2) gi = gi + c.weight_decay * pb[i];
            pb[i] = pb[i] + c.neg_clr * gi / (root[i] + c.eps);
        }
    }
}

template <class T>
void adagrad(T* p, const T* g, T* sum, int64_t n, const AdagradCoeffs<T>& c) {
    if (c.l2) {
        adagrad_loop<T, true>(p, g, sum, n, c);
    } else {
        adagrad_loop<T, false>(p, g, sum, n, c);
    }
}

template <class T>
void fill_optim_kernel(OptimKernel<T>* k) {
    k->adam = &adam<T>;
    k->sgd = &sgd<T>;
    k->rmsprop = &rmsprop<T>;
    k->adagrad = &adagrad<T>;
}

inline void fill_optim(OptimKernels* out) {
    fill_optim_kernel(&out->s);
    fill_optim_kernel(&out->d);
}

}  // namespace
}  // namespace chainrule::kernels
