// Python bindings: Layer ops: fused linear (GEMM + bias) and dropout.
#include "common.h"

namespace chainrule::bind {

void bind_nn(py::module_& m) { (void)m; }

}  // namespace chainrule::bind
