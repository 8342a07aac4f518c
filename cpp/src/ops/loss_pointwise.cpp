// The elementwise losses (mse, l1, huber, smooth_l1, kl_div, binary cross-entropy on
// probabilities and on logits) sharing one forward/backward engine. Cross-entropy and nll_loss
// are in loss_ce.cpp.
#include <cmath>
#include <limits>
#include <vector>

#include "../kernels/vec_math.h"
#include "loss_common.h"

namespace chainrule {

namespace {

using kernels::vexp;
using kernels::vexp_nonpositive;
using kernels::vlog1p;
inline float select(bool c, float a, float b) { return kernels::select(c, a, b); }
inline double select(bool c, double a, double b) { return kernels::select(c, a, b); }

// Each loss gives its value f and partials dx, dt at one element (x: input, t: target); p is
// its parameter (delta, beta) and pw the element's pos_weight (BCE with logits only). The
// engine multiplies by the element's weight, the upstream gradient and 1 / denominator.
struct Mse {
    static constexpr const char* kOp = "mse_loss";
    static constexpr const char* kNode = "MseLossBackward0";
    template <class T>
    static T f(T x, T t, T, T) {
        return (x - t) * (x - t);
    }
    template <class T>
    static T dx(T x, T t, T, T) {
        return T(2) * (x - t);
    }
    template <class T>
    static T dt(T x, T t, T, T) {
        return T(-2) * (x - t);
    }
};

// NOTE: the gradient at x == t is 0 (torch's sign of the difference), and 0 at nan as in torch.
struct L1 {
    static constexpr const char* kOp = "l1_loss";
    static constexpr const char* kNode = "L1LossBackward0";
    template <class T>
    static T sgn(T d) {
        return static_cast<T>(d > 0) - static_cast<T>(d < 0);
    }
    template <class T>
    static T f(T x, T t, T, T) {
        return std::abs(x - t);
    }
    template <class T>
    static T dx(T x, T t, T, T) {
        return sgn(x - t);
    }
    template <class T>
    static T dt(T x, T t, T, T) {
        return -sgn(x - t);
    }
};

// |d| < delta: d^2 / 2, else delta (|d| - delta / 2); the slope is +-delta from |d| = delta on.
struct Huber {
    static constexpr const char* kOp = "huber_loss";
    static constexpr const char* kNode = "HuberLossBackward0";
    template <class T>
    static T f(T x, T t, T p, T) {
        const T z = std::abs(x - t);
        return select(z < p, T(0.5) * z * z, p * (z - T(0.5) * p));
    }
    template <class T>
    static T dx(T x, T t, T p, T) {
        const T d = x - t;
        return select(d <= -p, -p, select(d >= p, p, d));
    }
    template <class T>
    static T dt(T x, T t, T p, T pw) {
        return -dx(x, t, p, pw);
    }
};

// |d| < beta: d^2 / (2 beta), else |d| - beta / 2 (beta = 0 is l1_loss, chosen by the caller).
struct SmoothL1 {
    static constexpr const char* kOp = "smooth_l1_loss";
    static constexpr const char* kNode = "SmoothL1LossBackward0";
    template <class T>
    static T f(T x, T t, T p, T) {
        const T z = std::abs(x - t);
        return select(z < p, T(0.5) * z * z / p, z - T(0.5) * p);
    }
    template <class T>
    static T dx(T x, T t, T p, T) {
        const T d = x - t;
        return select(d <= -p, T(-1), select(d >= p, T(1), d / p));
    }
    template <class T>
    static T dt(T x, T t, T p, T pw) {
        return -dx(x, t, p, pw);
    }
};

// f = xlogy(t, t) - t x. NOTE: dt = log t + t / t - x, nan at t = 0 exactly as torch's
// autograd of xlogy gives it.
struct KlDiv {
    static constexpr const char* kOp = "kl_div";
    static constexpr const char* kNode = "KlDivBackward0";
    template <class T>
    static T xlogy(T a, T b) {
        if (std::isnan(b)) return b;
        return a == 0 ? T(0) : a * std::log(b);
    }
    template <class T>
    static T f(T x, T t, T, T) {
        return xlogy(t, t) - t * x;
    }
    template <class T>
    static T dx(T, T t, T, T) {
        return -t;
    }
    template <class T>
    static T dt(T x, T t, T, T) {
        return xlogy(T(t != 0), t) + t / t - x;
    }
};

// log_target: f = exp(t) (t - x).
struct KlDivLogTarget {
    static constexpr const char* kOp = "kl_div";
    static constexpr const char* kNode = "KlDivBackward0";
    template <class T>
    static T f(T x, T t, T, T) {
        return vexp(t) * (t - x);
    }
    template <class T>
    static T dx(T, T t, T, T) {
        return -vexp(t);
    }
    template <class T>
    static T dt(T x, T t, T, T) {
        const T e = vexp(t);
        return e * (t - x) + e;
    }
};

// f = (t - 1) max(log(1 - x), -100) - t max(log x, -100)
// dx = (x - t) / max(x (1 - x), 1e-12)      dt = -logit(x)
struct Bce {
    static constexpr const char* kOp = "binary_cross_entropy";
    static constexpr const char* kNode = "BinaryCrossEntropyBackward0";
    template <class T>
    static T f(T x, T t, T, T) {
        const T l1 = vlog1p(-x), l0 = kernels::vlog(x);  // max(., -100) keeping NaN
        return (t - T(1)) * select(l1 < T(-100), T(-100), l1) -
               t * select(l0 < T(-100), T(-100), l0);
    }
    template <class T>
    static T dx(T x, T t, T, T) {
        // PyTorch's clamp is the float 1e-12 (9.99999996e-13) in float64 too: the same
        // gradient at x = 0 or 1, where it applies
        return (x - t) / std::max((T(1) - x) * x, T(1e-12f));
    }
    template <class T>
    static T dt(T x, T, T, T) {
        return -std::log(x / (T(1) - x));
    }
};

// Stable in e = exp(-|x|) <= 1: log_sigmoid(x) = min(x, 0) - log1p(e), sigmoid(x) = 1 / (1 + e)
// for x >= 0 and e / (1 + e) below, so nothing overflows for any logit.
// f = (1 - t) x - (1 + (pw - 1) t) log_sigmoid(x)
// dx = (pw t + 1 - t) sigmoid(x) - pw t      dt = log_sigmoid(-x) - pw log_sigmoid(x)  (-x, pw = 1)
template <bool kPosWeight>
struct BceLogits {
    static constexpr const char* kOp = "binary_cross_entropy_with_logits";
    static constexpr const char* kNode = "BinaryCrossEntropyWithLogitsBackward0";
    template <class T>
    static T softplus_neg_abs(T x) {  // log1p(exp(-|x|))
        return vlog1p(vexp_nonpositive(-std::abs(x)));
    }
    template <class T>
    static T f(T x, T t, T, T pw) {
        const T lw = kPosWeight ? (pw - T(1)) * t + T(1) : T(1);
        return (T(1) - t) * x - lw * (select(x < 0, x, T(0)) - softplus_neg_abs(x));
    }
    template <class T>
    static T dx(T x, T t, T, T pw) {
        const T e = vexp_nonpositive(-std::abs(x));
        const T sig = select(x >= 0, T(1), e) / (T(1) + e);
        if (!kPosWeight) return sig - t;
        const T pt = pw * t;
        return (pt + T(1) - t) * sig - pt;
    }
    template <class T>
    static T dt(T x, T, T, T pw) {
        if (!kPosWeight) return -x;
        const T sp = softplus_neg_abs(x);
        return (select(x > 0, -x, T(0)) - sp) - pw * (select(x < 0, x, T(0)) - sp);
    }
};

// Operands of an elementwise loss, contiguous at the loss's shape in its dtype.
struct PwArgs {
    Tensor x, t, w, pw;
};

// The raw pointers a kernel reads; pw points at x when absent (only BceLogits<true> reads it,
// and the dead loads of the other losses vanish once inlined).
template <class T>
struct PwPtrs {
    const T *x, *t, *w, *pw;
    explicit PwPtrs(const PwArgs& a)
        : x(a.x.data<T>()),
          t(a.t.data<T>()),
          w(a.w.defined() ? a.w.data<T>() : nullptr),
          pw(a.pw.defined() ? a.pw.data<T>() : x) {}
};

// o[i - b] = w_i f(x_i, t_i) for i in [b, e): the loop the compiler vectorises.
template <class L, bool kW, class T>
void pw_values(T* o, const PwPtrs<T>& a, int64_t b, int64_t e, T p) {
    for (int64_t i = b; i < e; ++i) {
        const T l = L::f(a.x[i], a.t[i], p, a.pw[i]);
        o[i - b] = kW ? l * a.w[i] : l;
    }
}

// Sum of v[0, n) in double, over 8 lanes combined in a fixed order.
template <class T>
double lane_sum(const T* v, int64_t n) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; ++k) acc[k] += static_cast<double>(v[i + k]);
    }
    double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; ++i) s += static_cast<double>(v[i]);
    return s;
}

