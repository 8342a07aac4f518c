// Normalisation ops: layer_norm (statistics per row of the trailing normalized dims) and
// batch_norm (statistics per channel over batch and spatial dims). Each has one fused forward
// that saves mean and rstd, and one fused backward producing input, weight and bias grads.
// Statistics sum in double whatever the dtype; the row loops of layer_norm are a per-ISA
// kernel family (kernels/norm/).
#include "chainrule/ops/norm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../kernels/dispatch.h"
#include "chainrule/parallel.h"
#include "pointwise.h"

namespace chainrule {

namespace {

void check_param(const Tensor& p, const Shape& want, const Tensor& x, const char* op,
                 const char* what) {
    if (!p.defined()) return;
    CR_CHECK(p.shape() == want, RuntimeError, op, ": expected ", what, " of shape ",
             shape_str(want), "; got ", shape_str(p.shape()));
    CR_CHECK(p.dtype() == x.dtype(), TypeError, op, ": expected ", what, " of dtype ",
             dtype_name(x.dtype()), "; got ", dtype_name(p.dtype()));
}

template <class T>
const kernels::NormKernel<T>& kernel_for(const kernels::NormKernels& k) {
    if constexpr (std::is_same_v<T, float>)
        return k.s;
    else
        return k.d;
}

}  // namespace

// ---- layer_norm ----------------------------------------------------------------
// Rows of N = prod(normalized_shape) elements: mean = sum(x)/N, rstd = 1/sqrt(var + eps)
// (biased var), xh = (x - mean) * rstd, y = xh * w + b.
// g = dy * w:  dx = rstd * (g - mean(g) - xh * mean(g * xh))
// dw = sum over rows of dy * xh        db = sum over rows of dy
struct NativeLayerNormBackward0 final : Node {
    SavedTensor x, w;   // x contiguous
    Tensor mean, rstd;  // owned by the node alone
    int64_t M = 0, N = 0;
    TensorList apply(TensorList&& g) override {
        const char* nm = "NativeLayerNormBackward0";
        Tensor xv = x.unpack(nm);
        Tensor wv = w.defined() ? contiguous(w.unpack(nm)) : Tensor();
        Tensor dy = contiguous(g[0]);
        const bool need_dx = needs_input_grad(0), need_dw = needs_input_grad(1),
                   need_db = needs_input_grad(2);
        Tensor dx = need_dx ? empty(xv.shape(), xv.dtype()) : Tensor();
        // Rows in fixed blocks (sized from M and N only): each block sums its dw / db into
        // its own double partials, added in block order afterwards, so the bits do not
        // depend on the thread count.
        const int64_t rows_per_block = std::max<int64_t>(
            {int64_t(1), (M + kMaxBlocks - 1) / kMaxBlocks, kBlockWork / std::max<int64_t>(N, 1)});
        const int64_t blocks = M == 0 ? 0 : (M + rows_per_block - 1) / rows_per_block;
        const int64_t pw = need_dw ? N : 0, pb = need_db ? N : 0;
        std::vector<double> part(static_cast<size_t>(blocks * (pw + pb)), 0.0);
        const auto& kt = kernels::kernel_table().norm;
        CR_DISPATCH_FLOAT(xv.dtype(), "layer_norm", [&] {
            using T = scalar_t;
            const auto& k = kernel_for<T>(kt);
            const T* xp = xv.data<T>();
            const T* gp = dy.data<T>();
            const T* wp = wv.defined() ? wv.data<T>() : nullptr;
            const double* mp = mean.data<double>();
            const double* rp = rstd.data<double>();
            T* dxp = need_dx ? dx.data<T>() : nullptr;
            const int64_t grain =
                std::max<int64_t>(1, kGrain / std::max<int64_t>(rows_per_block * N, 1));
            parallel_for(0, blocks, grain, [&](int64_t bb, int64_t be) {
                for (int64_t blk = bb; blk < be; ++blk) {
                    const int64_t r0 = blk * rows_per_block;
                    const int64_t rn = std::min(rows_per_block, M - r0);
                    double* dwp = need_dw ? part.data() + blk * (pw + pb) : nullptr;
                    double* dbp = need_db ? part.data() + blk * (pw + pb) + pw : nullptr;
                    k.ln_backward(dxp ? dxp + r0 * N : nullptr, dwp, dbp, xp + r0 * N, gp + r0 * N,
                                  wp, mp + r0, rp + r0, rn, N);
                }
            });
        });
        TensorList grads(3);
        grads[0] = dx;
        const DType dt = xv.dtype();
        auto combine = [&](int64_t off) {
            Tensor t = empty(param_shape, dt);
            CR_DISPATCH_FLOAT(dt, "layer_norm", [&] {
                scalar_t* p = t.data<scalar_t>();
                std::vector<double> acc(static_cast<size_t>(N), 0.0);
                for (int64_t blk = 0; blk < blocks; ++blk) {
                    const double* q = part.data() + blk * (pw + pb) + off;
                    for (int64_t j = 0; j < N; ++j) acc[j] += q[j];
                }
                for (int64_t j = 0; j < N; ++j) p[j] = scalar_t(acc[j]);
            });
            return t;
        };
        if (need_dw) grads[1] = combine(0);
        if (need_db) grads[2] = combine(pw);
        return grads;
    }
    static constexpr int64_t kMaxBlocks = 64;    // partial dw / db rows at most
    static constexpr int64_t kBlockWork = 4096;  // elements per block at least
    Shape param_shape;
    std::string name() const override { return "NativeLayerNormBackward0"; }
    void release_saved() override {
        x.reset();
        w.reset();
        mean = Tensor();
        rstd = Tensor();
    }
};

Tensor layer_norm(const Tensor& x, const std::vector<int64_t>& normalized_shape,
                  const Tensor& weight, const Tensor& bias, double eps) {
    detail::check_floating(x, "layer_norm");
    const int64_t k = static_cast<int64_t>(normalized_shape.size());
    CR_CHECK(k >= 1, ValueError, "layer_norm: normalized_shape must have at least 1 dim; got ",
             shape_str(Shape(normalized_shape.begin(), normalized_shape.end())));
    const Shape ns(normalized_shape.begin(), normalized_shape.end());
    bool ok = x.dim() >= k;
    for (int64_t d = 0; ok && d < k; ++d) ok = x.shape()[x.dim() - k + d] == ns[d];
    CR_CHECK(ok, RuntimeError, "layer_norm: given normalized_shape=", shape_str(ns),
             ", expected input with shape [*, ", shape_str(ns), "]; got input of shape ",
             shape_str(x.shape()));
    check_param(weight, ns, x, "layer_norm", "weight");
    check_param(bias, ns, x, "layer_norm", "bias");
    const int64_t N = numel_of(ns);
    const int64_t M = N == 0 ? 0 : x.numel() / N;
    Tensor xc = contiguous(x);
    Tensor y = empty(x.shape(), x.dtype());
    Tensor mean = empty({M}, DType::Float64), rstd = empty({M}, DType::Float64);
    Tensor wc = weight.defined() ? contiguous(weight) : Tensor();
    Tensor bc = bias.defined() ? contiguous(bias) : Tensor();
    CR_DISPATCH_FLOAT(x.dtype(), "layer_norm", [&] {
        using T = scalar_t;
        const T* xp = xc.data<T>();
        T* yp = y.data<T>();
        const T* wp = wc.defined() ? wc.data<T>() : nullptr;
        const T* bp = bc.defined() ? bc.data<T>() : nullptr;
        double* mp = mean.data<double>();
        double* rp = rstd.data<double>();
        const auto& kern = kernel_for<T>(kernels::kernel_table().norm);
        parallel_for(0, M, std::max<int64_t>(1, kGrain / std::max<int64_t>(N, 1)),
                     [&](int64_t b, int64_t e) {
                         kern.ln_forward(yp + b * N, mp + b, rp + b, xp + b * N, wp, bp, e - b, N,
                                         eps);
                     });
    });
    if (any_needs_grad({&x, &weight, &bias})) {
        auto node = make_node<NativeLayerNormBackward0>({&x, &weight, &bias});
        node->x = xc;
        if (weight.defined()) node->w = weight;
        node->mean = mean;
        node->rstd = rstd;
        node->M = M;
        node->N = N;
        node->param_shape = ns;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- batch_norm ----------------------------------------------------------------
// x: (B, C, S...) seen as (B, C, L). Per channel c over n = B*L values:
// training: mean, var (biased), invstd = 1/sqrt(var + eps); running stats updated with the
// unbiased var * n/(n-1). eval: mean, invstd from the running stats.
// xh = (x - mean) * invstd,  y = xh * w + b.
// training: dx = w * invstd * (dy - mean(dy) - xh * mean(dy * xh))     eval: dx = dy * w * invstd
// dw = sum dy * xh      db = sum dy
struct NativeBatchNormBackward0 final : Node {
    SavedTensor x, w;     // x contiguous
    Tensor mean, invstd;  // float64 (C), owned by the node
    bool training = true;
    int64_t B = 0, C = 0, L = 0;
    TensorList apply(TensorList&& g) override {
        const char* nm = "NativeBatchNormBackward0";
        Tensor xv = x.unpack(nm);
        Tensor wv = w.defined() ? contiguous(w.unpack(nm)) : Tensor();
        Tensor dy = contiguous(g[0]);
        const bool need_dx = needs_input_grad(0), need_dw = needs_input_grad(1),
                   need_db = needs_input_grad(2);
        const DType dt = xv.dtype();
        Tensor dx = need_dx ? empty(xv.shape(), dt) : Tensor();
        Tensor dw = need_dw ? empty({C}, dt) : Tensor();
        Tensor db = need_db ? empty({C}, dt) : Tensor();
        const auto& kt = kernels::kernel_table().norm;
        CR_DISPATCH_FLOAT(dt, "batch_norm", [&] {
            using T = scalar_t;
            const auto& kern = kernel_for<T>(kt);
            const T* xp = xv.data<T>();
            const T* gp = dy.data<T>();
            const T* wp = wv.defined() ? wv.data<T>() : nullptr;
            const double* mp = mean.data<double>();
            const double* rp = invstd.data<double>();
            T* dxp = need_dx ? dx.data<T>() : nullptr;
            T* dwp = need_dw ? dw.data<T>() : nullptr;
            T* dbp = need_db ? db.data<T>() : nullptr;
            const double n = double(B * L);
            parallel_for(
                0, C, std::max<int64_t>(1, kGrain / std::max<int64_t>(B * L, 1)),
                [&](int64_t cb, int64_t ce) {
                    for (int64_t c = cb; c < ce; ++c) {
                        const double mu = mp[c], rs = rp[c];
                        double st[2] = {0.0, 0.0};  // sum dy, sum dy * (x - mean)
                        for (int64_t b = 0; b < B; ++b)
                            kern.bn_grad_stats(st, xp + (b * C + c) * L, gp + (b * C + c) * L, L,
                                               mu);
                        const double sg = st[0], sgx = st[1] * rs;
                        if (dwp) dwp[c] = T(sgx);
                        if (dbp) dbp[c] = T(sg);
                        if (!dxp) continue;
                        const double wc = wp ? double(wp[c]) : 1.0;
                        const double k = wc * rs;  // dx = k * (dy - mg - xh * mgx)
                        const double mg = training ? sg / n : 0.0, mgx = training ? sgx / n : 0.0;
                        // An extreme weight can make w * invstd overflow T where dx does not: such
                        // a channel takes a double loop (as PyTorch multiplies w in last).
                        const bool fits = std::abs(k) <= double(std::numeric_limits<T>::max());
                        for (int64_t b = 0; b < B; ++b) {
                            const int64_t o = (b * C + c) * L;
                            if (!fits) {
                                for (int64_t i = 0; i < L; ++i) {
                                    double t = double(gp[o + i]) - mg;
                                    if (training) t -= (double(xp[o + i]) - mu) * rs * mgx;
                                    dxp[o + i] = T(wc * (rs * t));
                                }
                            } else if (!training) {
                                // no xh term in eval mode: it is infinite for x far from the
                                // running mean (and inf * 0 would make dx NaN)
                                const T kt = T(k);
                                for (int64_t i = 0; i < L; ++i) dxp[o + i] = gp[o + i] * kt;
                            } else {
                                kern.bn_dx(dxp + o, xp + o, gp + o, L, T(mu), T(rs), T(k), T(mg),
                                           T(mgx));
                            }
                        }
                    }
                });
        });
        return {dx, dw, db};
    }
    std::string name() const override { return "NativeBatchNormBackward0"; }
    void release_saved() override {
        x.reset();
        w.reset();
        mean = Tensor();
        invstd = Tensor();
    }
};

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
    detail::check_floating(x, "batch_norm");
    CR_CHECK(x.dim() >= 2, ValueError,
             "batch_norm: expected input of shape (N, C, *) with at "
             "least 2 dims; got shape ",
             shape_str(x.shape()));
    const int64_t B = x.shape()[0], C = x.shape()[1];
    const int64_t L = C == 0 || B == 0 ? numel_of(Shape(x.shape().begin() + 2, x.shape().end()))
                                       : x.numel() / (B * C);
    const Shape cs{C};
    check_param(weight, cs, x, "batch_norm", "weight");
    check_param(bias, cs, x, "batch_norm", "bias");
    check_param(running_mean, cs, x, "batch_norm", "running_mean");
    check_param(running_var, cs, x, "batch_norm", "running_var");
    CR_CHECK(training || (running_mean.defined() && running_var.defined()), RuntimeError,
             "batch_norm: running_mean and running_var must be defined in evaluation mode");
    CR_CHECK(!training || B * L > 1, ValueError,
             "batch_norm: expected more than 1 value per "
             "channel when training; got input of shape ",
             shape_str(x.shape()));
    const int64_t rms = running_mean.defined() ? running_mean.strides()[0] : 0;
    const int64_t rvs = running_var.defined() ? running_var.strides()[0] : 0;
    Tensor xc = contiguous(x);
    Tensor y = empty(x.shape(), x.dtype());
    Tensor mean = empty({C}, DType::Float64), invstd = empty({C}, DType::Float64);
    Tensor wc = weight.defined() ? contiguous(weight) : Tensor();
    Tensor bc = bias.defined() ? contiguous(bias) : Tensor();
    CR_DISPATCH_FLOAT(x.dtype(), "batch_norm", [&] {
        using T = scalar_t;
        const T* xp = xc.data<T>();
        T* yp = y.data<T>();
        const T* wp = wc.defined() ? wc.data<T>() : nullptr;
        const T* bp = bc.defined() ? bc.data<T>() : nullptr;
        T* rmp = running_mean.defined() ? running_mean.data<T>() : nullptr;
        T* rvp = running_var.defined() ? running_var.data<T>() : nullptr;
        double* mp = mean.data<double>();
        double* rp = invstd.data<double>();
        const double n = double(B * L);
        const auto& kern = kernel_for<T>(kernels::kernel_table().norm);
        parallel_for(
            0, C, std::max<int64_t>(1, kGrain / std::max<int64_t>(B * L, 1)),
            [&](int64_t cb, int64_t ce) {
                for (int64_t c = cb; c < ce; ++c) {
                    double mu, rs;
                    if (training) {
                        // One pass over x - x[0, c, 0]: sum and sum of squares (see ln_forward).
                        const double x0 = double(xp[c * L]);
                        double st[2] = {0.0, 0.0};
                        for (int64_t b = 0; b < B; ++b)
                            kern.bn_stats(st, xp + (b * C + c) * L, L, x0);
                        const double md = st[0] / n;
                        // the sum of squared deviations (inf, not inf - inf, when they overflow)
                        const double v =
                            std::isinf(st[1]) ? st[1] : std::max(st[1] - st[0] * md, 0.0);
                        mu = x0 + md;
                        rs = 1.0 / std::sqrt(v / n + eps);
                        if (rmp)
                            rmp[c * rms] =
                                T((1.0 - momentum) * double(rmp[c * rms]) + momentum * mu);
                        if (rvp)
                            rvp[c * rvs] =
                                T((1.0 - momentum) * double(rvp[c * rvs]) + momentum * v / (n - 1));
                    } else {
                        mu = double(rmp[c * rms]);
                        rs = 1.0 / std::sqrt(double(rvp[c * rvs]) + eps);
                    }
                    mp[c] = mu;
                    rp[c] = rs;
                    // y = (x - mean) * a + b, a = invstd * w (torch's x * a + (b - mean * a)
                    // loses the low bits of x * a when the mean is large against the spread).
                    const double wv = wp ? double(wp[c]) : 1.0, bv = bp ? double(bp[c]) : 0.0;
                    const double a = rs * wv;
                    for (int64_t b = 0; b < B; ++b) {
                        const int64_t o = (b * C + c) * L;
                        kern.bn_affine(yp + o, xp + o, L, T(mu), T(a), T(bv));
                    }
                }
            });
    });
    if (training) {
        if (running_mean.defined()) running_mean.bump_version();
        if (running_var.defined()) running_var.bump_version();
    }
    if (any_needs_grad({&x, &weight, &bias})) {
        auto node = make_node<NativeBatchNormBackward0>({&x, &weight, &bias});
        node->x = xc;
        if (weight.defined()) node->w = weight;
        node->mean = mean;
        node->invstd = invstd;
        node->training = training;
        node->B = B;
        node->C = C;
        node->L = L;
        set_grad_fn(y, node);
    }
    return y;
}

}  // namespace chainrule
