// The per-ISA update loops of the fused optimizer steps (optim/adam.cpp): plain structs of
// function pointers and plain coefficient aggregates (no member functions: nothing here may
// become shared code between the ISA units and the rest of the library).
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

// p, g, m, v, vmax: (n,) (vmax null without amsgrad).
template <class T>
using AdamFn = void (*)(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamCoeffs<T>& c);

struct OptimKernels {
    AdamFn<float> adam_f32;
    AdamFn<double> adam_f64;
};

bool optim_kernels_baseline(OptimKernels* out);
bool optim_kernels_avx2(OptimKernels* out);
bool optim_kernels_avx512(OptimKernels* out);

}  // namespace chainrule::kernels
