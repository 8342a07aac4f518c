// Portable GEMM kernels (plain C++, baseline flags; SSE2 on x86-64 by auto-vectorisation):
// float 4x8 and double 4x4 register tiles. Used where no SIMD level is available or forced
// with CHAINRULE_CPU_CAPABILITY=baseline. Internal linkage only, like the ISA units.
#include "gemm_impl.h"
#include "gemm_kernels.h"

namespace chainrule::kernels {

bool gemm_kernels_baseline(GemmKernels* out) {
    fill<ScalarVec<float>, 4, 8, 4, 8>(&out->s);
    fill<ScalarVec<double>, 4, 4, 4, 4>(&out->d);
    return true;
}

}  // namespace chainrule::kernels
