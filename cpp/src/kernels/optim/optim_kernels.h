// The per-ISA update loops of the fused optimizer steps (optim/{adam,sgd,rmsprop,adagrad}.cpp):
// plain structs of function pointers and plain coefficient aggregates (no member functions: nothing
// here may become shared code between the ISA units and the rest of the library).
#pragma once
#include <cstdint>

namespace chainrule::kernels {

// Adam / AdamW constants of one step, in the parameter's dtype as PyTorch rounds them.
template <class T>
struct AdamCoeffs {
    T sign;          // -1 when maximizing
    T weight_decay;  // L2 form only
    T decay;         // 1 - lr wd (decoupled form), else 1
    T lerp_coeff;    // lerp(m, g, 1 - beta1): w or w - 1 (torch.lerp's two-sided formula)
    int lerp_small;  // |w| < 0.5: start from m, else from g
    T beta2, one_minus_beta2;
    T neg_step_size;          // -lr / (1 - beta1^t)
    T bias_correction2_sqrt;  // sqrt(1 - beta2^t)
    T eps;
    int l2, amsgrad;
};

// SGD: momentum 0 none, 1 plain, 2 Nesterov; first: the buffer starts as g (torch's clone).
template <class T>
struct SgdCoeffs {
    T sign;  // -1 when maximizing
    T weight_decay;
    T momentum;  // mu
    T one_minus_dampening;
    T neg_lr;
    int l2, momentum_kind, first;
};

// RMSprop (centered: grad_avg, momentum: momentum_buffer).
template <class T>
struct RmspropCoeffs {
    T sign;  // -1 when maximizing
    T weight_decay;
    T alpha, one_minus_alpha;
    T lerp_coeff;  // lerp(avg, g, 1 - alpha), as AdamCoeffs
    int lerp_small;
    T eps;
    T momentum;
    T neg_lr;
    int l2, centered, use_momentum;
};

template <class T>
struct AdagradCoeffs {
    T sign;  // -1 when maximizing
    T weight_decay;
    T eps;
    T neg_clr;  // -lr / (1 + (t - 1) lr_decay)
    int l2;
};

// One dtype's loops; every array is (n,), state arrays null where the options leave them out.
template <class T>
struct OptimKernel {
    void (*adam)(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamCoeffs<T>& c);
    void (*sgd)(T* p, const T* g, T* buf, int64_t n, const SgdCoeffs<T>& c);
    void (*rmsprop)(T* p, const T* g, T* sq, T* avg, T* buf, int64_t n, const RmspropCoeffs<T>& c);
    void (*adagrad)(T* p, const T* g, T* sum, int64_t n, const AdagradCoeffs<T>& c);
};

struct OptimKernels {
    OptimKernel<float> s;
    OptimKernel<double> d;
};

// Fill *out and return true, or return false when this build has no code for the level:
// one getter per level of chainrule/cpu_levels.def, each defined in that level's unit.
#define CR_CPU_LEVEL(Enum, name, ...) bool optim_kernels_##name(OptimKernels* out);
#include "chainrule/cpu_levels.def"

}  // namespace chainrule::kernels
