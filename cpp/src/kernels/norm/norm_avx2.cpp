// layer_norm row loops compiled for AVX2 (-mavx2 -mfma): 32 float lanes.
// Internal linkage only; the one exported symbol is norm_kernels_avx2.
#include "norm_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include "norm_impl.h"

namespace chainrule::kernels {

bool norm_kernels_avx2(NormKernels* out) {
    fill_norm<32>(out);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool norm_kernels_avx2(NormKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
