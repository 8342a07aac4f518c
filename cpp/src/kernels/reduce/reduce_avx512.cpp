// Reduction loops compiled for AVX-512 (-mavx512f -mavx512bw -mavx512vl): 64 float lanes.
// Internal linkage only; the one exported symbol is reduce_kernels_avx512.
#include "reduce_kernels.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include "reduce_impl.h"

namespace chainrule::kernels {

bool reduce_kernels_avx512(ReduceKernels* out) {
    fill_reduce<64>(out);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool reduce_kernels_avx512(ReduceKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
