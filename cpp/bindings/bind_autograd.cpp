// Bindings of the autograd area: graph nodes, grad mode and the engine's entry points.
#include "common.h"

namespace chainrule::bind {

void bind_autograd(py::module_& m) {
    py::class_<Node, std::shared_ptr<Node>>(m, "Node", "A backward function in the graph.")
        .def("name", &Node::name)
        .def_property_readonly("next_functions",
                               [](const Node& n) {
                                   py::tuple t(n.next_edges.size());
                                   for (size_t i = 0; i < n.next_edges.size(); ++i) {
                                       const Edge& e = n.next_edges[i];
                                       t[i] = py::make_tuple(
                                           e.fn ? py::cast(e.fn) : py::none(), e.input_nr);
                                   }
                                   return t;
                               })
        .def("__repr__",
             [](const Node& n) { return "<" + n.name() + " object>"; });
    m.def("is_grad_enabled", &grad_enabled);
    m.def("_set_grad_enabled", &set_grad_enabled, py::arg("mode"));
}

}  // namespace chainrule::bind
