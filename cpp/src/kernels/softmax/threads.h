// The thread split of softmax / log_softmax (ops/softmax.cpp) over the per-ISA row and column
// loops of kernels/softmax. Private to that file.
#pragma once
#include <algorithm>
#include <cstdint>

#include "../dispatch.h"
#include "chainrule/parallel.h"

namespace chainrule {
namespace {

// y, x: (outer, D, inner). The level's loops (kernels/softmax): rows of length D when the
// softmax dim is the last (inner == 1), else chunks of kSoftmaxCols columns at row stride
// `inner`. Threads split rows or chunks; each row's (column's) arithmetic never depends on the
// split.
template <class T>
void softmax_forward_kernel(T* y, const T* x, int64_t outer, int64_t D, int64_t inner, bool log) {
    const kernels::SoftmaxKernel<T>& k = kernels::for_dtype<T>(kernels::kernel_table().softmax);
    if (inner == 1) {
        parallel_for(
            0, outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(D, 1)),
            [&](int64_t b, int64_t e) { k.rows_forward(y + b * D, x + b * D, e - b, D, log); });
        return;
    }
    constexpr int64_t kCols = kernels::kSoftmaxCols;
    const int64_t chunks = (inner + kCols - 1) / kCols;
    parallel_for(0, outer * chunks, std::max<int64_t>(1, kGrain / std::max<int64_t>(D * kCols, 1)),
                 [&](int64_t b, int64_t e) {
                     for (int64_t t = b; t < e; ++t) {
                         const int64_t o = t / chunks, c0 = (t % chunks) * kCols;
                         const int64_t off = o * D * inner + c0;
                         k.cols_forward(y + off, x + off, D, inner, std::min(kCols, inner - c0),
                                        log);
                     }
                 });
}

// dx, y, dy: (outer, D, inner).
// softmax:     dx = y * (dy - sum_d(dy * y))
// log_softmax: dx = dy - exp(y) * sum_d(dy)
template <class T>
void softmax_backward_kernel(T* dx, const T* y, const T* dy, int64_t outer, int64_t D,
                             int64_t inner, bool log) {
    const kernels::SoftmaxKernel<T>& k = kernels::for_dtype<T>(kernels::kernel_table().softmax);
    if (inner == 1) {
        parallel_for(0, outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(D, 1)),
                     [&](int64_t b, int64_t e) {
                         k.rows_backward(dx + b * D, y + b * D, dy + b * D, e - b, D, log);
                     });
        return;
    }
    constexpr int64_t kCols = kernels::kSoftmaxCols;
    const int64_t chunks = (inner + kCols - 1) / kCols;
    parallel_for(0, outer * chunks, std::max<int64_t>(1, kGrain / std::max<int64_t>(D * kCols, 1)),
                 [&](int64_t b, int64_t e) {
                     for (int64_t t = b; t < e; ++t) {
                         const int64_t o = t / chunks, c0 = (t % chunks) * kCols;
                         const int64_t off = o * D * inner + c0;
                         k.cols_backward(dx + off, y + off, dy + off, D, inner,
                                         std::min(kCols, inner - c0), log);
                     }
                 });
}

}  // namespace
}  // namespace chainrule