template <class L, bool kW, class T>
Tensor pw_forward(const PwArgs& args, const Shape& shape, Reduction r, T p, double denom) {
    const int64_t n = numel_of(shape);
    const PwPtrs<T> a(args);
    if (r == Reduction::None) {
        Tensor out = empty(shape, dtype_of<T>::value);
        T* o = out.data<T>();
        parallel_for(0, n, kGrain / 4,
                     [&](int64_t b, int64_t e) { pw_values<L, kW, T>(o + b, a, b, e, p); });
        return out;
    }
    // Per block: values into a buffer (vectorised), then their lane sum.
    const double total = blocked_sum(n, 4, [&](int64_t b, int64_t e) {
        T buf[kSumBlock];
        pw_values<L, kW, T>(buf, a, b, e, p);
        return lane_sum(buf, e - b);
    });
    return scalar_tensor(r == Reduction::Sum ? total : total / denom, dtype_of<T>::value);
}

// d[i] = g_i w_i (df/dx or df/dt)(x_i, t_i), g_i = g[i] (kG) or the common scale.
template <class L, bool kTarget, bool kW, bool kG, class T>
void pw_grad(T* d, const PwPtrs<T>& a, const T* g, T scale, T p, int64_t n) {
    parallel_for(0, n, kGrain / 4, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            T s = kG ? g[i] : scale;
            if (kW) s *= a.w[i];
            d[i] = s * (kTarget ? L::dt(a.x[i], a.t[i], p, a.pw[i])
                                : L::dx(a.x[i], a.t[i], p, a.pw[i]));
        }
    });
}

