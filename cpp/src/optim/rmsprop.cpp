// RMSprop (optionally centered, with momentum, L2 weight decay and maximize): one fused pass
// over every parameter of a group. Hinton, "Neural Networks for Machine Learning", lecture 6e;
// centered form: Graves, "Generating Sequences With Recurrent Neural Networks"
// (arXiv:1308.0850). Formulas and rounding order: torch/optim/rmsprop.py, _single_tensor_rmsprop.
#include "../kernels/dispatch.h"
#include "fused.h"

namespace chainrule::optim {

namespace {

// The update loop is the level's (kernels/optim): g = sign grad (+ wd p);
// s = alpha s + (1 - alpha) g g; centered: a = lerp(a, g, 1 - alpha), d = sqrt(s - a a) + eps,
// else d = sqrt(s) + eps; momentum: b = mu b + g / d, p = p - lr b; else p = p - lr g / d.
template <class T>
using RmspropCoeffs = kernels::RmspropCoeffs<T>;

template <class T>
RmspropCoeffs<T> rmsprop_coeffs(const RmspropOptions& o) {
    const detail::Lerp<T> lerp(1.0 - o.alpha);
    return RmspropCoeffs<T>{static_cast<T>(o.maximize ? -1 : 1),
                            static_cast<T>(o.weight_decay),
                            static_cast<T>(o.alpha),
                            static_cast<T>(1.0 - o.alpha),
                            lerp.coeff,
                            lerp.small ? 1 : 0,
                            static_cast<T>(o.eps),
                            static_cast<T>(o.momentum),
                            static_cast<T>(-o.lr),
                            o.weight_decay != 0 ? 1 : 0,
                            o.centered ? 1 : 0,
                            o.momentum > 0 ? 1 : 0};
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
    const kernels::OptimKernels& k = kernels::kernel_table().optim;

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
            detail::optim_table<T>(k).rmsprop(p.data<T>() + lo, call.grad(i).data<T>() + lo,
                                              square_avgs[i].data<T>() + lo, avg, buf, hi - lo, *c);
        });
    });
    call.commit({&square_avgs, &momentum_buffers, &grad_avgs});
}

}  // namespace chainrule::optim
