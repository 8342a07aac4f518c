// Ops that training scripts reach for beyond the core set: in-place unary math, random
// fills, predicates, rounding division, scans, sorting, selection and scatter.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chainrule/generator.h"
#include "chainrule/tensor.h"

namespace chainrule {

// ---- in-place unary math (same derivatives and node names as the out-of-place ops)
Tensor& exp_(Tensor& self);
Tensor& log_(Tensor& self);
Tensor& sqrt_(Tensor& self);
Tensor& neg_(Tensor& self);
Tensor& abs_(Tensor& self);
Tensor& relu_(Tensor& self);
Tensor& sigmoid_(Tensor& self);
Tensor& tanh_(Tensor& self);
Tensor& sin_(Tensor& self);
Tensor& cos_(Tensor& self);
Tensor& pow_(Tensor& self, const Tensor& exponent);
Tensor clamp_min(const Tensor& x, double min);
Tensor clamp_max(const Tensor& x, double max);
Tensor& clamp_min_(Tensor& self, double min);
Tensor& clamp_max_(Tensor& self, double max);
// Drops self's history in place (a leaf that does not require grad afterwards).
Tensor& detach_(Tensor& self);
Tensor positive(const Tensor& x);  // +x: x itself (bool rejected, as in PyTorch)

// ---- random fills (gen == nullptr: the default generator); zero gradient
Tensor& uniform_(Tensor& self, double from = 0.0, double to = 1.0, Generator* gen = nullptr);
Tensor& normal_(Tensor& self, double mean = 0.0, double std = 1.0, Generator* gen = nullptr);
Tensor& bernoulli_(Tensor& self, double p = 0.5, Generator* gen = nullptr);

// ---- predicates (bool results, no gradient)
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);
Tensor isfinite(const Tensor& x);
// dims empty: over every element (a 0-d result).
Tensor any(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor all(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-05, double atol = 1e-08,
               bool equal_nan = false);
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-05, double atol = 1e-08,
              bool equal_nan = false);
bool equal(const Tensor& a, const Tensor& b);  // same shape and the same values

// ---- rounding division and bitwise ops
Tensor floor_divide(const Tensor& a, const Tensor& b);  // floor(a / b); not differentiable
Tensor remainder(const Tensor& a, const Tensor& b);     // a - floor(a / b) * b (Python's %)
// rounding_mode: nullopt (true division), "trunc" or "floor".
Tensor div_rounding(const Tensor& a, const Tensor& b, const std::optional<std::string>& mode);
Tensor bitwise_not(const Tensor& x);  // ~ on int64 and bool
Tensor bitwise_and(const Tensor& a, const Tensor& b);
Tensor bitwise_or(const Tensor& a, const Tensor& b);
Tensor bitwise_xor(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);

// ---- scans and sorting
Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype = std::nullopt);
// (values, indices); NaN sorts as the largest value; ties keep their order (stable).
std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);
std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true,
                               bool sorted = true);

// ---- selection, scatter and small products
std::vector<Tensor> unbind(const Tensor& x, int64_t dim = 0);  // views, one UnbindBackward0
Tensor masked_select(const Tensor& x, const Tensor& mask);     // 1-D, row-major order
Tensor nonzero(const Tensor& x);                               // (n, ndim) int64
std::vector<Tensor> nonzero_tuple(const Tensor& x);            // ndim tensors of (n,)
Tensor repeat_interleave(const Tensor& x, int64_t repeats, std::optional<int64_t> dim);
Tensor repeat_interleave(const Tensor& x, const Tensor& repeats, std::optional<int64_t> dim);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, double value);
Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, double value);
Tensor dot(const Tensor& a, const Tensor& b);  // 1-D . 1-D -> 0-d
Tensor mv(const Tensor& a, const Tensor& v);   // (n, m) @ (m,) -> (n,)
// (var, mean) and (std, mean) over dims (empty = all), one node for both outputs.
std::pair<Tensor, Tensor> var_mean(const Tensor& x, const std::vector<int64_t>& dims = {},
                                   double correction = 1.0, bool keepdim = false);
std::pair<Tensor, Tensor> std_mean(const Tensor& x, const std::vector<int64_t>& dims = {},
                                   double correction = 1.0, bool keepdim = false);

}  // namespace chainrule
