// RMSprop (optionally centered, with momentum, L2 weight decay and maximize): one fused pass
// over every parameter of a group. Hinton, "Neural Networks for Machine Learning", lecture 6e;
// centered form: Graves, "Generating Sequences With Recurrent Neural Networks"
// (arXiv:1308.0850). Formulas and rounding order: torch/optim/rmsprop.py, _single_tensor_rmsprop.
#include "fused.h"

namespace chainrule::optim {

namespace {

template <class T>
struct RmspropCoeffs {
    T sign;  // -1 when maximizing
    T weight_decay;
    T alpha, one_minus_alpha;
    detail::Lerp<T> lerp;  // weight 1 - alpha (centered)
    T eps;
    T momentum;
    T neg_lr;
};

// g = sign grad (+ wd p); s = alpha s + (1 - alpha) g g; centered: a = lerp(a, g, 1 - alpha),
// d = sqrt(s - a a) + eps, else d = sqrt(s) + eps; momentum: b = mu b + g / d, p = p - lr b;
// else p = p - lr g / d.
template <class T, bool kL2, bool kCentered, bool kMomentum>
void rmsprop_kernel(T* __restrict p, const T* __restrict g, T* __restrict sq, T* __restrict avg,
                    T* __restrict buf, int64_t n, const RmspropCoeffs<T>& c) {
    // p, g, sq, avg, buf: (n,)
    alignas(64) T root[detail::kBlock];
    for (int64_t b = 0; b < n; b += detail::kBlock) {
        const int64_t len = std::min(detail::kBlock, n - b);
        T* pb = p + b;
        const T* gb = g + b;
        T* sb = sq + b;
        for (int64_t i = 0; i < len; ++i) {
            T gi = c.sign * gb[i];
            if constexpr (kL2) gi = gi + c.weight_decay * pb[i];
            T si = sb[i] * c.alpha;
            si = si + c.one_minus_alpha * gi * gi;
            sb[i] = si;
            if constexpr (kCentered) {
                const T ai = c.lerp(avg[b + i], gi);
                avg[b + i] = ai;
                si = si + -ai * ai;
            }
            root[i] = si;
        }
        detail::sqrt_block(root, len);
        for (int64_t i = 0; i < len; ++i) {
            T gi = c.sign * gb[i];
            if constexpr (kL2) gi = gi + c.weight_decay * pb[i];
            const T d = root[i] + c.eps;
            if constexpr (kMomentum) {
                T bi = buf[b + i] * c.momentum;
                bi = bi + gi / d;
                buf[b + i] = bi;
                pb[i] = pb[i] + c.neg_lr * bi;
            } else {
                pb[i] = pb[i] + c.neg_lr * gi / d;
            }
        }
    }
}

template <class T>
RmspropCoeffs<T> rmsprop_coeffs(const RmspropOptions& o) {
    return RmspropCoeffs<T>{static_cast<T>(o.maximize ? -1 : 1),
                            static_cast<T>(o.weight_decay),
                            static_cast<T>(o.alpha),
                            static_cast<T>(1.0 - o.alpha),
                            detail::Lerp<T>(1.0 - o.alpha),
                            static_cast<T>(o.eps),
                            static_cast<T>(o.momentum),
                            static_cast<T>(-o.lr)};
}

}  // namespace

void rmsprop_step(const TensorVec& params, const TensorVec& grads, const TensorVec& square_avgs,
                  const TensorVec& momentum_buffers, const TensorVec& grad_avgs,
                  const TensorVec& steps, const RmspropOptions& opt) {
    const char* op = "rmsprop_step";
    const bool use_momentum = opt.momentum > 0;
    detail::FusedCall call(op, params, grads);
    call.check_state("square_avg", square_avgs);
    call.check_state("momentum_buffer", momentum_buffers, use_momentum);
    call.check_state("grad_avg", grad_avgs, opt.centered);
    call.check_steps(steps);
    call.prepare();

    detail::increment_steps(steps);
    const RmspropCoeffs<float> cf = rmsprop_coeffs<float>(opt);
    const RmspropCoeffs<double> cd = rmsprop_coeffs<double>(opt);
    const bool l2 = opt.weight_decay != 0;

    call.for_each_range([&](size_t i, int64_t lo, int64_t hi) {
        const Tensor& p = call.param(i);
        detail::dispatch_float(p.dtype(), [&](auto zero) {
            using T = decltype(zero);
            const RmspropCoeffs<T>* c = nullptr;
            if constexpr (std::is_same_v<T, float>) {
                c = &cf;
            } else {
                c = &cd;
            }
            T* avg = opt.centered ? grad_avgs[i].data<T>() + lo : nullptr;
            T* buf = use_momentum ? momentum_buffers[i].data<T>() + lo : nullptr;
            detail::with_flags(
                [&](auto kl2, auto kcen, auto kmom) {
                    rmsprop_kernel<T, decltype(kl2)::value, decltype(kcen)::value,
                                   decltype(kmom)::value>(
                        p.data<T>() + lo, call.grad(i).data<T>() + lo,
                        square_avgs[i].data<T>() + lo, avg, buf, hi - lo, *c);
                },
                l2, opt.centered, use_momentum);
        });
    });
    call.commit({&square_avgs, &momentum_buffers, &grad_avgs});
}

}  // namespace chainrule::optim
