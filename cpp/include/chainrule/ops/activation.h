// Activation functions (leaky_relu, elu, gelu, silu, softplus, ...).
#pragma once
#include "chainrule/tensor.h"

namespace chainrule {}  // namespace chainrule
