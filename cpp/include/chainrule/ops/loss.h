// Loss functions (cross-entropy, NLL, BCE, ...), fused where it pays.
#pragma once
#include "chainrule/tensor.h"

namespace chainrule {}  // namespace chainrule
