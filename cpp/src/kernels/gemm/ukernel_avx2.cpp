// AVX2+FMA GEMM kernels (compiled with -mavx2 -mfma): float 6x16 and double 6x8 register
// tiles (12 ymm accumulators). Internal linkage only; the one exported symbol is
// gemm_kernels_avx2.
#include "gemm_kernels.h"

#if defined(__AVX2__) && (defined(__FMA__) || defined(_MSC_VER))
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
    // r[i] = row i of an 8 x 8 block -> r[j] = column j.
    static void transpose(reg* r) {
        __m256 t[8], u[8];
        for (int i = 0; i < 8; i += 2) {
            t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
            t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
        }
        for (int g = 0; g < 8; g += 4) {  // u[g + m]: column m (and m + 4) of rows g..g+3
            u[g] = _mm256_shuffle_ps(t[g], t[g + 2], 0x44);
            u[g + 1] = _mm256_shuffle_ps(t[g], t[g + 2], 0xEE);
            u[g + 2] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0x44);
            u[g + 3] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
        }
        for (int m = 0; m < 4; ++m) {
            r[m] = _mm256_permute2f128_ps(u[m], u[4 + m], 0x20);
            r[4 + m] = _mm256_permute2f128_ps(u[m], u[4 + m], 0x31);
        }
    }
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
    // r[i] = row i of a 4 x 4 block -> r[j] = column j.
    static void transpose(reg* r) {
        const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]);  // a0 b0 | a2 b2
        const __m256d t1 = _mm256_unpackhi_pd(r[0], r[1]);  // a1 b1 | a3 b3
        const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]);
        const __m256d t3 = _mm256_unpackhi_pd(r[2], r[3]);
        r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
        r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
        r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
        r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
    }
};

}  // namespace

bool gemm_kernels_avx2(GemmKernels* out) {
    fill<F32x8, 6, 2, 6, 2>(&out->s);
    fill<F64x4, 6, 2, 6, 2>(&out->d);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool gemm_kernels_avx2(GemmKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