template <class L, bool kTarget, class T>
void pw_grad_dispatch(T* d, const PwPtrs<T>& a, const T* g, T scale, T p, int64_t n) {
    if (a.w && g) pw_grad<L, kTarget, true, true, T>(d, a, g, scale, p, n);
    if (a.w && !g) pw_grad<L, kTarget, true, false, T>(d, a, g, scale, p, n);
    if (!a.w && g) pw_grad<L, kTarget, false, true, T>(d, a, g, scale, p, n);
    if (!a.w && !g) pw_grad<L, kTarget, false, false, T>(d, a, g, scale, p, n);
}

template <class L>
struct PointwiseLossBackward final : Node {
    SavedTensor input, target, weight, pos_weight;
    Shape shape;
    DType dtype = DType::Float32;
    Reduction reduction = Reduction::Mean;
    double p = 0, denom = 1;

    TensorList apply(TensorList&& g) override {
        const char* nm = L::kNode;
        const PwArgs a{
            dense(input.unpack(nm), shape, dtype), dense(target.unpack(nm), shape, dtype),
            dense(weight.unpack(nm), shape, dtype), dense(pos_weight.unpack(nm), shape, dtype)};
        const bool want_x = needs_input_grad(0), want_t = needs_input_grad(1);
        Tensor dx = want_x ? empty(shape, dtype) : Tensor();
        Tensor dt = want_t ? empty(shape, dtype) : Tensor();
        const RowGrad rg = row_grad(g[0], dtype, reduction, denom);
        const int64_t n = numel_of(shape);
        CR_DISPATCH_FLOAT(dtype, nm, [&] {
            using T = scalar_t;
            const PwPtrs<T> ptrs(a);
            const T* gp = rg.per_row.defined() ? rg.per_row.data<T>() : nullptr;
            const T scale = static_cast<T>(rg.scale), pp = static_cast<T>(p);
            if (want_x) pw_grad_dispatch<L, false, T>(dx.data<T>(), ptrs, gp, scale, pp, n);
            if (want_t) pw_grad_dispatch<L, true, T>(dt.data<T>(), ptrs, gp, scale, pp, n);
        });
        return {dx, dt};
    }
    std::string name() const override { return L::kNode; }
    void release_saved() override {
        input.reset();
        target.reset();
        weight.reset();
        pos_weight.reset();
    }
};

