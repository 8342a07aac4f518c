// layer_norm row loops with baseline flags (SSE2 on x86-64 by auto-vectorisation): 16 float lanes.
#include "norm_impl.h"

namespace chainrule::kernels {

bool norm_kernels_baseline(NormKernels* out) {
    fill_norm<16>(out);
    return true;
}

}  // namespace chainrule::kernels
