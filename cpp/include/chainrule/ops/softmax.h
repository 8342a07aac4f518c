// softmax and log_softmax over one dim, and logsumexp over dims (empty dims = all): the ops
// that normalise by a sum of exponentials, computed with the row maximum subtracted.
#pragma once
#include <vector>

#include "chainrule/tensor.h"

namespace chainrule {

Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace chainrule
