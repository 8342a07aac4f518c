// softmax and log_softmax over one dim (fused forward and backward kernels), and logsumexp.
// The kernels see x as contiguous (outer, D, inner) with the softmax dim in the middle.
#include <cmath>
#include <type_traits>

#include "../kernels/vec_math.h"
#include "reduce_kernel.h"

namespace chainrule {

namespace kernels {

// (select and vexp_nonpositive come from vec_math.h, in this namespace)

// Rows of length D with stride `inner`, processed kCols columns at a time so that the inner
// loops run over contiguous memory (the compiler vectorises them).
constexpr int64_t kCols = 64;

// y: (outer, D, inner), x: (outer, D, inner). Subtracts the max for stability.
template <class T, bool kLog>
void softmax_forward_ref(T* y, const T* x, int64_t outer, int64_t D, int64_t inner) {
    const int64_t chunks = (inner + kCols - 1) / kCols;
    parallel_for(0, outer * chunks, std::max<int64_t>(1, kGrain / std::max<int64_t>(D * kCols, 1)),
                 [&](int64_t b, int64_t e) {
        T m[kCols];
        double s[kCols];
        for (int64_t t = b; t < e; ++t) {
            const int64_t o = t / chunks, c0 = (t % chunks) * kCols;
            const int64_t nc = std::min(kCols, inner - c0);
            const T* xp = x + o * D * inner + c0;
            T* yp = y + o * D * inner + c0;
            for (int64_t j = 0; j < nc; ++j) {
                m[j] = -std::numeric_limits<T>::infinity();
                s[j] = 0;
            }
            for (int64_t d = 0; d < D; ++d) {
                const T* r = xp + d * inner;
                for (int64_t j = 0; j < nc; ++j) m[j] = select(r[j] > m[j], r[j], m[j]);
            }
            for (int64_t d = 0; d < D; ++d) {
                const T* r = xp + d * inner;
                T* w = yp + d * inner;
                for (int64_t j = 0; j < nc; ++j) {
                    const T ev = vexp_nonpositive(r[j] - m[j]);
                    if (!kLog) w[j] = ev;
                    s[j] += ev;
                }
            }
            for (int64_t d = 0; d < D; ++d) {
                const T* r = xp + d * inner;
                T* w = yp + d * inner;
                for (int64_t j = 0; j < nc; ++j) {
                    if (kLog) {
                        w[j] = r[j] - m[j] - static_cast<T>(std::log(s[j]));
                    } else {
                        w[j] = static_cast<T>(w[j] / s[j]);
                    }
                }
            }
        }
    });
}

// dx, y, dy: (outer, D, inner).
// softmax:     dx = y * (dy - sum_d(dy * y))
// log_softmax: dx = dy - exp(y) * sum_d(dy)
template <class T, bool kLog>
void softmax_backward_ref(T* dx, const T* y, const T* dy, int64_t outer, int64_t D, int64_t inner) {
    const int64_t chunks = (inner + kCols - 1) / kCols;
    parallel_for(0, outer * chunks, std::max<int64_t>(1, kGrain / std::max<int64_t>(D * kCols, 1)),
                 [&](int64_t b, int64_t e) {
        double s[kCols];
        for (int64_t t = b; t < e; ++t) {
            const int64_t o = t / chunks, c0 = (t % chunks) * kCols;
            const int64_t nc = std::min(kCols, inner - c0);
            const int64_t off = o * D * inner + c0;
            for (int64_t j = 0; j < nc; ++j) s[j] = 0;
            for (int64_t d = 0; d < D; ++d) {
                const T* g = dy + off + d * inner;
                const T* v = y + off + d * inner;
                for (int64_t j = 0; j < nc; ++j) s[j] += kLog ? g[j] : g[j] * v[j];
            }
            for (int64_t d = 0; d < D; ++d) {
                const T* g = dy + off + d * inner;
                const T* v = y + off + d * inner;
                T* w = dx + off + d * inner;
                for (int64_t j = 0; j < nc; ++j) {
                    const T sj = static_cast<T>(s[j]);
                    w[j] = kLog ? g[j] - std::exp(v[j]) * sj : v[j] * (g[j] - sj);
                }
            }
        }
    });
}

// Row version (inner == 1): contiguous rows of length D.
template <class T, bool kLog>
void softmax_rows_forward_ref(T* y, const T* x, int64_t rows, int64_t D) {
    parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(D, 1)),
                 [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const T* xp = x + r * D;
            T* yp = y + r * D;
            // 8 partial maxima and sums (vector lanes), combined in a fixed order; e^(x - m)
            // goes through y (log_softmax overwrites it below).
            constexpr int kLanes = 8;
            T m;
            int64_t d = 0;
            if constexpr (std::is_same_v<T, float>) {
                // float: an integer max over order keys (a reduction GCC vectorises; a float
                // max is not reassociable without -ffast-math). NaN rows end up all NaN as
                // before (through the sum when the max is not NaN).
                int32_t km = order_key(fbits(-INFINITY));
                for (; d < D; ++d) {
                    const int32_t k = order_key(fbits(xp[d]));
                    km = k > km ? k : km;
                }
                m = bitsf(order_key(km));
            } else {
                T mk[kLanes];
                for (T& a : mk) a = -std::numeric_limits<T>::infinity();
                for (; d + kLanes <= D; d += kLanes) {
                    for (int k = 0; k < kLanes; ++k) mk[k] = select(xp[d + k] > mk[k], xp[d + k], mk[k]);
                }
                m = mk[0];
                for (int k = 1; k < kLanes; ++k) m = select(mk[k] > m, mk[k], m);
                for (; d < D; ++d) m = select(xp[d] > m, xp[d], m);
            }
            for (d = 0; d < D; ++d) yp[d] = vexp_nonpositive(xp[d] - m);
            double sk[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (d = 0; d + kLanes <= D; d += kLanes) {
                for (int k = 0; k < kLanes; ++k) sk[k] += static_cast<double>(yp[d + k]);
            }
            double s = ((sk[0] + sk[1]) + (sk[2] + sk[3])) + ((sk[4] + sk[5]) + (sk[6] + sk[7]));
            for (; d < D; ++d) s += static_cast<double>(yp[d]);
            if (kLog) {
                const T shift = m + static_cast<T>(std::log(s));
                for (d = 0; d < D; ++d) yp[d] = xp[d] - shift;
            } else {
                const T inv = static_cast<T>(1.0 / s);
                for (d = 0; d < D; ++d) yp[d] *= inv;
            }
        }
    });
}

