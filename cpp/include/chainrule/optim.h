// Fused optimizer updates: one call updates every parameter of a group.
#pragma once
#include "chainrule/tensor.h"

namespace chainrule {}  // namespace chainrule
