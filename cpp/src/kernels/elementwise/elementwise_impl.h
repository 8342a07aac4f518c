// The elementwise kernels, compiled once per ISA unit (elementwise_{baseline,avx2,avx512}.cpp)
// with that level's flags: plain loops over formulas.h that GCC vectorises to SSE2, AVX2 or
// AVX-512. Internal linkage only (unnamed namespace); each unit exports its table getter.
//
// Unary kernels run blocks of kBlock elements through one fixed-trip-count loop; the tail is
// copied into a zero-padded block and goes through the same loop. So every element is
// computed by the same vector instructions wherever it sits (no scalar epilogue whose
// contractions or rounding could differ), and splitting an array into chunks (threads)
// never changes a result.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "elementwise_kernels.h"
#include "formulas.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace chainrule::kernels {
namespace {
namespace ew_impl {

// One vector register's worth (16 floats under AVX-512, 8 under AVX2, 4 under SSE2): the long
// formulas (gelu, mish, softplus) need most registers for their constants, and two vectors in
// flight spill them to the stack; the out-of-order core overlaps consecutive blocks anyway.
#if defined(__AVX512F__)
constexpr int64_t kVectorBytes = 64;
#elif defined(__AVX__)
constexpr int64_t kVectorBytes = 32;
#else
constexpr int64_t kVectorBytes = 16;
#endif
template <class T>
constexpr int64_t kBlock = kVectorBytes / static_cast<int64_t>(sizeof(T));

// r[j] = sqrt(x[j]) with the vector instruction. std::sqrt in a loop does not vectorise:
// under the default -fmath-errno GCC keeps a libm call (for errno) on negative inputs.
CR_VEC_INLINE void sqrt_block(const float* x, float* r) {
#if defined(__AVX512F__)
    for (int64_t j = 0; j < kBlock<float>; j += 16) {
        _mm512_storeu_ps(r + j, _mm512_sqrt_ps(_mm512_loadu_ps(x + j)));
    }
#elif defined(__AVX__)
    for (int64_t j = 0; j < kBlock<float>; j += 8) {
        _mm256_storeu_ps(r + j, _mm256_sqrt_ps(_mm256_loadu_ps(x + j)));
    }
#elif defined(__SSE2__) || defined(_M_X64)
    for (int64_t j = 0; j < kBlock<float>; j += 4) {
        _mm_storeu_ps(r + j, _mm_sqrt_ps(_mm_loadu_ps(x + j)));
    }
#else
    for (int64_t j = 0; j < kBlock<float>; ++j) r[j] = std::sqrt(x[j]);
#endif
}
CR_VEC_INLINE void sqrt_block(const double* x, double* r) {
#if defined(__AVX512F__)
    for (int64_t j = 0; j < kBlock<double>; j += 8) {
        _mm512_storeu_pd(r + j, _mm512_sqrt_pd(_mm512_loadu_pd(x + j)));
    }
#elif defined(__AVX__)
    for (int64_t j = 0; j < kBlock<double>; j += 4) {
        _mm256_storeu_pd(r + j, _mm256_sqrt_pd(_mm256_loadu_pd(x + j)));
    }
#elif defined(__SSE2__) || defined(_M_X64)
    for (int64_t j = 0; j < kBlock<double>; j += 2) {
        _mm_storeu_pd(r + j, _mm_sqrt_pd(_mm_loadu_pd(x + j)));
    }
#else
    for (int64_t j = 0; j < kBlock<double>; ++j) r[j] = std::sqrt(x[j]);
#endif
}

// Ops whose forward is post(sqrt(x)) (formulas.h marks them with kSqrtFirst).
template <class F, class = void>
struct SqrtFirst : std::false_type {};
template <class F>
struct SqrtFirst<F, std::void_t<decltype(F::kSqrtFirst)>> : std::true_type {};

template <class T, class F>
CR_VEC_INLINE void fwd_block(const T* __restrict x, T* __restrict y, const F& f) {
    if constexpr (SqrtFirst<F>::value) {
        T r[kBlock<T>];
        sqrt_block(x, r);
        for (int64_t j = 0; j < kBlock<T>; ++j) y[j] = f.post(r[j]);
    } else {
        for (int64_t j = 0; j < kBlock<T>; ++j) y[j] = f.fwd(x[j]);
    }
}
template <class T, class F>
CR_VEC_INLINE void fwd_block_inplace(T* y, const F& f) {
    if constexpr (SqrtFirst<F>::value) {
        T r[kBlock<T>];
        sqrt_block(y, r);
        for (int64_t j = 0; j < kBlock<T>; ++j) y[j] = f.post(r[j]);
    } else {
        for (int64_t j = 0; j < kBlock<T>; ++j) y[j] = f.fwd(y[j]);
    }
}
template <class T, class F>
CR_VEC_INLINE void bwd_block(const T* __restrict dy, const T* __restrict s, T* __restrict dx,
                             const F& f) {
    for (int64_t j = 0; j < kBlock<T>; ++j) dx[j] = ew::derivative(f, dy[j], s[j]);
}

template <class T, class F>
void unary_kernel(const T* x, T* y, int64_t n, const UnaryParams& p) {
    const F f(p);
    constexpr int64_t B = kBlock<T>;
    int64_t i = 0;
    if (x == y) {
        for (; i + B <= n; i += B) fwd_block_inplace(y + i, f);
    } else {
        for (; i + B <= n; i += B) fwd_block(x + i, y + i, f);
    }
    if (i < n) {
        T xb[B] = {}, yb[B];
        std::memcpy(xb, x + i, static_cast<size_t>(n - i) * sizeof(T));
        fwd_block(xb, yb, f);
        std::memcpy(y + i, yb, static_cast<size_t>(n - i) * sizeof(T));
    }
}

template <class T, class F>
void unary_backward_kernel(const T* dy, const T* s, T* dx, int64_t n, const UnaryParams& p) {
    const F f(p);
    constexpr int64_t B = kBlock<T>;
    int64_t i = 0;
    for (; i + B <= n; i += B) bwd_block(dy + i, s + i, dx + i, f);
    if (i < n) {
        T gb[B] = {}, sb[B] = {}, db[B];
        std::memcpy(gb, dy + i, static_cast<size_t>(n - i) * sizeof(T));
        std::memcpy(sb, s + i, static_cast<size_t>(n - i) * sizeof(T));
        bwd_block(gb, sb, db, f);
        std::memcpy(dx + i, db, static_cast<size_t>(n - i) * sizeof(T));
    }
}

// Binary kernels: one operation per element, so plain loops (GCC versions them for aliasing;
// out == a runs the vector path too).
template <class T, class Op>
void binary_kernel(const T* a, const T* b, T* out, int64_t n, T alpha) {
    for (int64_t i = 0; i < n; ++i) out[i] = Op::apply(a[i], b[i], alpha);
}

template <class T, class Op, bool Swap>
void scalar_kernel(const T* a, T s, T* out, int64_t n, T alpha) {
    for (int64_t i = 0; i < n; ++i) {
        out[i] = Swap ? Op::apply(s, a[i], alpha) : Op::apply(a[i], s, alpha);
    }
}

template <class T, class Op, bool Swap>
void row_kernel(const T* a, const T* b, T* out, int64_t begin, int64_t end, int64_t cols, T alpha) {
    int64_t i = begin;
    while (i < end) {
        const int64_t c0 = i % cols;
        const int64_t len = std::min(cols - c0, end - i);
        const T* ar = a + i;
        const T* br = b + c0;
        T* o = out + i;
        for (int64_t j = 0; j < len; ++j) {
            o[j] = Swap ? Op::apply(br[j], ar[j], alpha) : Op::apply(ar[j], br[j], alpha);
        }
        i += len;
    }
}

template <class T, class Op, bool Swap>
void col_kernel(const T* a, const T* b, T* out, int64_t begin, int64_t end, int64_t cols, T alpha) {
    int64_t i = begin;
    while (i < end) {
        const int64_t r = i / cols;
        const int64_t len = std::min(cols - (i - r * cols), end - i);
        const T v = b[r];
        const T* ar = a + i;
        T* o = out + i;
        for (int64_t j = 0; j < len; ++j) {
            o[j] = Swap ? Op::apply(v, ar[j], alpha) : Op::apply(ar[j], v, alpha);
        }
        i += len;
    }
}

template <class T, class Op>
void fill_binary(ElementwiseKernel<T>& k, Binary op) {
    const int b = static_cast<int>(op);
    k.binary[b] = &binary_kernel<T, Op>;
    k.binary_scalar[b][0] = &scalar_kernel<T, Op, false>;
    k.binary_scalar[b][1] = &scalar_kernel<T, Op, true>;
    k.binary_row[b][0] = &row_kernel<T, Op, false>;
    k.binary_row[b][1] = &row_kernel<T, Op, true>;
    k.binary_col[b][0] = &col_kernel<T, Op, false>;
    k.binary_col[b][1] = &col_kernel<T, Op, true>;
}

template <class T>
void fill(ElementwiseKernel<T>& k) {
#define CR_ELEMENTWISE_FILL(Name)                                        \
    k.unary[static_cast<int>(Unary::Name)] = &unary_kernel<T, ew::Name>; \
    k.unary_backward[static_cast<int>(Unary::Name)] = &unary_backward_kernel<T, ew::Name>;
    CR_ELEMENTWISE_UNARY(CR_ELEMENTWISE_FILL)
#undef CR_ELEMENTWISE_FILL
    fill_binary<T, ew::AddOp>(k, Binary::Add);
    fill_binary<T, ew::SubOp>(k, Binary::Sub);
    fill_binary<T, ew::MulOp>(k, Binary::Mul);
    fill_binary<T, ew::DivOp>(k, Binary::Div);
}

bool fill_all(ElementwiseKernels* out) {
    fill(out->s);
    fill(out->d);
    return true;
}

}  // namespace ew_impl
}  // namespace
}  // namespace chainrule::kernels
