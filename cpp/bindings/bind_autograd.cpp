// Bindings of the autograd area: graph nodes, grad mode, anomaly mode, hook handles and the
// engine's entry points. The Python face (no_grad, grad, Function, gradcheck) is
// python/chainrule/autograd/.
#include <cstdio>

#include "common.h"
#include "py_function.h"

namespace chainrule::bind {

namespace {

// Returned by Tensor.register_hook. Holds the tensor and the node the hook went to weakly,
// so a handle neither keeps a graph alive nor dangles when the tensor is gone.
struct RemovableHandle {
    std::weak_ptr<TensorImpl> tensor;
    std::weak_ptr<Node> node;  // the grad_fn at registration (non-leaf tensors)
    int64_t id = 0;

    void remove() {
        if (auto n = node.lock()) {
            auto& hs = n->pre_hooks;
            for (auto it = hs.begin(); it != hs.end(); ++it) {
                if (std::get<1>(*it) == id) {
                    hs.erase(it);
                    break;
                }
            }
        }
        if (auto impl = tensor.lock()) Tensor(impl).remove_hook(id);
    }
};

TensorList tensor_list(py::handle seq, const char* op, const char* what, bool allow_none) {
    TensorList out;
    for (py::handle h : py::reinterpret_borrow<py::sequence>(seq)) {
        if (allow_none && h.is_none()) {
            out.emplace_back();
            continue;
        }
        Tensor t = try_tensor_arg(h);
        CR_CHECK(t.defined() && !t.impl()->wrapped_number, TypeError, op, ": ", what,
                 " must be Tensors; got ", std::string(py::str(py::type::of(h).attr("__name__"))));
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace

void bind_autograd(py::module_& m) {
    py::class_<Node, std::shared_ptr<Node>>(m, "Node", "A backward function in the graph.")
        .def("name", &Node::name, "The node's name, e.g. 'ExpBackward0' (as in PyTorch).")
        .def_property_readonly(
            "next_functions",
            [](const Node& n) {
                py::tuple t(n.next_edges.size());
                for (size_t i = 0; i < n.next_edges.size(); ++i) {
                    const Edge& e = n.next_edges[i];
                    t[i] = py::make_tuple(e.fn ? py::cast(e.fn) : py::none(), e.input_nr);
                }
                return t;
            },
            "One (node, input_nr) pair per input of the op; (None, 0) for inputs without grad.")
        .def("__repr__",
             [](const Node& n) {
                 char addr[32];
                 std::snprintf(addr, sizeof(addr), "%p", static_cast<const void*>(&n));
                 return "<" + n.name() + " object at " + addr + ">";
             })
        .def("__eq__",
             [](const Node& a, py::object b) {
                 return py::isinstance<Node>(b) && &a == &py::cast<const Node&>(b);
             })
        .def("__hash__", [](const Node& n) { return std::hash<const Node*>{}(&n); });

    py::class_<RemovableHandle>(m, "RemovableHandle",
                                "Returned by Tensor.register_hook; .remove() removes the hook.")
        .def(py::init([](const Tensor& t, int64_t id) {
                 RemovableHandle h;
                 h.tensor = t.impl_ptr();
                 if (t.grad_fn()) h.node = t.grad_fn();
                 h.id = id;
                 return h;
             }),
             py::arg("tensor"), py::arg("id"))
        .def_readonly("id", &RemovableHandle::id)
        .def("remove", &RemovableHandle::remove, "Removes the hook; a second call does nothing.")
        .def("__enter__", [](RemovableHandle& h) { return h; })
        .def("__exit__", [](RemovableHandle& h, py::args) { h.remove(); });

    m.def("is_grad_enabled", &grad_enabled, "True when operations record autograd history.");
    m.def("_set_grad_enabled", &set_grad_enabled, py::arg("mode"));
    m.def("is_anomaly_enabled", &anomaly_enabled,
          "True when backward checks every node's gradients for NaN/Inf.");
    m.def("_set_anomaly_enabled", &set_anomaly_enabled, py::arg("mode"));

    m.def(
        "_run_grad",
        [](py::sequence outputs, py::sequence grad_outputs, py::sequence inputs, bool retain_graph,
           bool allow_unused) {
            TensorList outs = tensor_list(outputs, "grad", "outputs", false);
            TensorList gouts = tensor_list(grad_outputs, "grad", "grad_outputs", true);
            TensorList ins = tensor_list(inputs, "grad", "inputs", false);
            TensorList res;
            {
                py::gil_scoped_release nogil;
                res = run_grad(outs, gouts, ins, retain_graph, allow_unused);
            }
            py::tuple t(res.size());
            for (size_t i = 0; i < res.size(); ++i) t[i] = py::cast(res[i]);
            return t;
        },
        py::arg("outputs"), py::arg("grad_outputs"), py::arg("inputs"), py::arg("retain_graph"),
        py::arg("allow_unused"));

    m.def(
        "_run_backward",
        [](py::sequence tensors, py::sequence grad_tensors, bool retain_graph) {
            TensorList roots = tensor_list(tensors, "backward", "tensors", false);
            TensorList grads = tensor_list(grad_tensors, "backward", "grad_tensors", true);
            py::gil_scoped_release nogil;
            run_backward(roots, grads, retain_graph);
        },
        py::arg("tensors"), py::arg("grad_tensors"), py::arg("retain_graph"));

    bind_py_function(m);
}

}  // namespace chainrule::bind
