// softmax, log_softmax and cross-entropy loops with baseline flags (SSE2 on x86-64 by
// auto-vectorisation): 16 float lanes.
#include "softmax_impl.h"

namespace chainrule::kernels {

bool softmax_kernels_baseline(SoftmaxKernels* out) {
    fill_softmax<16>(out);
    return true;
}

}  // namespace chainrule::kernels
