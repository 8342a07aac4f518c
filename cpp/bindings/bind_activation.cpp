// Python bindings: Activation functions (leaky_relu, elu, gelu, silu, softplus, ...).
#include "common.h"

namespace chainrule::bind {

void bind_activation(py::module_& m) { (void)m; }

}  // namespace chainrule::bind
