// Elementwise kernels compiled with the avx512 flags (see elementwise_impl.h). Internal linkage
// only; the one exported symbol is elementwise_kernels_avx512.
#include "elementwise_kernels.h"

#if defined(__AVX512F__) && defined(__FMA__)
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 flags the _mm512_undefined_ps() pass-through inside _mm512_sqrt_ps.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "elementwise_impl.h"

namespace chainrule::kernels {
bool elementwise_kernels_avx512(ElementwiseKernels* out) { return ew_impl::fill_all(out); }
}  // namespace chainrule::kernels

#else

namespace chainrule::kernels {
bool elementwise_kernels_avx512(ElementwiseKernels*) { return false; }  // built without the flags
}  // namespace chainrule::kernels

#endif
