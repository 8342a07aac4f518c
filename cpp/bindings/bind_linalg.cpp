// Bindings of the linalg area: matmul (and @), mm, bmm, addmm, outer.
#include "common.h"

namespace chainrule::bind {

void bind_linalg(py::module_& m) {
    TensorClass cls = tensor_class(m);

    m.def("matmul", &matmul, py::arg("input"), py::arg("other"));
    cls.def("matmul", &matmul, py::arg("other"));
    // @ with a non-tensor operand returns NotImplemented, so Python can try the other side.
    cls.def("__matmul__", [](const Tensor& a, py::handle b) -> py::object {
        py::detail::make_caster<Tensor> c;
        if (!c.load(b, false)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
        return py::cast(matmul(a, py::detail::cast_op<Tensor>(c)));
    });
    cls.def("__rmatmul__", [](const Tensor& b, py::handle a) -> py::object {
        py::detail::make_caster<Tensor> c;
        if (!c.load(a, false)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
        return py::cast(matmul(py::detail::cast_op<Tensor>(c), b));
    });
    m.def("mm", &mm, py::arg("input"), py::arg("mat2"));
    cls.def("mm", &mm, py::arg("mat2"));
    m.def("bmm", &bmm, py::arg("input"), py::arg("mat2"));
    cls.def("bmm", &bmm, py::arg("mat2"));
    m.def("addmm", &addmm, py::arg("input"), py::arg("mat1"), py::arg("mat2"), py::kw_only(),
          py::arg("beta") = 1.0, py::arg("alpha") = 1.0);
    cls.def("addmm", &addmm, py::arg("mat1"), py::arg("mat2"), py::kw_only(),
            py::arg("beta") = 1.0, py::arg("alpha") = 1.0);
    m.def("outer", &outer, py::arg("input"), py::arg("vec2"));
    cls.def("outer", &outer, py::arg("vec2"));
    m.def("dot", &dot, py::arg("input"), py::arg("tensor"));
    cls.def("dot", &dot, py::arg("tensor"));
    m.def("vdot", &dot, py::arg("input"), py::arg("other"));
    m.def("mv", &mv, py::arg("input"), py::arg("vec"));
    cls.def("mv", &mv, py::arg("vec"));
}

}  // namespace chainrule::bind
