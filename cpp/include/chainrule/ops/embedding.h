// Lookup ops: embedding (rows of a weight table picked by int64 indices) and one_hot.
#pragma once
#include "chainrule/tensor.h"

namespace chainrule {

// y[..., :] = weight[indices[...], :].   weight: (num_embeddings, embedding_dim),
// indices: int64 of any shape, y: (*indices.shape, embedding_dim).
// padding_idx: a row (0 <= padding_idx < num_embeddings) that gets no gradient; -1 = none.
// scale_grad_by_freq: each row's gradient is divided by its count in indices.
// IndexError for an index outside [0, num_embeddings), naming the op.
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = -1,
                 bool scale_grad_by_freq = false);

// y[..., c] = (x[...] == c) as int64, c in [0, num_classes); num_classes = -1 uses max(x) + 1.
Tensor one_hot(const Tensor& x, int64_t num_classes = -1);

}  // namespace chainrule
