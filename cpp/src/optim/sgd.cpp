// SGD with optional momentum, dampening, Nesterov momentum, L2 weight decay and maximize:
// one fused pass over every parameter of a group. Nesterov momentum: Sutskever et al., "On
// the importance of initialization and momentum in deep learning" (ICML 2013). Formulas and
// rounding order: torch/optim/sgd.py, _single_tensor_sgd.
#include "../kernels/dispatch.h"
#include "fused.h"

namespace chainrule::optim {

namespace {

// The update loop is the level's (kernels/optim): g = sign grad (+ wd p); momentum:
// b = first ? g : mu b + (1 - dampening) g, g = nesterov ? g + mu b : b; p = p - lr g.
template <class T>
using SgdCoeffs = kernels::SgdCoeffs<T>;

template <class T>
SgdCoeffs<T> sgd_coeffs(const SgdOptions& o) {
    return SgdCoeffs<T>{static_cast<T>(o.maximize ? -1 : 1),
                        static_cast<T>(o.weight_decay),
                        static_cast<T>(o.momentum),
                        static_cast<T>(1.0 - o.dampening),
                        static_cast<T>(-o.lr),
                        o.weight_decay != 0 ? 1 : 0,
                        o.momentum == 0 ? 0 : (o.nesterov ? 2 : 1),
                        0};
}

}  // namespace

TensorVec sgd_step(const TensorVec& params, const TensorVec& grads,
                   const TensorVec& momentum_buffers, const SgdOptions& opt) {
    const char* op = "sgd_step";
    const bool use_momentum = opt.momentum != 0;
    detail::FusedCall call(op, params, grads);
    if (use_momentum) {
        call.check_optional_state("momentum_buffer", momentum_buffers);
    } else {
        call.check_state("momentum_buffer", momentum_buffers, false);
    }
    call.prepare();

    // Missing buffers start as this step's direction g (torch: buf = g.clone()).
    TensorVec buffers;
    std::vector<char> first;
    if (use_momentum) {
        buffers.reserve(params.size());
        first.resize(params.size(), 0);
        for (size_t i = 0; i < params.size(); ++i) {
            if (momentum_buffers[i].defined()) {
                buffers.push_back(momentum_buffers[i]);
            } else {
                buffers.push_back(empty(params[i].shape(), params[i].dtype()));
                first[i] = 1;
            }
        }
    }
    const SgdCoeffs<float> cf = sgd_coeffs<float>(opt);
    const SgdCoeffs<double> cd = sgd_coeffs<double>(opt);
    const kernels::OptimKernels& k = kernels::kernel_table().optim;

    call.for_each_range([&](size_t i, int64_t lo, int64_t hi) {
        const Tensor& p = call.param(i);
        detail::dispatch_float(p.dtype(), [&](auto zero) {
            using T = decltype(zero);
            const SgdCoeffs<T>* c = nullptr;
            if constexpr (std::is_same_v<T, float>) {
                c = &cf;
            } else {
                c = &cd;
            }
            SgdCoeffs<T> ci = *c;
            ci.first = use_momentum && first[i] != 0 ? 1 : 0;
            T* bp = use_momentum ? buffers[i].data<T>() + lo : nullptr;
            detail::optim_table<T>(k).sgd(p.data<T>() + lo, call.grad(i).data<T>() + lo, bp,
                                          hi - lo, ci);
        });
    });
    call.commit({&buffers});
    return buffers;
}

}  // namespace chainrule::optim