// input and target (and weight, pos_weight when given) broadcast together; computed in the
// result type of input and target. Weights are not differentiable (as in torch).
template <class L>
Tensor pointwise_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                      const Tensor& pos_weight, Reduction r, double p) {
    const char* op = L::kOp;
    detail::check_floating(input, op);
    CR_CHECK(target.dtype() != DType::Bool, TypeError, op,
             ": expected a floating-point target; got dtype bool");
    check_weight_dtype(weight, op, "weight");
    check_weight_dtype(pos_weight, op, "pos_weight");
    check_not_differentiable(weight, op, "weight");
    check_not_differentiable(pos_weight, op, "pos_weight");
    Shape shape = broadcast_shapes(input.shape(), target.shape(), op);
    if (weight.defined()) shape = broadcast_shapes(shape, weight.shape(), op);
    if (pos_weight.defined()) shape = broadcast_shapes(shape, pos_weight.shape(), op);
    const DType d = detail::result_type(input, target);
    double denom = static_cast<double>(numel_of(shape));
    if (r == Reduction::BatchMean) {
        denom = input.dim() > 0 ? static_cast<double>(input.shape()[0]) : 1.0;
    }
    const PwArgs a{dense(input, shape, d), dense(target, shape, d), dense(weight, shape, d),
                   dense(pos_weight, shape, d)};
    Tensor out = CR_DISPATCH_FLOAT(d, op, [&] {
        using T = scalar_t;
        const T pp = static_cast<T>(p);
        return weight.defined() ? pw_forward<L, true, T>(a, shape, r, pp, denom)
                                : pw_forward<L, false, T>(a, shape, r, pp, denom);
    });
    if (any_needs_grad({&input, &target})) {
        auto node = make_node<PointwiseLossBackward<L>>({&input, &target});
        node->input = input;
        node->target = target;
        node->weight = weight;
        node->pos_weight = pos_weight;
        node->shape = shape;
        node->dtype = d;
        node->reduction = r;
        node->p = p;
        node->denom = denom;
        set_grad_fn(out, node);
    }
    return out;
}

void check_no_batchmean(Reduction r, const char* op) {
    CR_CHECK(r != Reduction::BatchMean, ValueError, op,
             ": batchmean is not a valid value for reduction; expected 'none', 'mean' or 'sum'");
}

