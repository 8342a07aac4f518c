// layer_norm row loops compiled for AVX512 (-mavx512f -mavx512bw -mavx512vl): 64 float lanes.
// Internal linkage only; the one exported symbol is norm_kernels_avx512.
#include "norm_kernels.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include "norm_impl.h"

namespace chainrule::kernels {

bool norm_kernels_avx512(NormKernels* out) {
    fill_norm<64>(out);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool norm_kernels_avx512(NormKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
