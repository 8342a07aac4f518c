// Fused optimizer update loops with baseline flags (SSE2 on x86-64 by auto-vectorisation).
#include "optim_impl.h"

namespace chainrule::kernels {

bool optim_kernels_baseline(OptimKernels* out) {
    fill_optim(out);
    return true;
}

}  // namespace chainrule::kernels
