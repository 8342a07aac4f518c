// Loss functions: fused cross-entropy (log-softmax + NLL in one pass per row), nll_loss,
// binary cross-entropy (on probabilities and on logits) and the pointwise regression losses.
// Argument parsing (reduction strings, legacy size_average/reduce, warnings) is in
// bindings/bind_loss.cpp; everything here takes tensors and enums.
#pragma once
#include <cstdint>
#include <string>

#include "chainrule/tensor.h"

namespace chainrule {

// How a loss reduces its per-element values. BatchMean (kl_div only) divides the sum by the
// batch size input.size(0) (by 1 for a 0-d input).
enum class Reduction : uint8_t { None, Mean, Sum, BatchMean };

// "none" | "mean" | "sum" (| "batchmean" when allowed); ValueError naming `op` otherwise.
Reduction reduction_from_string(const std::string& s, const char* op, bool allow_batchmean = false);

// An undefined Tensor stands for "no weight" throughout.
//
// input (C,), (N, C) or (N, C, d1, ..., dk); target either int64 class indices of shape
// (), (N) or (N, d1, ..., dk), or floating class probabilities of input's shape. Mean over
// class indices divides by the summed weight of the non-ignored targets (nan when all are
// ignored), over probabilities by N * d1 * ... * dk.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                     int64_t ignore_index = -100, Reduction reduction = Reduction::Mean,
                     double label_smoothing = 0.0);
// input holds log-probabilities; same shapes and weighting as cross_entropy's class indices.
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                int64_t ignore_index = -100, Reduction reduction = Reduction::Mean);
// input and target in [0, 1] of one shape; logs clamped at -100; weight broadcasts to input.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const Tensor& weight = Tensor(), Reduction reduction = Reduction::Mean);
// loss = w * [(1 - t) x - (1 + (pos_weight - 1) t) log_sigmoid(x)], stable for any logit x.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& weight = Tensor(),
                                        const Tensor& pos_weight = Tensor(),
                                        Reduction reduction = Reduction::Mean);
// input and target broadcast. weight (input's shape) gives torch's weighted forms: mean is
// sum(w l) / sum(w) for mse and l1, mean(w l) for huber.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                const Tensor& weight = Tensor());
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
               const Tensor& weight = Tensor());
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                  double delta = 1.0, const Tensor& weight = Tensor());
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      Reduction reduction = Reduction::Mean, double beta = 1.0);
// input holds log-probabilities; target probabilities (log-probabilities when log_target).
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
              bool log_target = false);

}  // namespace chainrule