template <class T, bool kLog>
void softmax_rows_backward_ref(T* dx, const T* y, const T* dy, int64_t rows, int64_t D) {
    parallel_for(0, rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(D, 1)),
                 [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const T* g = dy + r * D;
            const T* v = y + r * D;
            T* w = dx + r * D;
            double s = 0;
            for (int64_t d = 0; d < D; ++d) s += kLog ? g[d] : g[d] * v[d];
            const T sj = static_cast<T>(s);
            for (int64_t d = 0; d < D; ++d) w[d] = kLog ? g[d] - std::exp(v[d]) * sj : v[d] * (g[d] - sj);
        }
    });
}

}  // namespace kernels

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
        if (g.inner == 1) {
            kernels::softmax_rows_forward_ref<T, kLog>(y.data<T>(), x.data<T>(), g.outer, g.D);
        } else {
            kernels::softmax_forward_ref<T, kLog>(y.data<T>(), x.data<T>(), g.outer, g.D,
                                                  g.inner);
        }
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
        if (g.inner == 1) {
            kernels::softmax_rows_backward_ref<T, kLog>(dx.data<T>(), y.data<T>(), dy.data<T>(),
                                                        g.outer, g.D);
        } else {
            kernels::softmax_backward_ref<T, kLog>(dx.data<T>(), y.data<T>(), dy.data<T>(),
                                                   g.outer, g.D, g.inner);
        }
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
