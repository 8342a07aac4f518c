// Strided N-operand iteration shared by elementwise and copy kernels. Operand 0 is the
// output; inputs carry broadcast strides (0 on broadcast dims). Dims are reordered
// innermost-first and merged where every operand is contiguous across them, so most calls
// reduce to one flat loop.
#pragma once
#include <array>
#include <cstdint>

#include "chainrule/errors.h"
#include "chainrule/parallel.h"
#include "chainrule/tensor.h"

namespace chainrule::kernels {

constexpr int kMaxDims = 25;

template <int N>
struct LoopPlan {
    int ndim = 0;  // after merging; dim 0 is innermost
    int64_t sizes[kMaxDims] = {};
    int64_t strides[N][kMaxDims] = {};  // elements
    int64_t numel = 1;
};

// Strides of t viewed at `shape` (t's shape must broadcast to it).
inline Strides broadcast_strides(const Tensor& t, const Shape& shape) {
    Strides out(shape.size(), 0);
    const size_t off = shape.size() - t.shape().size();
    for (size_t i = 0; i < t.shape().size(); ++i) {
        out[off + i] = t.shape()[i] == 1 ? 0 : t.strides()[i];
    }
    return out;
}

template <int N>
LoopPlan<N> make_plan(const Shape& shape, const std::array<const Strides*, N>& strides) {
    LoopPlan<N> p;
    CR_CHECK(shape.size() <= static_cast<size_t>(kMaxDims), ValueError,
             "chainrule supports tensors of at most ", kMaxDims, " dims; got ", shape.size());
    for (size_t i = shape.size(); i-- > 0;) {
        const int64_t size = shape[i];
        p.numel *= size;
        if (size == 1) continue;
        if (p.ndim > 0) {
            // Merge with the previous (inner) dim when every operand steps through both evenly.
            bool mergeable = true;
            const int d = p.ndim - 1;
            for (int k = 0; k < N; ++k) {
                if ((*strides[k])[i] != p.strides[k][d] * p.sizes[d]) {
                    mergeable = false;
                    break;
                }
            }
            if (mergeable) {
                p.sizes[d] *= size;
                continue;
            }
        }
        p.sizes[p.ndim] = size;
        for (int k = 0; k < N; ++k) p.strides[k][p.ndim] = (*strides[k])[i];
        ++p.ndim;
    }
    if (p.ndim == 0) {  // 0-d or all ones: one element
        p.ndim = 1;
        p.sizes[0] = p.numel;
        for (int k = 0; k < N; ++k) p.strides[k][0] = 0;
    }
    return p;
}

// Runs inner(ptrs, inner_strides, n) over linear elements [begin, end) of the plan, where
// ptrs[k] points at operand k's first element of a run of n along the innermost dim.
template <int N, class F>
void loop_range(const LoopPlan<N>& p, const std::array<char*, N>& base,
                const std::array<int64_t, N>& elem_size, int64_t begin, int64_t end,
                const F& inner) {
    int64_t idx[kMaxDims];
    int64_t rem = begin;
    std::array<char*, N> ptr = base;
    for (int d = 0; d < p.ndim; ++d) {
        idx[d] = rem % p.sizes[d];
        rem /= p.sizes[d];
        for (int k = 0; k < N; ++k) ptr[k] += idx[d] * p.strides[k][d] * elem_size[k];
    }
    std::array<int64_t, N> inner_strides;
    for (int k = 0; k < N; ++k) inner_strides[k] = p.strides[k][0];
    int64_t pos = begin;
    while (pos < end) {
        const int64_t n = std::min(p.sizes[0] - idx[0], end - pos);
        inner(ptr, inner_strides, n);
        pos += n;
        if (pos >= end) break;
        // Advance: the inner dim wrapped; carry into outer dims.
        for (int k = 0; k < N; ++k) ptr[k] -= idx[0] * p.strides[k][0] * elem_size[k];
        idx[0] = 0;
        for (int d = 1; d < p.ndim; ++d) {
            ++idx[d];
            for (int k = 0; k < N; ++k) ptr[k] += p.strides[k][d] * elem_size[k];
            if (idx[d] < p.sizes[d]) break;
            for (int k = 0; k < N; ++k) ptr[k] -= idx[d] * p.strides[k][d] * elem_size[k];
            idx[d] = 0;
        }
    }
}

// Plans and runs `inner` over all elements of out's shape, in parallel above `grain`.
template <int N, class F>
void for_each(const Shape& shape, const std::array<const Strides*, N>& strides,
              const std::array<char*, N>& base, const std::array<int64_t, N>& elem_size,
              int64_t grain, const F& inner) {
    const LoopPlan<N> p = make_plan<N>(shape, strides);
    if (p.numel == 0) return;
    parallel_for(0, p.numel, grain,
                 [&](int64_t b, int64_t e) { loop_range<N>(p, base, elem_size, b, e, inner); });
}

}  // namespace chainrule::kernels
