// In-place ops other than arithmetic (add_, sub_, mul_, div_ sit with their twins in
// elementwise.h) and the activations' own in-place forms: fills and copies, in-place unary
// math, random fills and detach_. Each bumps self's version counter and rejects a leaf that
// requires grad; in-place unary math keeps the out-of-place op's derivative and node name.
#pragma once
#include <optional>

#include "chainrule/generator.h"
#include "chainrule/tensor.h"

namespace chainrule {

// ---- fills and copies
Tensor& zero_(Tensor& self);
Tensor& fill_(Tensor& self, const Tensor& value);
Tensor& copy_(Tensor& self, const Tensor& src);  // src broadcast to self, cast to its dtype
Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Tensor& value);
// The out-of-place twin of masked_fill_ (one mask check for both).
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);
Tensor& clamp_(Tensor& self, std::optional<double> min, std::optional<double> max);

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
Tensor& clamp_min_(Tensor& self, double min);
Tensor& clamp_max_(Tensor& self, double max);
// Drops self's history in place (a leaf that does not require grad afterwards).
Tensor& detach_(Tensor& self);

// ---- random fills (gen == nullptr: the default generator); zero gradient
Tensor& uniform_(Tensor& self, double from = 0.0, double to = 1.0, Generator* gen = nullptr);
Tensor& normal_(Tensor& self, double mean = 0.0, double std = 1.0, Generator* gen = nullptr);
Tensor& bernoulli_(Tensor& self, double p = 0.5, Generator* gen = nullptr);

}  // namespace chainrule
