// softmax, log_softmax and cross-entropy loops compiled for AVX-512 (-mavx512f -mavx512bw
// -mavx512vl): 64 float lanes. Internal linkage only; the one exported symbol is
// softmax_kernels_avx512.
#include "softmax_kernels.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include "softmax_impl.h"

namespace chainrule::kernels {

bool softmax_kernels_avx512(SoftmaxKernels* out) {
    fill_softmax<64>(out);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool softmax_kernels_avx512(SoftmaxKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
