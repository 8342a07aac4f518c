// Fused optimizer update loops compiled for AVX2 (-mavx2 -mfma).
// Internal linkage only; the one exported symbol is optim_kernels_avx2.
#include "optim_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include "optim_impl.h"

namespace chainrule::kernels {

bool optim_kernels_avx2(OptimKernels* out) {
    fill_optim(out);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool optim_kernels_avx2(OptimKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
