// Scans and sorting along one dim: cumsum, sort, argsort, topk.
#pragma once
#include <optional>
#include <utility>

#include "chainrule/tensor.h"

namespace chainrule {

Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
// (values, indices); NaN sorts as the largest value; ties keep their order (stable).
std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);
std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true,
                               bool sorted = true);

}  // namespace chainrule
