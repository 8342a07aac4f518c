// Bindings of the linalg area.
#include "common.h"

namespace chainrule::bind {

void bind_linalg(py::module_& m) { (void)m; }

}  // namespace chainrule::bind
