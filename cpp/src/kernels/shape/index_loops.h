// The strided loops of indexing with index tensors (ops/shape_index.cpp): the gather of
// index / index_select / gather and the scatter (or scatter-add) of index_put_ and of their
// backwards. Private to that file.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "../baseline/loops.h"
#include "chainrule/parallel.h"
#include "chainrule/tensor.h"

namespace chainrule {
namespace {

constexpr int64_t kSerial = std::numeric_limits<int64_t>::max();  // grain: never split

// out[p] = src[src_off(p) + idx[p] * mult] over out's shape; src_strides and idx_strides are
// given at out's shape (0 where an operand does not move).
void gather_loop(const Tensor& out, const Tensor& src, const Strides& src_strides,
                 const Tensor& idx, const Strides& idx_strides, int64_t mult) {
    CR_DISPATCH_ALL(out.dtype(), "index", [&] {
        using T = scalar_t;
        kernels::for_each<3>(
            out.shape(), {&out.strides(), &src_strides, &idx_strides},
            {static_cast<char*>(out.raw_data()), static_cast<char*>(src.raw_data()),
             static_cast<char*>(idx.raw_data())},
            {sizeof(T), sizeof(T), sizeof(int64_t)}, kGrain,
            [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
                T* o = reinterpret_cast<T*>(p[0]);
                const T* x = reinterpret_cast<const T*>(p[1]);
                const int64_t* ix = reinterpret_cast<const int64_t*>(p[2]);
                if (s[0] == 1 && s[1] == 1 && s[2] == 0) {  // a contiguous row (embedding)
                    const T* row = x + ix[0] * mult;
                    std::copy(row, row + n, o);
                    return;
                }
                for (int64_t i = 0; i < n; ++i) o[i * s[0]] = x[i * s[1] + ix[i * s[2]] * mult];
            });
    });
}

// dst[dst_off(p) + idx[p] * mult] = (or +=) src[p] over `shape`, serially (indices may repeat).
void scatter_loop(const Tensor& dst, const Strides& dst_strides, const Tensor& src,
                  const Strides& src_strides, const Tensor& idx, const Strides& idx_strides,
                  int64_t mult, const Shape& shape, bool accumulate) {
    CR_DISPATCH_ALL(dst.dtype(), "index_put_", [&] {
        using T = scalar_t;
        kernels::for_each<3>(
            shape, {&dst_strides, &src_strides, &idx_strides},
            {static_cast<char*>(dst.raw_data()), static_cast<char*>(src.raw_data()),
             static_cast<char*>(idx.raw_data())},
            {sizeof(T), sizeof(T), sizeof(int64_t)}, kSerial,
            [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
                T* d = reinterpret_cast<T*>(p[0]);
                const T* v = reinterpret_cast<const T*>(p[1]);
                const int64_t* ix = reinterpret_cast<const int64_t*>(p[2]);
                for (int64_t i = 0; i < n; ++i) {
                    T& slot = d[i * s[0] + ix[i * s[2]] * mult];
                    slot = accumulate ? static_cast<T>(slot + v[i * s[1]]) : v[i * s[1]];
                }
            });
    });
}

}  // namespace
}  // namespace chainrule
