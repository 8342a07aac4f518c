// Adam and AdamW (decoupled weight decay): one fused pass over every parameter of a group.
// Kingma & Ba, "Adam: A Method for Stochastic Optimization" (arXiv:1412.6980); Loshchilov &
// Hutter, "Decoupled Weight Decay Regularization" (arXiv:1711.05101); Reddi et al., "On the
// Convergence of Adam and Beyond" (AMSGrad). Formulas and rounding order: torch/optim/adam.py,
// _single_tensor_adam.
#include "../kernels/dispatch.h"
#include "fused.h"

namespace chainrule::optim {

namespace {

// The update loop is the level's (kernels/optim: t += 1; g = sign grad (+ wd p);
// m = lerp(m, g, 1 - b1); v = b2 v + (1 - b2) g g; amsgrad: vmax = max(vmax, v);
// p = p decay - step_size m / (sqrt(vmax or v) / bc2 + eps)), with these constants.
template <class T>
using AdamCoeffs = kernels::AdamCoeffs<T>;

// The step-dependent scalars, in double as PyTorch computes them in Python.
struct AdamStepScalars {
    double step_size;              // lr / (1 - beta1^t)
    double bias_correction2_sqrt;  // sqrt(1 - beta2^t)
};

AdamStepScalars adam_step_scalars(const AdamOptions& o, double step) {
    const double bias_correction1 = 1.0 - std::pow(o.beta1, step);
    const double bias_correction2 = 1.0 - std::pow(o.beta2, step);
    return {o.lr / bias_correction1, std::sqrt(bias_correction2)};
}

template <class T>
AdamCoeffs<T> adam_coeffs(const AdamOptions& o, const AdamStepScalars& s) {
    const bool decoupled = o.decoupled_weight_decay && o.weight_decay != 0;
    const detail::Lerp<T> lerp1(1.0 - o.beta1);
    return AdamCoeffs<T>{
        static_cast<T>(o.maximize ? -1 : 1),
        static_cast<T>(o.weight_decay),
        static_cast<T>(decoupled ? 1.0 - o.lr * o.weight_decay : 1.0),
        lerp1.coeff,
        lerp1.small ? 1 : 0,
        static_cast<T>(o.beta2),
        static_cast<T>(1.0 - o.beta2),
        static_cast<T>(-s.step_size),
        static_cast<T>(s.bias_correction2_sqrt),
        static_cast<T>(o.eps),
        !o.decoupled_weight_decay && o.weight_decay != 0 ? 1 : 0,
        o.amsgrad ? 1 : 0,
    };
}

}  // namespace

void adam_step(const TensorVec& params, const TensorVec& grads, const TensorVec& exp_avgs,
               const TensorVec& exp_avg_sqs, const TensorVec& max_exp_avg_sqs,
               const TensorVec& steps, const AdamOptions& opt) {
    const char* op = opt.decoupled_weight_decay ? "adamw_step" : "adam_step";
    detail::FusedCall call(op, params, grads);
    call.check_state("exp_avg", exp_avgs);
    call.check_state("exp_avg_sq", exp_avg_sqs);
    call.check_state("max_exp_avg_sq", max_exp_avg_sqs, opt.amsgrad);
    call.check_steps(steps);
    call.prepare();

    const std::vector<double> t = detail::increment_steps(steps);
    std::vector<AdamStepScalars> scalars(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
        // The parameters of a group usually share their step count: pow() once.
        scalars[i] = i > 0 && t[i] == t[i - 1] ? scalars[i - 1] : adam_step_scalars(opt, t[i]);
    }
    const kernels::OptimKernels& k = kernels::kernel_table().optim;

    call.for_each_range([&](size_t i, int64_t lo, int64_t hi) {
        const Tensor& p = call.param(i);
        detail::dispatch_float(p.dtype(), [&](auto zero) {
            using T = decltype(zero);
            const AdamCoeffs<T> c = adam_coeffs<T>(opt, scalars[i]);
            T* vmax = opt.amsgrad ? max_exp_avg_sqs[i].data<T>() + lo : nullptr;
            T* pp = p.data<T>() + lo;
            const T* gp = call.grad(i).data<T>() + lo;
            T* mp = exp_avgs[i].data<T>() + lo;
            T* vp = exp_avg_sqs[i].data<T>() + lo;
            detail::optim_table<T>(k).adam(pp, gp, mp, vp, vmax, hi - lo, c);
        });
    });
    call.commit({&exp_avgs, &exp_avg_sqs, &max_exp_avg_sqs});
}

}  // namespace chainrule::optim
