// Adagrad (with learning-rate decay, L2 weight decay and maximize): one fused pass over every
// parameter of a group. Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online
// Learning and Stochastic Optimization" (JMLR 2011). Formulas and rounding order:
// torch/optim/adagrad.py, _single_tensor_adagrad (dense gradients).
#include "fused.h"

namespace chainrule::optim {

namespace {

template <class T>
struct AdagradCoeffs {
    T sign;  // -1 when maximizing
    T weight_decay;
    T eps;
    T neg_clr;  // -lr / (1 + (t - 1) lr_decay)
};

// g = sign grad (+ wd p); s = s + g g; p = p - clr g / (sqrt(s) + eps)
template <class T, bool kL2>
void adagrad_kernel(T* __restrict p, const T* __restrict g, T* __restrict sum, int64_t n,
                    const AdagradCoeffs<T>& c) {
    // p, g, sum: (n,)
    alignas(64) T root[detail::kBlock];
    for (int64_t b = 0; b < n; b += detail::kBlock) {
        const int64_t len = std::min(detail::kBlock, n - b);
        T* pb = p + b;
        const T* gb = g + b;
        T* sb = sum + b;
        for (int64_t i = 0; i < len; ++i) {
            T gi = c.sign * gb[i];
            if constexpr (kL2) gi = gi + c.weight_decay * pb[i];
            const T si = sb[i] + gi * gi;
            sb[i] = si;
            root[i] = si;
        }
        detail::sqrt_block(root, len);
        for (int64_t i = 0; i < len; ++i) {
            T gi = c.sign * gb[i];
            if constexpr (kL2) gi = gi + c.weight_decay * pb[i];
            pb[i] = pb[i] + c.neg_clr * gi / (root[i] + c.eps);
        }
    }
}

template <class T>
AdagradCoeffs<T> adagrad_coeffs(const AdagradOptions& o, double step) {
    const double clr = o.lr / (1 + (step - 1) * o.lr_decay);  // PyTorch's clr, in double
    return AdagradCoeffs<T>{static_cast<T>(o.maximize ? -1 : 1), static_cast<T>(o.weight_decay),
                            static_cast<T>(o.eps), static_cast<T>(-clr)};
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
    const bool l2 = opt.weight_decay != 0;

    call.for_each_range([&](size_t i, int64_t lo, int64_t hi) {
        const Tensor& p = call.param(i);
        detail::dispatch_float(p.dtype(), [&](auto zero) {
            using T = decltype(zero);
            const AdagradCoeffs<T> c = adagrad_coeffs<T>(opt, t[i]);
            detail::with_flags(
                [&](auto kl2) {
                    adagrad_kernel<T, decltype(kl2)::value>(p.data<T>() + lo,
                                                            call.grad(i).data<T>() + lo,
                                                            state_sums[i].data<T>() + lo, hi - lo,
                                                            c);
                },
                l2);
        });
    });
    call.commit({&state_sums});
}

}  // namespace chainrule::optim
