// Matrix and vector products. Transposed operands are read through their strides, never copied.
#pragma once
#include "chainrule/tensor.h"

namespace chainrule {

Tensor matmul(const Tensor& a, const Tensor& b);  // 1-D, 2-D and batched N-D with broadcasting
Tensor mm(const Tensor& a, const Tensor& b);      // (n, k) @ (k, m)
Tensor bmm(const Tensor& a, const Tensor& b);     // (b, n, k) @ (b, k, m)
Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, double beta = 1.0,
             double alpha = 1.0);
Tensor outer(const Tensor& a, const Tensor& b);
Tensor dot(const Tensor& a, const Tensor& b);  // 1-D . 1-D -> 0-d
Tensor mv(const Tensor& a, const Tensor& v);   // (n, m) @ (m,) -> (n,)

}  // namespace chainrule
