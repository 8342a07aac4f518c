// cr.autograd.Function support: the graph node whose backward is a Python callable.
#pragma once
#include "common.h"

namespace chainrule::bind {

// Registers _C._attach_function_node (used by python/chainrule/autograd/function.py).
void bind_py_function(py::module_& m);

}  // namespace chainrule::bind
