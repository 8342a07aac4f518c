// Reduction loops with baseline flags (SSE2 on x86-64 by auto-vectorisation): 16 float lanes.
#include "reduce_impl.h"

namespace chainrule::kernels {

bool reduce_kernels_baseline(ReduceKernels* out) {
    fill_reduce<16>(out);
    return true;
}

}  // namespace chainrule::kernels
