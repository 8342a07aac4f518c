// Elementwise kernels compiled with the baseline flags (SSE2 on x86-64; see
// elementwise_impl.h): the table of the baseline level and of non-x86 builds.
#include "elementwise_impl.h"

namespace chainrule::kernels {
bool elementwise_kernels_baseline(ElementwiseKernels* out) { return ew_impl::fill_all(out); }
}  // namespace chainrule::kernels
