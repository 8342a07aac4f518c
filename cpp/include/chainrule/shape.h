// Shapes, strides and the broadcasting rules shared by every op.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "chainrule/small_vector.h"

namespace chainrule {

using Shape = SmallVector<int64_t, 6>;
using Strides = SmallVector<int64_t, 6>;  // in elements, not bytes

int64_t numel_of(const Shape& s);
Strides contiguous_strides(const Shape& s);
std::string shape_str(const Shape& s);  // "(2, 3)"

// NumPy broadcasting of two shapes; throws ValueError naming `op` when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Normalises a possibly negative dim against ndim; throws IndexError naming `op`.
// A 0-d tensor accepts dims -1 and 0, as in PyTorch.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);

// Bitmask of reduced dims from a list (empty list = all dims), with duplicates rejected.
std::vector<bool> dim_mask(const std::vector<int64_t>& dims, int64_t ndim, const char* op);

}  // namespace chainrule
