// softmax, log_softmax and cross-entropy loops compiled for AVX2 (-mavx2 -mfma): 32 float lanes.
// Internal linkage only; the one exported symbol is softmax_kernels_avx2.
#include "softmax_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include "softmax_impl.h"

namespace chainrule::kernels {

bool softmax_kernels_avx2(SoftmaxKernels* out) {
    fill_softmax<32>(out);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool softmax_kernels_avx2(SoftmaxKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
