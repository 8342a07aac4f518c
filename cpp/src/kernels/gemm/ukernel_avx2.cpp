// AVX2+FMA GEMM kernels (compiled with -mavx2 -mfma): float 6x16 and double 6x8 register
// tiles (12 ymm accumulators). Internal linkage only; the one exported symbol is
// gemm_kernels_avx2.
#include "gemm_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "gemm_impl.h"

namespace chainrule::kernels {
namespace {

// Lane masks for the tails: lanes [0, n) set.
__m256i mask32(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
__m256i mask64(int64_t n) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
}

struct F32x8 {
    using T = float;
    using reg = __m256;
    static constexpr int64_t L = 8;
    static reg zero() { return _mm256_setzero_ps(); }
    static reg set1(T x) { return _mm256_set1_ps(x); }
    static reg load(const T* p) { return _mm256_load_ps(p); }
    static reg loadu(const T* p) { return _mm256_loadu_ps(p); }
    static void storeu(T* p, reg v) { _mm256_storeu_ps(p, v); }
    static reg fmadd(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
    static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
    static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
    static reg loadn(const T* p, int64_t n) { return _mm256_maskload_ps(p, mask32(n)); }
    static void storen(T* p, reg v, int64_t n) { _mm256_maskstore_ps(p, mask32(n), v); }
};

struct F64x4 {
    using T = double;
    using reg = __m256d;
    static constexpr int64_t L = 4;
    static reg zero() { return _mm256_setzero_pd(); }
    static reg set1(T x) { return _mm256_set1_pd(x); }
    static reg load(const T* p) { return _mm256_load_pd(p); }
    static reg loadu(const T* p) { return _mm256_loadu_pd(p); }
    static void storeu(T* p, reg v) { _mm256_storeu_pd(p, v); }
    static reg fmadd(reg a, reg b, reg c) { return _mm256_fmadd_pd(a, b, c); }
    static reg mul(reg a, reg b) { return _mm256_mul_pd(a, b); }
    static reg add(reg a, reg b) { return _mm256_add_pd(a, b); }
    static reg loadn(const T* p, int64_t n) { return _mm256_maskload_pd(p, mask64(n)); }
    static void storen(T* p, reg v, int64_t n) { _mm256_maskstore_pd(p, mask64(n), v); }
};

}  // namespace

bool gemm_kernels_avx2(GemmKernels* out) {
    fill<F32x8, 6, 2, 4, 2>(&out->s);
    fill<F64x4, 6, 2, 4, 2>(&out->d);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool gemm_kernels_avx2(GemmKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
