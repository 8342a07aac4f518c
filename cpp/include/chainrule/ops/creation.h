// Factories and random draws.
#pragma once
#include <cstdint>
#include <optional>

#include "chainrule/generator.h"
#include "chainrule/tensor.h"

namespace chainrule {

Tensor zeros(const Shape& shape, DType dtype = kDefaultFloat);
Tensor ones(const Shape& shape, DType dtype = kDefaultFloat);
Tensor full(const Shape& shape, double value, DType dtype = kDefaultFloat);
Tensor arange(double start, double end, double step, DType dtype);
Tensor linspace(double start, double end, int64_t steps, DType dtype = kDefaultFloat);
Tensor eye(int64_t n, int64_t m, DType dtype = kDefaultFloat);
// gen == nullptr: the default generator (seeded by manual_seed).
Tensor rand(const Shape& shape, DType dtype = kDefaultFloat, Generator* gen = nullptr);
Tensor randn(const Shape& shape, DType dtype = kDefaultFloat, Generator* gen = nullptr);
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype = DType::Int64,
               Generator* gen = nullptr);
// A random permutation of 0..n-1 (Fisher-Yates).
Tensor randperm(int64_t n, DType dtype = DType::Int64, Generator* gen = nullptr);

// A 0-d tensor standing for a Python number: it takes part in type promotion as PyTorch's
// "wrapped numbers" do (lowest priority) and never requires grad.
Tensor wrapped_scalar(double v);
Tensor wrapped_scalar(int64_t v);
Tensor wrapped_scalar(bool v);
bool is_wrapped_scalar(const Tensor& t);
Tensor scalar_tensor(double v, DType dtype);

// A number written into a tensor of dtype `dst` must fit it, as PyTorch's checked scalar
// conversion: into int64, NaN, +-inf and values beyond +-2^63 raise RuntimeError naming `op`
// (a plain cast gives INT64_MIN); bool and float targets take anything. O(1).
void check_scalar_fits(double v, DType dst, const char* op);
// The same for a Python number (a wrapped scalar); tensors are cast unchecked, as in PyTorch.
void check_scalar_fits(const Tensor& value, DType dst, const char* op);

}  // namespace chainrule
