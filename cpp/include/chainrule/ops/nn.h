// Layer ops: fused linear (GEMM + bias) and dropout.
#pragma once
#include "chainrule/tensor.h"

namespace chainrule {}  // namespace chainrule
