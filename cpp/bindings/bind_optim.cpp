// Python bindings: fused optimizer updates (chainrule.optim calls these once per step).
#include "common.h"

namespace chainrule::bind {

void bind_optim(py::module_& m) { (void)m; }

}  // namespace chainrule::bind
