// Adagrad (with learning-rate decay, L2 weight decay and maximize): one fused pass over every
// parameter of a group. Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online
// Learning and Stochastic Optimization" (JMLR 2011). Formulas and rounding order:
// torch/optim/adagrad.py, _single_tensor_adagrad (dense gradients).
#include "../kernels/dispatch.h"
#include "fused.h"

namespace chainrule::optim {

namespace {

// The update loop is the level's (kernels/optim):
// g = sign grad (+ wd p); s = s + g g; p = p - clr g / (sqrt(s) + eps)
template <class T>
using AdagradCoeffs = kernels::AdagradCoeffs<T>;

template <class T>
AdagradCoeffs<T> adagrad_coeffs(const AdagradOptions& o, double step) {
    const double clr = o.lr / (1 + (step - 1) * o.lr_decay);  // PyTorch's clr, in double
    return AdagradCoeffs<T>{static_cast<T>(o.maximize ? -1 : 1), static_cast<T>(o.weight_decay),
                            static_cast<T>(o.eps), static_cast<T>(-clr),
                            o.weight_decay != 0 ? 1 : 0};
}

}  // namespace

void adagrad_step(const TensorVec& params, const TensorVec& grads, const TensorVec& state_sums,
                  const TensorVec& steps, const AdagradOptions& opt) {
    const char* op = "adagrad_step";
    detail::FusedCall call(op, params, grads);
    call.check_state("sum", state_sums);
    call.check_steps(steps);
    call.prepare();

    const std::vector<double> t = detail::increment_steps(steps);
    const kernels::OptimKernels& k = kernels::kernel_table().optim;

    call.for_each_range([&](size_t i, int64_t lo, int64_t hi) {
        const Tensor& p = call.param(i);
        detail::dispatch_float(p.dtype(), [&](auto zero) {
            using T = decltype(zero);
            const AdagradCoeffs<T> c = adagrad_coeffs<T>(opt, t[i]);
            detail::optim_table<T>(k).adagrad(p.data<T>() + lo, call.grad(i).data<T>() + lo,
                                              state_sums[i].data<T>() + lo, hi - lo, c);
        });
    });
    call.commit({&state_sums});
}

}  // namespace chainrule::optim
