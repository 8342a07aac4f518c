// Fused optimizer update loops compiled for AVX-512 (-mavx512f -mavx512bw -mavx512vl).
// Internal linkage only; the one exported symbol is optim_kernels_avx512.
#include "optim_kernels.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include "optim_impl.h"

namespace chainrule::kernels {

bool optim_kernels_avx512(OptimKernels* out) {
    fill_optim(out);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool optim_kernels_avx512(OptimKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
