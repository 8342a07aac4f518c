// softmax and log_softmax over one dim (fused forward and backward kernels), and logsumexp.
// The kernels (kernels/softmax: the per-ISA loops and, in threads.h, their split over threads)
// see x as contiguous (outer, D, inner) with the softmax dim in the middle.
#include <cmath>
#include <type_traits>

#include "../kernels/reduce/strided.h"
#include "../kernels/softmax/threads.h"
#include "pointwise.h"

namespace chainrule {

namespace {

struct SoftmaxGeom {
    int64_t outer = 1, D = 1, inner = 1;
};

SoftmaxGeom geom(const Shape& s, int64_t d) {
    SoftmaxGeom g;
    for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
        if (i < d) g.outer *= s[i];
        if (i == d) g.D = s[i];
        if (i > d) g.inner *= s[i];
    }
    return g;
}

template <bool kLog>
Tensor softmax_forward(const Tensor& xin, int64_t d) {
    const Tensor x = xin.is_contiguous() ? xin : contiguous(xin.detach());
    Tensor y = empty(x.shape(), x.dtype());
    const SoftmaxGeom g = geom(x.shape(), d);
    if (x.numel() == 0) return y;
    CR_DISPATCH_FLOAT(x.dtype(), kLog ? "log_softmax" : "softmax", [&] {
        using T = scalar_t;
        softmax_forward_kernel<T>(y.data<T>(), x.data<T>(), g.outer, g.D, g.inner, kLog);
    });
    return y;
}

template <bool kLog>
Tensor softmax_backward(const Tensor& y, const Tensor& dyin, int64_t d) {
    const Tensor dy = contiguous(detail::cast_for_compute(dyin, y.dtype()));
    Tensor dx = empty(y.shape(), y.dtype());
    const SoftmaxGeom g = geom(y.shape(), d);
    if (y.numel() == 0) return dx;
    CR_DISPATCH_FLOAT(y.dtype(), "softmax_backward", [&] {
        using T = scalar_t;
        softmax_backward_kernel<T>(dx.data<T>(), y.data<T>(), dy.data<T>(), g.outer, g.D, g.inner,
                                   kLog);
    });
    return dx;
}

}  // namespace

// ---- softmax -----------------------------------------------------------------
// y = exp(x - max) / sum exp(x - max)      dx = y * (dy - sum_dim(dy * y))
struct SoftmaxBackward0 final : Node {
    SavedTensor y;
    int64_t dim = 0;
    TensorList apply(TensorList&& g) override {
        return {softmax_backward<false>(y.unpack("SoftmaxBackward0"), g[0], dim)};
    }
    std::string name() const override { return "SoftmaxBackward0"; }
    void release_saved() override { y.reset(); }
};

Tensor softmax(const Tensor& x, int64_t dim) {
    const int64_t d = wrap_dim(dim, x.dim(), "softmax");
    detail::check_floating(x, "softmax");
    Tensor y = softmax_forward<false>(x, d);
    if (needs_grad(x)) {
        auto node = make_node<SoftmaxBackward0>({&x});
        node->y = y.detach();
        node->dim = d;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- log_softmax ---------------------------------------------------------------
// y = x - max - log(sum exp(x - max))      dx = dy - exp(y) * sum_dim(dy)
struct LogSoftmaxBackward0 final : Node {
    SavedTensor y;
    int64_t dim = 0;
    TensorList apply(TensorList&& g) override {
        return {softmax_backward<true>(y.unpack("LogSoftmaxBackward0"), g[0], dim)};
    }
    std::string name() const override { return "LogSoftmaxBackward0"; }
    void release_saved() override { y.reset(); }
};

Tensor log_softmax(const Tensor& x, int64_t dim) {
    const int64_t d = wrap_dim(dim, x.dim(), "log_softmax");
    detail::check_floating(x, "log_softmax");
    Tensor y = softmax_forward<true>(x, d);
    if (needs_grad(x)) {
        auto node = make_node<LogSoftmaxBackward0>({&x});
        node->y = y.detach();
        node->dim = d;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- logsumexp -----------------------------------------------------------------
// y = m + log(sum exp(x - m)), m = max x (0 where m is infinite)      dx = dy * exp(x - y)
struct LogsumexpBackward0 final : Node {
    SavedTensor x, y;
    Shape keep_shape;
    TensorList apply(TensorList&& g) override {
        Tensor xv = x.unpack("LogsumexpBackward0");
        Tensor yv = reshape(y.unpack("LogsumexpBackward0"), keep_shape);
        return {mul(reshape(g[0], keep_shape), exp(sub(xv, yv)))};
    }
    std::string name() const override { return "LogsumexpBackward0"; }
    void release_saved() override {
        x.reset();
        y.reset();
    }
};

Tensor logsumexp(const Tensor& xin, const Dims& dims, bool keepdim) {
    const std::vector<bool> mask = dim_mask(dims, xin.dim(), "logsumexp");
    // Integer inputs are promoted to the default float dtype, as in PyTorch.
    const Tensor x = is_floating(xin.dtype()) ? xin : to_dtype(xin, kDefaultFloat);
    const detail::ReducePlan p = detail::plan_reduce(x, mask);
    Tensor y;
    {
        NoGradGuard ng;
        Tensor m = p.red_numel == 0 ? zeros(p.keep_shape, x.dtype()) : amax(x, dims, true);
        // Rows that are all -inf (or hold +inf) would give inf - inf = nan: shift by 0 instead.
        CR_DISPATCH_FLOAT(x.dtype(), "logsumexp", [&] {
            using T = scalar_t;
            T* mp = m.data<T>();
            for (int64_t i = 0; i < m.numel(); ++i) {
                if (std::isinf(mp[i])) mp[i] = 0;
            }
        });
        y = add(log(sum(exp(sub(x, m)), dims, true)), m);
        if (!keepdim) {
            const Shape s = detail::squeeze_dims(p.keep_shape, mask);
            y = make_view(y, s, contiguous_strides(s), 0);
        }
    }
    if (needs_grad(x)) {
        auto node = make_node<LogsumexpBackward0>({&x});
        node->x = x;
        node->y = y.detach();
        node->keep_shape = p.keep_shape;
        set_grad_fn(y, node);
    }
    return y;
}

}  // namespace chainrule
