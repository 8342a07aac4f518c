// Fused optimizer updates: one call updates every parameter of a group in one threaded pass
// over their elements (chainrule.optim calls each once per group per step). The formulas are
// PyTorch's single-tensor ones; the Python classes own the options, the state and its layout.
//
// Every function checks all of its arguments before it writes anything (lists of equal
// length, grads defined with their parameter's shape and dtype, state tensors contiguous and
// shaped like their parameter, step counters 0-d floating tensors, no parameter twice), then
// updates parameters, state and step counters in place and bumps their version counters.
// No autograd history is recorded. Non-contiguous parameters and gradients are copied in
// (and parameters copied back) around the update.
#pragma once
#include <vector>

#include "chainrule/tensor.h"

namespace chainrule::optim {

using TensorVec = std::vector<Tensor>;

// ---- SGD -------------------------------------------------------------------
// g = ±grad (+ wd p); b = first ? g : mu b + (1 - dampening) g;
// g = nesterov ? g + mu b : b (when mu != 0); p -= lr g
struct SgdOptions {
    double lr = 1e-3;
    double momentum = 0;
    double dampening = 0;
    double weight_decay = 0;
    bool nesterov = false;
    bool maximize = false;
};
// momentum_buffers: one per parameter (undefined where the parameter has no buffer yet: it
// is created from this step's g), or empty when momentum == 0. Returns the buffers (the
// given ones and the new ones), or an empty list when momentum == 0.
TensorVec sgd_step(const TensorVec& params, const TensorVec& grads,
                   const TensorVec& momentum_buffers, const SgdOptions& opt);

// ---- Adam / AdamW ------------------------------------------------------------
// t += 1; g = ±grad; decoupled: p *= 1 - lr wd, else g += wd p;
// m = lerp(m, g, 1 - b1); v = b2 v + (1 - b2) g^2; amsgrad: vmax = max(vmax, v), v = vmax;
// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
struct AdamOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0;
    bool amsgrad = false;
    bool maximize = false;
    bool decoupled_weight_decay = false;  // AdamW
};
// max_exp_avg_sqs is empty unless amsgrad; steps are 0-d floating tensors (t).
void adam_step(const TensorVec& params, const TensorVec& grads, const TensorVec& exp_avgs,
               const TensorVec& exp_avg_sqs, const TensorVec& max_exp_avg_sqs,
               const TensorVec& steps, const AdamOptions& opt);

// ---- RMSprop -----------------------------------------------------------------
// t += 1; g = ±grad (+ wd p); s = alpha s + (1 - alpha) g^2;
// centered: a = lerp(a, g, 1 - alpha), d = sqrt(s - a^2) + eps, else d = sqrt(s) + eps;
// momentum: b = mu b + g / d, p -= lr b; else p -= lr g / d
struct RmspropOptions {
    double lr = 1e-2;
    double alpha = 0.99;
    double eps = 1e-8;
    double weight_decay = 0;
    double momentum = 0;
    bool centered = false;
    bool maximize = false;
};
// momentum_buffers is empty unless momentum > 0; grad_avgs is empty unless centered.
void rmsprop_step(const TensorVec& params, const TensorVec& grads, const TensorVec& square_avgs,
                  const TensorVec& momentum_buffers, const TensorVec& grad_avgs,
                  const TensorVec& steps, const RmspropOptions& opt);

// ---- Adagrad -----------------------------------------------------------------
// t += 1; g = ±grad (+ wd p); s += g^2; p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)
struct AdagradOptions {
    double lr = 1e-2;
    double lr_decay = 0;
    double weight_decay = 0;
    double eps = 1e-10;
    bool maximize = false;
};
void adagrad_step(const TensorVec& params, const TensorVec& grads, const TensorVec& state_sums,
                  const TensorVec& steps, const AdagradOptions& opt);

}  // namespace chainrule::optim
