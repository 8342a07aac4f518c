// AVX-512 GEMM kernels (compiled with -mavx512f -mavx512bw -mavx512vl -mavx2 -mfma): float
// 14x32 and double 14x16 register tiles (28 zmm accumulators). Internal linkage only; the one
// exported symbol is gemm_kernels_avx512.
#include "gemm_kernels.h"

#if defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>

#include "gemm_impl.h"

namespace chainrule::kernels {
namespace {

struct F32x16 {
    using T = float;
    using reg = __m512;
    static constexpr int64_t L = 16;
    static reg zero() { return _mm512_setzero_ps(); }
    static reg set1(T x) { return _mm512_set1_ps(x); }
    static reg load(const T* p) { return _mm512_load_ps(p); }
    static reg loadu(const T* p) { return _mm512_loadu_ps(p); }
    static void storeu(T* p, reg v) { _mm512_storeu_ps(p, v); }
    static reg fmadd(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
    static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
    static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
    static __mmask16 mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
    static reg loadn(const T* p, int64_t n) { return _mm512_maskz_loadu_ps(mask(n), p); }
    static void storen(T* p, reg v, int64_t n) { _mm512_mask_storeu_ps(p, mask(n), v); }
};

struct F64x8 {
    using T = double;
    using reg = __m512d;
    static constexpr int64_t L = 8;
    static reg zero() { return _mm512_setzero_pd(); }
    static reg set1(T x) { return _mm512_set1_pd(x); }
    static reg load(const T* p) { return _mm512_load_pd(p); }
    static reg loadu(const T* p) { return _mm512_loadu_pd(p); }
    static void storeu(T* p, reg v) { _mm512_storeu_pd(p, v); }
    static reg fmadd(reg a, reg b, reg c) { return _mm512_fmadd_pd(a, b, c); }
    static reg mul(reg a, reg b) { return _mm512_mul_pd(a, b); }
    static reg add(reg a, reg b) { return _mm512_add_pd(a, b); }
    static __mmask8 mask(int64_t n) { return static_cast<__mmask8>((1u << n) - 1u); }
    static reg loadn(const T* p, int64_t n) { return _mm512_maskz_loadu_pd(mask(n), p); }
    static void storen(T* p, reg v, int64_t n) { _mm512_mask_storeu_pd(p, mask(n), v); }
};

}  // namespace

bool gemm_kernels_avx512(GemmKernels* out) {
    fill<F32x16, 14, 2, 4, 4>(&out->s);
    fill<F64x8, 14, 2, 4, 4>(&out->d);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool gemm_kernels_avx512(GemmKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
