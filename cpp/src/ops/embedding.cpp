// Lookup ops: embedding (with its dense scatter-add backward) and one_hot.
#include <algorithm>
#include <cstring>
#include <vector>

#include "chainrule/ops.h"
#include "chainrule/parallel.h"
#include "pointwise.h"

namespace chainrule {

namespace {

// Validates indices (int64, each in [0, n)) before anything is allocated.
void check_indices(const Tensor& idx_c, int64_t n) {
    const int64_t* p = idx_c.data<int64_t>();
    for (int64_t i = 0; i < idx_c.numel(); ++i) {
        CR_CHECK(p[i] >= 0 && p[i] < n, IndexError, "embedding: index ", p[i],
                 " is out of range for num_embeddings ", n);
    }
}

}  // namespace

// ---- embedding -------------------------------------------------------------
// y[i, :] = W[idx[i], :]
// dW = zeros(W.shape); dW[idx[i], :] += dy[i, :] (/ count(idx[i]) if scale_grad_by_freq),
//      except for the padding_idx row, which stays 0.
struct EmbeddingBackward0 final : Node {
    int64_t num_weights = 0;
    int64_t padding_idx = -1;
    bool scale_grad_by_freq = false;
    SavedTensor indices;  // contiguous int64
    TensorList apply(TensorList&& g) override {
        Tensor idx = indices.unpack("EmbeddingBackward0");
        Tensor dy = contiguous(g[0]);
        const int64_t D = dy.shape().back();
        const int64_t n = idx.numel();
        Tensor dw = zeros({num_weights, D}, dy.dtype());
        const int64_t* ip = idx.data<int64_t>();
        std::vector<int64_t> counts;
        if (scale_grad_by_freq) {
            counts.assign(static_cast<size_t>(num_weights), 0);
            for (int64_t i = 0; i < n; ++i) ++counts[ip[i]];
        }
        CR_DISPATCH_FLOAT(dy.dtype(), "embedding_backward", [&] {
            using T = scalar_t;
            const T* gp = dy.data<T>();
            T* wp = dw.data<T>();
            // Serial over the index list: rows may repeat, and the sum order stays fixed.
            for (int64_t i = 0; i < n; ++i) {
                const int64_t r = ip[i];
                if (r == padding_idx) continue;
                T* dst = wp + r * D;
                const T* src = gp + i * D;
                if (scale_grad_by_freq) {
                    const T c = static_cast<T>(counts[r]);
                    for (int64_t j = 0; j < D; ++j) dst[j] += src[j] / c;
                } else {
                    for (int64_t j = 0; j < D; ++j) dst[j] += src[j];
                }
            }
        });
        return {dw};
    }
    std::string name() const override { return "EmbeddingBackward0"; }
    void release_saved() override { indices.reset(); }
};

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx,
                 bool scale_grad_by_freq) {
    CR_CHECK(weight.dim() == 2, ValueError,
             "embedding: weight must be 2-D (num_embeddings, embedding_dim); got shape ",
             shape_str(weight.shape()));
    CR_CHECK(indices.dtype() == DType::Int64, TypeError,
             "embedding: expected indices of dtype int64; got ", dtype_name(indices.dtype()));
    const int64_t V = weight.shape()[0], D = weight.shape()[1];
    CR_CHECK(padding_idx >= -1 && padding_idx < V, ValueError,
             "embedding: padding_idx must be within num_embeddings; got padding_idx ", padding_idx,
             " for num_embeddings ", V);
    Tensor idx = contiguous(indices);
    check_indices(idx, V);
    Shape shape = indices.shape();
    shape.push_back(D);
    Tensor y = empty(shape, weight.dtype());
    const int64_t n = idx.numel();
    if (n > 0 && D > 0) {
        Tensor w = contiguous(weight);
        const int64_t* ip = idx.data<int64_t>();
        CR_DISPATCH_ALL(weight.dtype(), "embedding", [&] {
            using T = scalar_t;
            const T* wp = w.data<T>();
            T* yp = y.data<T>();
            parallel_for(0, n, std::max<int64_t>(1, kGrain / D), [&](int64_t b, int64_t e) {
                for (int64_t i = b; i < e; ++i) {
                    std::memcpy(yp + i * D, wp + ip[i] * D, sizeof(T) * D);
                }
            });
        });
    }
    if (needs_grad(weight)) {
        auto node = make_node<EmbeddingBackward0>({&weight});
        node->num_weights = V;
        node->padding_idx = padding_idx;
        node->scale_grad_by_freq = scale_grad_by_freq;
        node->indices = idx;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- one_hot ---------------------------------------------------------------
// y[..., c] = x[...] == c (int64); not differentiable (integer input).
Tensor one_hot(const Tensor& x, int64_t num_classes) {
    CR_CHECK(x.dtype() == DType::Int64, TypeError,
             "one_hot: one_hot is only applicable to index tensor of dtype int64; got ",
             dtype_name(x.dtype()));
    CR_CHECK(num_classes >= -1, RuntimeError,
             "one_hot: num_classes should be -1 or a non-negative number; got ", num_classes);
    Tensor c = contiguous(x);
    const int64_t* p = c.data<int64_t>();
    const int64_t n = c.numel();
    int64_t mx = -1;
    for (int64_t i = 0; i < n; ++i) {
        CR_CHECK(p[i] >= 0, RuntimeError, "one_hot: class values must be non-negative; got ", p[i]);
        mx = std::max(mx, p[i]);
    }
    if (num_classes == -1) {
        CR_CHECK(n > 0, RuntimeError,
                 "one_hot: can not infer total number of classes from empty tensor; got shape ",
                 shape_str(x.shape()));
        num_classes = mx + 1;
    } else {
        CR_CHECK(mx < num_classes, RuntimeError,
                 "one_hot: class values must be smaller than num_classes; got value ", mx,
                 " for num_classes ", num_classes);
    }
    Shape shape = x.shape();
    shape.push_back(num_classes);
    Tensor y = zeros(shape, DType::Int64);
    int64_t* yp = y.data<int64_t>();
    for (int64_t i = 0; i < n; ++i) yp[i * num_classes + p[i]] = 1;
    return y;
}

}  // namespace chainrule
