// The strided reduction engine of the reduce family (ops/reduce.cpp, ops/softmax.cpp),
// driven by small "Op" structs (sum, mean, norms, max/min with or without indices). Not a
// public header.
#pragma once
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "../baseline/loops.h"
#include "../dispatch.h"
#include "chainrule/parallel.h"
#include "chainrule/tensor.h"

namespace chainrule::detail {

// x's dims split into kept (output) and reduced ones for a reduction over `mask`.
struct ReducePlan {
    Shape keep_shape;      // output shape with reduced dims kept as 1
    Shape red_shape;       // sizes of reduced dims
    Strides red_strides;   // x's strides of reduced dims
    Strides kept_strides;  // x's strides at keep_shape (0 on reduced dims)
    int64_t red_numel = 1;
};

ReducePlan plan_reduce(const Tensor& x, const std::vector<bool>& mask);
Shape squeeze_dims(const Shape& keep_shape, const std::vector<bool>& mask);

// Contiguous runs longer than this are reduced in fixed blocks whose partial results are
// merged in order, so the bits never depend on the thread count.
constexpr int64_t kReduceBlock = 8192;

// An Op provides:
//   using Acc; Acc init() const; void step(Acc&, T v, int64_t r) const  (r: reduced index)
//   void merge(Acc& a, const Acc& later) const; void write(int64_t out_index, const Acc&) const
// and optionally run(Acc&, const T* v, int64_t stride, int64_t n, int64_t r0) for speed, and
// (with kHasCols) cols(Acc* acc, const T* x, int64_t rows, int64_t ld, int64_t n): acc[j] +=
// the column sums of a (rows, n) block at row stride ld, when cols_ok().
template <class Derived, class T>
struct OpBase {
    static constexpr bool kHasCols = false;
    bool cols_ok() const { return false; }
    template <class Acc>
    void run(Acc& a, const T* v, int64_t stride, int64_t n, int64_t r0) const {
        const Derived& d = static_cast<const Derived&>(*this);
        for (int64_t i = 0; i < n; ++i) d.step(a, v[i * stride], r0 + i);
    }
};

// Reduces x (element type T) over plan p, calling op.write(o, acc) for each output o in
// row-major order of p.keep_shape. Three paths: contiguous reduced run (per output, or
// blocked and parallel when outputs are few), contiguous kept run (column accumulators,
// e.g. bias gradients: sum over dim 0), and a generic strided one.
template <class T, class Op>
void reduce_kernel(const Tensor& x, const ReducePlan& p, const Op& op) {
    using Acc = typename Op::Acc;
    const int64_t n_out = numel_of(p.keep_shape);
    const int64_t R = p.red_numel;
    if (n_out == 0) return;
    const T* base = x.data<T>();
    const auto kplan = kernels::make_plan<1>(p.keep_shape, {&p.kept_strides});
    const auto rplan = kernels::make_plan<1>(p.red_shape, {&p.red_strides});
    const std::array<int64_t, 1> esz{static_cast<int64_t>(sizeof(T))};
    auto out_ptr = [&](int64_t o) {  // x's first element for output o
        const T* q = base;
        kernels::loop_range<1>(kplan, {reinterpret_cast<char*>(const_cast<T*>(base))}, esz, o,
                               o + 1, [&](const std::array<char*, 1>& ptr, auto&, int64_t) {
                                   q = reinterpret_cast<const T*>(ptr[0]);
                               });
        return q;
    };
    const bool red_contig = R <= 1 || (rplan.ndim == 1 && rplan.strides[0][0] == 1);
    if (red_contig) {
        const int64_t nblocks = std::max<int64_t>(1, (R + kReduceBlock - 1) / kReduceBlock);
        auto reduce_run = [&](const T* v, Acc& acc) {
            for (int64_t b = 0; b < nblocks; ++b) {
                const int64_t r0 = b * kReduceBlock, n = std::min(R - r0, kReduceBlock);
                if (b == 0) {
                    op.run(acc, v, 1, n, 0);
                } else {
                    Acc part = op.init();
                    op.run(part, v + r0, 1, n, r0);
                    op.merge(acc, part);
                }
            }
        };
        if (n_out < 4 && nblocks > 1) {  // few long runs: parallel over blocks, merge in order
            for (int64_t o = 0; o < n_out; ++o) {
                const T* v = out_ptr(o);
                std::vector<Acc> parts(static_cast<size_t>(nblocks), op.init());
                parallel_for(0, nblocks, 4, [&](int64_t b0, int64_t b1) {
                    for (int64_t b = b0; b < b1; ++b) {
                        const int64_t r0 = b * kReduceBlock, n = std::min(R - r0, kReduceBlock);
                        op.run(parts[b], v + r0, 1, n, r0);
                    }
                });
                for (int64_t b = 1; b < nblocks; ++b) op.merge(parts[0], parts[b]);
                op.write(o, parts[0]);
            }
            return;
        }
        parallel_for(0, n_out, std::max<int64_t>(1, kGrain / std::max<int64_t>(R, 1)),
                     [&](int64_t b, int64_t e) {
                         int64_t o = b;
                         kernels::loop_range<1>(
                             kplan, {reinterpret_cast<char*>(const_cast<T*>(base))}, esz, b, e,
                             [&](const std::array<char*, 1>& ptr, const std::array<int64_t, 1>& s,
                                 int64_t n) {
                                 for (int64_t i = 0; i < n; ++i, ++o) {
                                     Acc acc = op.init();
                                     if (R > 0)
                                         reduce_run(reinterpret_cast<const T*>(ptr[0]) + i * s[0],
                                                    acc);
                                     op.write(o, acc);
                                 }
                             });
                     });
        return;
    }
    const int64_t C = kplan.strides[0][0] == 1 ? kplan.sizes[0] : 1;
    if (C >= 8) {
        // Column accumulators over a contiguous kept run of C outputs, in chunks of kCols.
        constexpr int64_t kCols = 256;
        const int64_t rows = n_out / C, chunks = (C + kCols - 1) / kCols;
        if constexpr (Op::kHasCols) {
            // Few column chunks over many reduced rows (the bias gradient of a Linear on a big
            // batch: sum over dim 0 of (N, 64)): the rows split into fixed blocks of
            // kColRowBlock, each summed on its own and the blocks merged in order, so threads
            // help and the bits do not depend on their number.
            constexpr int64_t kColRowBlock = 4096;
            if (op.cols_ok() && rplan.ndim == 1 && R > kColRowBlock && rows * chunks < 8) {
                const int64_t nb = (R + kColRowBlock - 1) / kColRowBlock;
                const int64_t ld = rplan.strides[0][0], tasks = rows * chunks;
                std::vector<Acc> parts(static_cast<size_t>(tasks * nb * kCols));
                parallel_for(0, tasks * nb, 1, [&](int64_t b, int64_t e) {
                    for (int64_t u = b; u < e; ++u) {
                        const int64_t t = u / nb, blk = u % nb;
                        const int64_t row = t / chunks, c0 = (t % chunks) * kCols;
                        const int64_t nc = std::min(kCols, C - c0);
                        const int64_t r0 = blk * kColRowBlock;
                        Acc* acc = parts.data() + u * kCols;
                        for (int64_t j = 0; j < nc; ++j) acc[j] = op.init();
                        op.cols(acc, out_ptr(row * C) + c0 + r0 * ld,
                                std::min(kColRowBlock, R - r0), ld, nc);
                    }
                });
                for (int64_t t = 0; t < tasks; ++t) {
                    const int64_t row = t / chunks, c0 = (t % chunks) * kCols;
                    const int64_t nc = std::min(kCols, C - c0);
                    Acc* first = parts.data() + t * nb * kCols;
                    for (int64_t blk = 1; blk < nb; ++blk) {
                        const Acc* later = first + blk * kCols;
                        for (int64_t j = 0; j < nc; ++j) op.merge(first[j], later[j]);
                    }
                    for (int64_t j = 0; j < nc; ++j) op.write(row * C + c0 + j, first[j]);
                }
                return;
            }
        }
        parallel_for(
            0, rows * chunks, std::max<int64_t>(1, kGrain / (R * std::min(C, kCols))),
            [&](int64_t b, int64_t e) {
                Acc acc[kCols];
                for (int64_t t = b; t < e; ++t) {
                    const int64_t row = t / chunks, c0 = (t % chunks) * kCols;
                    const int64_t nc = std::min(kCols, C - c0);
                    const T* rowp = out_ptr(row * C) + c0;
                    for (int64_t j = 0; j < nc; ++j) acc[j] = op.init();
                    if constexpr (Op::kHasCols) {
                        if (op.cols_ok()) {  // the level's column kernel, one call per run of rows
                            kernels::loop_range<1>(
                                rplan, {reinterpret_cast<char*>(const_cast<T*>(rowp))}, esz, 0, R,
                                [&](const std::array<char*, 1>& ptr,
                                    const std::array<int64_t, 1>& s, int64_t n) {
                                    op.cols(acc, reinterpret_cast<const T*>(ptr[0]), n, s[0], nc);
                                });
                            for (int64_t j = 0; j < nc; ++j) op.write(row * C + c0 + j, acc[j]);
                            continue;
                        }
                    }
                    int64_t r = 0;
                    kernels::loop_range<1>(
                        rplan, {reinterpret_cast<char*>(const_cast<T*>(rowp))}, esz, 0, R,
                        [&](const std::array<char*, 1>& ptr, const std::array<int64_t, 1>& s,
                            int64_t n) {
                            for (int64_t i = 0; i < n; ++i, ++r) {
                                const T* q = reinterpret_cast<const T*>(ptr[0]) + i * s[0];
                                for (int64_t j = 0; j < nc; ++j) op.step(acc[j], q[j], r);
                            }
                        });
                    for (int64_t j = 0; j < nc; ++j) op.write(row * C + c0 + j, acc[j]);
                }
            });
        return;
    }
    parallel_for(0, n_out, std::max<int64_t>(1, kGrain / std::max<int64_t>(R, 1)),
                 [&](int64_t b, int64_t e) {
                     for (int64_t o = b; o < e; ++o) {
                         Acc acc = op.init();
                         int64_t r = 0;
                         kernels::loop_range<1>(
                             rplan, {reinterpret_cast<char*>(const_cast<T*>(out_ptr(o)))}, esz, 0,
                             R,
                             [&](const std::array<char*, 1>& ptr, const std::array<int64_t, 1>& s,
                                 int64_t n) {
                                 op.run(acc, reinterpret_cast<const T*>(ptr[0]), s[0], n, r);
                                 r += n;
                             });
                         op.write(o, acc);
                     }
                 });
}

// -inf for floats, the lowest value otherwise (identity of max).
template <class T>
constexpr T lowest_of() {
    if constexpr (std::numeric_limits<T>::has_infinity) return -std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::lowest();
}
template <class T>
constexpr T highest_of() {
    if constexpr (std::numeric_limits<T>::has_infinity) return std::numeric_limits<T>::infinity();
    return std::numeric_limits<T>::max();
}
template <class T>
inline bool is_nan_v(T v) {
    if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
    return false;
}

}  // namespace chainrule::detail
