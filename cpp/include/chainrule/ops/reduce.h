// Reductions over dims (empty dims = all). softmax, log_softmax and logsumexp: softmax.h.
#pragma once
#include <optional>
#include <utility>
#include <vector>

#include "chainrule/tensor.h"

namespace chainrule {

using Dims = std::vector<int64_t>;

Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false,
           std::optional<DType> dtype = std::nullopt);
Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor var(const Tensor& x, const Dims& dims = {}, double correction = 1.0, bool keepdim = false);
Tensor std(const Tensor& x, const Dims& dims = {}, double correction = 1.0, bool keepdim = false);
Tensor amax(const Tensor& x, const Dims& dims = {}, bool keepdim = false);  // ties split grad
Tensor amin(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
Tensor max_all(const Tensor& x);  // 0-d; gradient split evenly among ties
Tensor min_all(const Tensor& x);
// (values, indices); the gradient flows to the returned index only.
std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min_dim(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor norm(const Tensor& x, double p = 2.0, const Dims& dims = {}, bool keepdim = false);

// (var, mean) and (std, mean) over dims (empty = all), one node for both outputs.
std::pair<Tensor, Tensor> var_mean(const Tensor& x, const std::vector<int64_t>& dims = {},
                                   double correction = 1.0, bool keepdim = false);
std::pair<Tensor, Tensor> std_mean(const Tensor& x, const std::vector<int64_t>& dims = {},
                                   double correction = 1.0, bool keepdim = false);

// Sums `x` down to `shape` (undoes broadcasting); the engine's one place for it.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace chainrule