// torch's weighted regression losses, composed from ops: loss * weight, then sum / sum(weight)
// (mse, l1) or mean (huber) for reduction='mean'.
Tensor weighted(const Tensor& loss, const Tensor& input, const Tensor& weight, Reduction r,
                bool mean_by_weight, const char* op) {
    CR_CHECK(weight.shape() == input.shape(), ValueError, op,
             ": weight must have the input's shape ", shape_str(input.shape()), "; got ",
             shape_str(weight.shape()));
    Tensor wl = mul(loss, weight);
    if (r == Reduction::None) return wl;
    if (r == Reduction::Sum) return sum(wl);
    return mean_by_weight ? div(sum(wl), sum(weight)) : mean(wl);
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction,
                const Tensor& weight) {
    check_no_batchmean(reduction, "mse_loss");
    if (weight.defined()) {
        return weighted(pointwise_loss<Mse>(input, target, {}, {}, Reduction::None, 0), input,
                        weight, reduction, true, "mse_loss");
    }
    return pointwise_loss<Mse>(input, target, {}, {}, reduction, 0);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction,
               const Tensor& weight) {
    check_no_batchmean(reduction, "l1_loss");
    if (weight.defined()) {
        return weighted(pointwise_loss<L1>(input, target, {}, {}, Reduction::None, 0), input,
                        weight, reduction, true, "l1_loss");
    }
    return pointwise_loss<L1>(input, target, {}, {}, reduction, 0);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta,
                  const Tensor& weight) {
    check_no_batchmean(reduction, "huber_loss");
    CR_CHECK(delta > 0, ValueError, "huber_loss: delta must be positive; got ", delta);
    if (weight.defined()) {
        return weighted(pointwise_loss<Huber>(input, target, {}, {}, Reduction::None, delta), input,
                        weight, reduction, false, "huber_loss");
    }
    return pointwise_loss<Huber>(input, target, {}, {}, reduction, delta);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
    check_no_batchmean(reduction, "smooth_l1_loss");
    CR_CHECK(beta >= 0, ValueError, "smooth_l1_loss: beta must be non-negative; got ", beta);
    if (beta == 0) return pointwise_loss<L1>(input, target, {}, {}, reduction, 0);
    return pointwise_loss<SmoothL1>(input, target, {}, {}, reduction, beta);
}

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
    CR_CHECK(is_floating(target.dtype()), TypeError,
             "kl_div: expected a floating-point target; got dtype ", dtype_name(target.dtype()));
    if (log_target) return pointwise_loss<KlDivLogTarget>(input, target, {}, {}, reduction, 0);
    return pointwise_loss<KlDiv>(input, target, {}, {}, reduction, 0);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            Reduction reduction) {
    const char* op = "binary_cross_entropy";
    check_no_batchmean(reduction, op);
    CR_CHECK(target.shape() == input.shape(), ValueError, op, ": target shape ",
             shape_str(target.shape()), " must match input shape ", shape_str(input.shape()));
    detail::check_floating(input, op);
    CR_CHECK(is_floating(target.dtype()), TypeError, op,
             ": expected a floating-point target; got dtype ", dtype_name(target.dtype()));
    if (weight.defined()) {
        const Shape b = broadcast_shapes(input.shape(), weight.shape(), op);
        CR_CHECK(b == input.shape(), ValueError, op, ": weight of shape ",
                 shape_str(weight.shape()), " does not broadcast to the input's shape ",
                 shape_str(input.shape()));
    }
    // Values outside [0, 1] (and nan) have no log-likelihood: reject them before computing.
    for (const Tensor* t : {&input, &target}) {
        const Tensor c = dense(*t, t->shape(), t->dtype());
        const bool ok = CR_DISPATCH_FLOAT(c.dtype(), op, [&] {
            const scalar_t* v = c.data<scalar_t>();
            for (int64_t i = 0; i < c.numel(); ++i) {
                if (!(v[i] >= 0 && v[i] <= 1)) return false;
            }
            return true;
        });
        CR_CHECK(ok, ValueError, op, ": all elements of ", t == &input ? "input" : "target",
                 " should be between 0 and 1");
    }
    return pointwise_loss<Bce>(input, target, weight, {}, reduction, 0);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& weight, const Tensor& pos_weight,
                                        Reduction reduction) {
    const char* op = "binary_cross_entropy_with_logits";
    check_no_batchmean(reduction, op);
    CR_CHECK(target.shape() == input.shape(), ValueError, op, ": target shape ",
             shape_str(target.shape()), " must match input shape ", shape_str(input.shape()));
    CR_CHECK(is_floating(target.dtype()), TypeError, op,
             ": expected a floating-point target; got dtype ", dtype_name(target.dtype()));
    // PyTorch applies both weights in place on the loss: they may broadcast to the input's
    // shape but not enlarge it.
    for (const Tensor* w : {&weight, &pos_weight}) {
        if (!w->defined()) continue;
        const Shape b = broadcast_shapes(input.shape(), w->shape(), op);
        CR_CHECK(b == input.shape(), ValueError, op, ": ", w == &weight ? "weight" : "pos_weight",
                 " of shape ", shape_str(w->shape()), " does not broadcast to the input's shape ",
                 shape_str(input.shape()));
    }
    if (pos_weight.defined()) {
        return pointwise_loss<BceLogits<true>>(input, target, weight, pos_weight, reduction, 0);
    }
    return pointwise_loss<BceLogits<false>>(input, target, weight, {}, reduction, 0);
}

}  // namespace chainrule
