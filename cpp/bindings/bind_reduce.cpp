// Bindings of the reduce area.
#include "common.h"

namespace chainrule::bind {

void bind_reduce(py::module_& m) { (void)m; }

}  // namespace chainrule::bind
