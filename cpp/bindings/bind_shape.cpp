// Bindings of the shape area.
#include "common.h"

namespace chainrule::bind {

void bind_shape(py::module_& m) { (void)m; }

}  // namespace chainrule::bind
