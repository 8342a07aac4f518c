// Elementwise kernels compiled with the avx2 flags (see elementwise_impl.h). Internal linkage
// only; the one exported symbol is elementwise_kernels_avx2.
#include "elementwise_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include "elementwise_impl.h"

namespace chainrule::kernels {
bool elementwise_kernels_avx2(ElementwiseKernels* out) { return ew_impl::fill_all(out); }
}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool elementwise_kernels_avx2(ElementwiseKernels*) { return false; }  // built without the flags
}  // namespace chainrule::kernels

#endif
