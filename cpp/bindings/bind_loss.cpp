// Python bindings: Loss functions (cross-entropy, NLL, BCE, ...), fused where it pays.
#include "common.h"

namespace chainrule::bind {

void bind_loss(py::module_& m) { (void)m; }

}  // namespace chainrule::bind
