// Reduction loops compiled for AVX2 (-mavx2 -mfma): 32 float lanes.
// Internal linkage only; the one exported symbol is reduce_kernels_avx2.
#include "reduce_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include "reduce_impl.h"

namespace chainrule::kernels {

bool reduce_kernels_avx2(ReduceKernels* out) {
    fill_reduce<32>(out);
    return true;
}

}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool reduce_kernels_avx2(ReduceKernels*) { return false; }
}  // namespace chainrule::kernels

#endif
