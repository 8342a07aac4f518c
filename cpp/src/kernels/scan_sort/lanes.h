// The lane loops of the scan_sort family (ops/scan_sort.cpp): running sums and sorts along
// each (outer, n, inner) lane of a contiguous buffer, lanes in parallel (one lane per task).
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "chainrule/parallel.h"

namespace chainrule::kernels {

// Lane sizes: lane (a, j) holds elements (a * n + i) * inner + j, i < n.
struct Lanes {
    int64_t outer = 1, n = 1, inner = 1;
};

// Running sums of each lane of xp into yp (backwards along the lane when reverse).
template <class T>
void scan_lanes(const T* xp, T* yp, int64_t outer, int64_t n, int64_t inner, bool reverse) {
    const Lanes l{outer, n, inner};
    parallel_for(0, l.outer * l.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(l.n, 1)),
                 [&](int64_t b, int64_t e) {
                     for (int64_t lane = b; lane < e; ++lane) {
                         const int64_t a = lane / l.inner, j = lane % l.inner;
                         const int64_t base = a * l.n * l.inner + j;
                         T acc = 0;
                         for (int64_t k = 0; k < l.n; ++k) {
                             const int64_t i = reverse ? l.n - 1 - k : k;
                             acc += xp[base + i * l.inner];
                             yp[base + i * l.inner] = acc;
                         }
                     }
                 });
}

// Sorted positions of each lane. NaN counts as the largest value (PyTorch's order).
template <class T>
void sort_lanes(const T* xp, T* vp, int64_t* ip, int64_t outer, int64_t n, int64_t inner,
                bool descending, int64_t k, bool partial) {
    const Lanes l{outer, n, inner};
    parallel_for(0, l.outer * l.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(l.n, 1)),
                 [&](int64_t b, int64_t e) {
                     std::vector<int64_t> order(static_cast<size_t>(l.n));
                     for (int64_t lane = b; lane < e; ++lane) {
                         const int64_t a = lane / l.inner, j = lane % l.inner;
                         const T* src = xp + a * l.n * l.inner + j;
                         auto at = [&](int64_t i) { return src[i * l.inner]; };
                         auto is_nan = [](T v) { return v != v; };
                         auto less = [&](int64_t p, int64_t q) {
                             const T u = at(p), w = at(q);
                             return !is_nan(u) && (is_nan(w) || u < w);
                         };
                         auto greater = [&](int64_t p, int64_t q) {
                             const T u = at(p), w = at(q);
                             return (is_nan(u) && !is_nan(w)) || u > w;
                         };
                         std::iota(order.begin(), order.end(), int64_t{0});
                         if (partial) {
                             if (descending) {
                                 std::partial_sort(order.begin(), order.begin() + k, order.end(),
                                                   [&](int64_t p, int64_t q) {
                                                       return greater(p, q) ||
                                                              (!greater(q, p) && p < q);
                                                   });
                             } else {
                                 std::partial_sort(order.begin(), order.begin() + k, order.end(),
                                                   [&](int64_t p, int64_t q) {
                                                       return less(p, q) || (!less(q, p) && p < q);
                                                   });
                             }
                         } else if (descending) {
                             std::stable_sort(order.begin(), order.end(), greater);
                         } else {
                             std::stable_sort(order.begin(), order.end(), less);
                         }
                         const int64_t base = a * k * l.inner + j;
                         for (int64_t i = 0; i < k; ++i) {
                             vp[base + i * l.inner] = at(order[static_cast<size_t>(i)]);
                             ip[base + i * l.inner] = order[static_cast<size_t>(i)];
                         }
                     }
                 });
}

}  // namespace chainrule::kernels
