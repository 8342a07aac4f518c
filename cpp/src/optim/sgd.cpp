// SGD with optional momentum, dampening, Nesterov momentum, L2 weight decay and maximize:
// one fused pass over every parameter of a group. Nesterov momentum: Sutskever et al., "On
// the importance of initialization and momentum in deep learning" (ICML 2013). Formulas and
// rounding order: torch/optim/sgd.py, _single_tensor_sgd.
#include "fused.h"

namespace chainrule::optim {

namespace {

template <class T>
struct SgdCoeffs {
    T sign;          // -1 when maximizing
    T weight_decay;  //
    T momentum;      // mu
    T one_minus_dampening;
    T neg_lr;
};

// g = sign grad (+ wd p); momentum: b = first ? g : mu b + (1 - dampening) g,
// g = nesterov ? g + mu b : b; p = p - lr g.   kMomentum: 0 none, 1 plain, 2 Nesterov.
template <class T, bool kL2, int kMomentum, bool kFirst>
void sgd_kernel(T* __restrict p, const T* __restrict g, T* __restrict buf, int64_t n,
                const SgdCoeffs<T>& c) {
    // p, g, buf: (n,)
    for (int64_t i = 0; i < n; ++i) {
        T gi = c.sign * g[i];
        if constexpr (kL2) gi = gi + c.weight_decay * p[i];
        if constexpr (kMomentum != 0) {
            T bi;
            if constexpr (kFirst) {
                bi = gi;
            } else {
                bi = buf[i] * c.momentum;
                bi = bi + c.one_minus_dampening * gi;
            }
            buf[i] = bi;
            gi = kMomentum == 2 ? gi + c.momentum * bi : bi;
        }
        p[i] = p[i] + c.neg_lr * gi;
    }
}

template <class T>
SgdCoeffs<T> sgd_coeffs(const SgdOptions& o) {
    return SgdCoeffs<T>{static_cast<T>(o.maximize ? -1 : 1), static_cast<T>(o.weight_decay),
                        static_cast<T>(o.momentum), static_cast<T>(1.0 - o.dampening),
                        static_cast<T>(-o.lr)};
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
    const bool l2 = opt.weight_decay != 0;

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
            T* pp = p.data<T>() + lo;
            const T* gp = call.grad(i).data<T>() + lo;
            const int64_t n = hi - lo;
            if (!use_momentum) {
                detail::with_flags(
                    [&](auto kl2) {
                        sgd_kernel<T, decltype(kl2)::value, 0, false>(pp, gp, nullptr, n, *c);
                    },
                    l2);
                return;
            }
            T* bp = buffers[i].data<T>() + lo;
            detail::with_flags(
                [&](auto kl2, auto knest, auto kfirst) {
                    sgd_kernel<T, decltype(kl2)::value, decltype(knest)::value ? 2 : 1,
                               decltype(kfirst)::value>(pp, gp, bp, n, *c);
                },
                l2, opt.nesterov, first[i] != 0);
        });
    });
    call.commit({&buffers});
    return buffers;
}

}  // namespace chainrule::optim
