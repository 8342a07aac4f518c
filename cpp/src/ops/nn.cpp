// Layer ops whose fused forms pay: linear (one GEMM with the bias as its starting value) and
// dropout (mask and scale in one pass). Convolutions and norms come with their own issue.
#include <cmath>
#include <cstring>

#include "../kernels/gemm/gemm.h"
#include "pointwise.h"

namespace chainrule {

namespace {

// x viewed as a (rows, K) matrix without copying when its leading dims merge, else a copy.
Tensor as_matrix(const Tensor& x) {
    const int64_t K = x.shape().back();
    const int64_t rows =
        K == 0 ? numel_of(Shape(x.shape().begin(), x.shape().end() - 1)) : x.numel() / K;
    if (x.dim() == 2) return x;
    if (x.dim() == 1) return make_view(x, {1, K}, {K * x.strides()[0], x.strides()[0]}, x.offset());
    // Leading dims merge when each one's stride equals the next one's stride times its size.
    bool foldable = true;
    int64_t row_stride = 0, prev = -1;
    for (int64_t d = 0; d < x.dim() - 1; ++d) {
        if (x.shape()[d] == 1) continue;
        if (prev >= 0 && x.strides()[prev] != x.strides()[d] * x.shape()[d]) foldable = false;
        prev = d;
        row_stride = x.strides()[d];
    }
    if (prev < 0) row_stride = K;
    if (!foldable) return reshape(contiguous(x), {rows, K});
    return make_view(x, {rows, K}, {row_stride, x.strides().back()}, x.offset());
}

void check_linear(const Tensor& x, const Tensor& w, const Tensor& b) {
    CR_CHECK(w.dim() == 2, ValueError,
             "linear: weight must be 2-D (out_features, in_features); "
             "got shape ",
             shape_str(w.shape()));
    CR_CHECK(x.dim() >= 1, ValueError, "linear: input must have at least 1 dim; got shape ",
             shape_str(x.shape()));
    CR_CHECK(x.shape().back() == w.shape()[1], ValueError, "linear: input of shape ",
             shape_str(x.shape()), " and weight of shape ", shape_str(w.shape()),
             " cannot be multiplied (in_features ", x.shape().back(), " != ", w.shape()[1], ")");
    CR_CHECK(is_floating(x.dtype()) && x.dtype() == w.dtype(), TypeError,
             "linear: input and weight must have the same floating dtype; got ",
             dtype_name(x.dtype()), " and ", dtype_name(w.dtype()));
    if (!b.defined()) return;
    // (N,), or (1,) / () broadcast over the N outputs, as torch's addmm accepts.
    CR_CHECK(b.dim() == 0 || (b.dim() == 1 && (b.shape()[0] == w.shape()[0] || b.shape()[0] == 1)),
             ValueError, "linear: bias must have shape (", w.shape()[0],
             ",) (or broadcast to it) to match weight of shape ", shape_str(w.shape()), "; got ",
             shape_str(b.shape()));
    CR_CHECK(b.dtype() == w.dtype(), TypeError, "linear: bias must have dtype ",
             dtype_name(w.dtype()), "; got ", dtype_name(b.dtype()));
}

// Y (M, N) = X (M, K) @ W^T (W: (N, K)) [+ bias broadcast over rows].
template <class T>
void linear_forward(const Tensor& X, const Tensor& W, const Tensor& b, Tensor& Y) {
    const int64_t M = X
    .shape()[0], K = X
    .shape()[1], N = W.shape()[0];
    T* y = Y.data<T>();
    if (b.defined()) {
        const T* bp = b.data<T>();
        // bs = 0: a (1,) or () bias, one value for every output
        const int64_t bs = b.dim() == 1 && b.shape()[0] == N ? b.strides()[0] : 0;
        for (int64_t i = 0; i < M; ++i) {
            if (bs == 1) {
                std::memcpy(y + i * N, bp, static_cast<size_t>(N) * sizeof(T));
            } else {
                for (int64_t j = 0; j < N; ++j) y[i * N + j] = bp[j * bs];
            }
        }
    }
    kernels::gemm<T>(M, N, K, T(1), X.data<T>(), X.strides()[0], X.strides()[1], W.data<T>(),
                     W.strides()[1], W.strides()[0], b.defined() ? T(1) : T(0), y, N, 1);
}

}  // namespace

// ---- linear ------------------------------------------------------------------
// y = x @ W^T + b         x: (*, K)  W: (N, K)  b: (N)
// dx = dy @ W             dW = dy^T @ x (every leading dim of x folded into rows)
// db = dy summed over rows
struct LinearBackward0 final : Node {
    SavedTensor x, w;  // x only when dW is needed, w only when dx is needed
    Shape x_shape, b_shape;
    int64_t N = 0, K = 0;
    DType dtype = DType::Float32;
    bool has_bias = false;
    TensorList apply(TensorList&& g) override {
        const char* nm = has_bias ? "AddmmBackward0" : "MmBackward0";
        Tensor dy = as_matrix(g[0]);
        const int64_t M = dy.shape()[0];
        TensorList grads(has_bias ? 3 : 2);
        CR_DISPATCH_FLOAT(dtype, "linear", [&] {
            using T = scalar_t;
            if (needs_input_grad(0)) {
                Tensor wv = w.unpack(nm);
                Tensor dx = empty({M, K}, dtype);
                kernels::gemm<T>(M, K, N, T(1), dy.data<T>(), dy.strides()[0], dy.strides()[1],
                                 wv.data<T>(), wv.strides()[0], wv.strides()[1], T(0), dx.data<T>(),
                                 K, 1);
                grads[0] = reshape(dx, x_shape);
            }
            if (needs_input_grad(1)) {
                Tensor xm = as_matrix(x.unpack(nm));
                Tensor dw = empty({N, K}, dtype);
                kernels::gemm<T>(N, K, M, T(1), dy.data<T>(), dy.strides()[1], dy.strides()[0],
                                 xm.data<T>(), xm.strides()[0], xm.strides()[1], T(0), dw.data<T>(),
                                 K, 1);
                grads[1] = dw;
            }
        });
        if (has_bias && needs_input_grad(2)) grads[2] = sum_to(sum(dy, {0}), b_shape);
        return grads;
    }
    std::string name() const override { return has_bias ? "AddmmBackward0" : "MmBackward0"; }
    void release_saved() override {
        x.reset();
        w.reset();
    }
};

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    check_linear(x, weight, bias);
    const int64_t N = weight.shape()[0];
    Tensor X
    = as_matrix(x);
    Tensor Y = empty(
        {
            X
            .shape()[0], N
        },
        x.dtype());
    CR_DISPATCH_FLOAT(x.dtype(), "linear", [&] { linear_forward<scalar_t>(X, weight, bias, Y); });
    Shape out(x.shape().begin(), x.shape().end() - 1);
    out.push_back(N);
    Tensor y = make_view(Y, out, contiguous_strides(out), 0);
    const bool grad =
        bias.defined() ? any_needs_grad({&x, &weight, &bias}) : any_needs_grad({&x, &weight});
    if (grad) {
        auto node = bias.defined() ? make_node<LinearBackward0>({&x, &weight, &bias})
                                   : make_node<LinearBackward0>({&x, &weight});
        node->has_bias = bias.defined();
        node->x_shape = x.shape();
        if (bias.defined()) node->b_shape = bias.shape();
        node->N = weight.shape()[0];
        node->K = weight.shape()[1];
        node->dtype = x.dtype();
        if (node->needs_input_grad(1)) node->x = x;
        if (node->needs_input_grad(0)) node->w = weight;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- dropout -----------------------------------------------------------------
// y = x * m,  m_i = [u_i >= p] / (1 - p)      dx = dy * m       saves: m
struct NativeDropoutBackward0 final : Node {
    Tensor mask;  // the scaled mask, owned by the node alone (nothing else can modify it)
    TensorList apply(TensorList&& g) override { return {mul(g[0], mask)}; }
    std::string name() const override { return "NativeDropoutBackward0"; }
    void release_saved() override { mask = Tensor(); }
};

Tensor dropout(const Tensor& x, double p, bool train, Generator* gen) {
    CR_CHECK(p >= 0.0 && p <= 1.0, ValueError,
             "dropout: probability has to be between 0 and 1; got p=", p);
    detail::check_floating(x, "dropout");
    if (!train || p == 0.0) return x;
    Generator& g = gen ? *gen : default_generator();
    Tensor mask = empty(x.shape(), x.dtype());
    const int64_t n = mask.numel();
    // Draws are sequential (one stream), so a seed gives the same mask for any thread count.
    CR_DISPATCH_FLOAT(x.dtype(), "dropout", [&] {
        using T = scalar_t;
        T* m = mask.data<T>();
        if (p == 1.0) {
            for (int64_t i = 0; i < n; ++i) m[i] = T(0);
            return;
        }
        const T scale = T(1) / (T(1) - T(p));
        for (int64_t i = 0; i < n; ++i) {
            const double u = std::is_same_v<T, float> ? g.next_float() : g.next_double();
            m[i] = u >= p ? scale : T(0);
        }
    });
    Tensor y;
    {
        NoGradGuard no_grad;
        y = mul(x, mask);
    }
    if (needs_grad(x)) {
        auto node = make_node<NativeDropoutBackward0>({&x});
        node->mask = mask;
        set_grad_fn(y, node);
    }
    return y;
}

}  // namespace chainrule
