// AVX-512 GEMM kernels (compiled with -mavx512f -mavx512bw -mavx512vl -mavx2 -mfma): float
// 14x32 and double 14x16 register tiles (28 zmm accumulators). Internal linkage only; the one
// exported symbol is gemm_kernels_avx512.
#include "gemm_kernels.h"

#if defined(__AVX512F__) && (defined(__FMA__) || defined(_MSC_VER))
#include <immintrin.h>

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_pd() pass-through inside _mm512_unpacklo_pd.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

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
    // r[i] = row i of a 16 x 16 block -> r[j] = column j.
    static void transpose(reg* r) {
        __m512 t[16], u[16];
        for (int i = 0; i < 16; i += 2) {
            t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 per 128-bit lane
            t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3
        }
        for (int g = 0; g < 16; g += 4) {  // rows g..g+3: u[g+m] holds column m of each lane
            const __m512d t0 = _mm512_castps_pd(t[g]), t1 = _mm512_castps_pd(t[g + 1]);
            const __m512d t2 = _mm512_castps_pd(t[g + 2]), t3 = _mm512_castps_pd(t[g + 3]);
            u[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
            u[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
            u[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
            u[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
        }
        for (int m = 0; m < 4; ++m) {  // column 4q + m sits in 128-bit lane q of u[4g + m]
            const __m512 v0 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x88);
            const __m512 v1 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xDD);
            const __m512 v2 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x88);
            const __m512 v3 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xDD);
            r[m] = _mm512_shuffle_f32x4(v0, v2, 0x88);
            r[8 + m] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
            r[4 + m] = _mm512_shuffle_f32x4(v1, v3, 0x88);
            r[12 + m] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
        }
    }
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
    // r[i] = row i of an 8 x 8 block -> r[j] = column j.
    static void transpose(reg* r) {
        __m512d t[8];
        for (int i = 0; i < 8; i += 2) {
            t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);      // a0 b0 | a2 b2 | a4 b4 | a6 b6
            t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);  // a1 b1 | a3 b3 | a5 b5 | a7 b7
        }
        for (int m = 0; m < 2; ++m) {  // even (m = 0) and odd (m = 1) columns
            const __m512d v0 = _mm512_shuffle_f64x2(t[m], t[2 + m], 0x88);
            const __m512d v1 = _mm512_shuffle_f64x2(t[m], t[2 + m], 0xDD);
            const __m512d v2 = _mm512_shuffle_f64x2(t[4 + m], t[6 + m], 0x88);
            const __m512d v3 = _mm512_shuffle_f64x2(t[4 + m], t[6 + m], 0xDD);
            r[m] = _mm512_shuffle_f64x2(v0, v2, 0x88);
            r[4 + m] = _mm512_shuffle_f64x2(v0, v2, 0xDD);
            r[2 + m] = _mm512_shuffle_f64x2(v1, v3, 0x88);
            r[6 + m] = _mm512_shuffle_f64x2(v1, v3, 0xDD);
        }
    }
};

}  // namespace

bool gemm_kernels_avx512(GemmKernels* out) {
    fill<F32x16, 14, 2, 8, 3>(&out->s);
    fill<F64x8, 14, 2, 4, 4>(&out->d);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool gemm_kernels_avx512(GemmKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
