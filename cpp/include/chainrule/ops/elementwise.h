// Pointwise ops with broadcasting and PyTorch type promotion: arithmetic (and its in-place
// forms, defined beside their twins), unary math, comparisons and predicates, rounding
// division and bitwise ops, dtype conversions and copies. Other in-place ops: inplace.h.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "chainrule/tensor.h"

namespace chainrule {

// ---- binary arithmetic (a, b broadcast; Python numbers come as wrapped_scalar tensors)
Tensor add(const Tensor& a, const Tensor& b, double alpha = 1.0);
Tensor sub(const Tensor& a, const Tensor& b, double alpha = 1.0);
// add/sub's alpha as PyTorch checks it from its Python type: a float alpha needs a floating
// result, a bool alpha a bool one. `result` is the dtype the op writes (self's for add_).
void check_alpha(DType result, bool alpha_is_float, bool alpha_is_bool, const char* op);
// The dtype add(a, b) / sub(a, b) computes in (PyTorch's promotion with wrapped scalars).
DType arith_result_type(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);  // true division: ints give float32
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);  // ties split the gradient
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// ---- comparisons (bool results, not differentiable)
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);

// ---- unary
Tensor neg(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);  // NOTE: relu'(0) = 0, as in PyTorch
Tensor sign(const Tensor& x);  // zero gradient
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
// clamp_min, clamp_max and positive are defined in inplace_unary.cpp (beside clamp_min_ and
// clamp_max_) until that file's owner moves them to elementwise_unary.cpp.
Tensor clamp_min(const Tensor& x, double min);
Tensor clamp_max(const Tensor& x, double max);
Tensor positive(const Tensor& x);  // +x: x itself (bool rejected, as in PyTorch)

// ---- dtype and copies
Tensor to_dtype(const Tensor& x, DType dtype);  // differentiable between float types
Tensor clone(const Tensor& x);                  // contiguous copy with history
Tensor contiguous(const Tensor& x);             // x itself when already contiguous

// ---- in-place arithmetic (bump the version counter; reject leaves that require grad)
Tensor& add_(Tensor& self, const Tensor& other, double alpha = 1.0);
Tensor& sub_(Tensor& self, const Tensor& other, double alpha = 1.0);
Tensor& mul_(Tensor& self, const Tensor& other);
Tensor& div_(Tensor& self, const Tensor& other);

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

}  // namespace chainrule
