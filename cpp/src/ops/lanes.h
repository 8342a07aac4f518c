// Private helpers of the along-one-dim op files (scan_sort.cpp, shape_select.cpp).
#pragma once
#include "chainrule/ops.h"

namespace chainrule::detail {

// A contiguous tensor seen as (outer, n, inner) lanes along dim `d`; a 0-d shape is one
// lane of one element.
struct Lanes {
    int64_t outer = 1, n = 1, inner = 1;
};
inline Lanes lanes_of(const Shape& shape, int64_t d) {
    Lanes l;
    if (shape.empty()) return l;
    for (int64_t i = 0; i < d; ++i) l.outer *= shape[i];
    l.n = shape[d];
    for (size_t i = static_cast<size_t>(d) + 1; i < shape.size(); ++i) l.inner *= shape[i];
    return l;
}

// out = zeros(shape); out[..., index[p], ...] = src[p] along dim `d` for every p in index's
// shape. index and src have `shape` except along d (sort, topk); index values are valid.
Tensor scatter_into_zeros(const Shape& shape, int64_t d, const Tensor& index, const Tensor& src);

}  // namespace chainrule::detail
