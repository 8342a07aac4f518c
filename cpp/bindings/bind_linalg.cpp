// Bindings of the linalg area: matmul (and @), mm, bmm, addmm, outer.
#include "common.h"

namespace chainrule::bind {

void bind_linalg(py::module_& m) {
    TensorClass cls = tensor_class(m);

    m.def("matmul", &matmul, py::arg("input"), py::arg("other"),
          R"doc(Matrix product of input and other, as the @ operator.

1-d @ 1-d is a dot product (0-d result); a 1-d operand is treated as a row (left) or a
column (right) vector and that dim dropped afterwards; 2-d @ 2-d is mm; higher dims
are batches over the leading dims, which broadcast: (j, 1, n, m) @ (k, m, p) gives
(j, k, n, p). Gradient: grad @ other^T for input and input^T @ grad for other.
)doc");
    cls.def("matmul", &matmul, py::arg("other"), "self @ other. See chainrule.matmul.");
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
    m.def("mm", &mm, py::arg("input"), py::arg("mat2"),
          R"doc(Product of two matrices: (n, m) @ (m, p) gives (n, p).

Both must be 2-d with matching inner sizes and the same dtype; no broadcasting (see
chainrule.matmul for that).
)doc");
    cls.def("mm", &mm, py::arg("mat2"), "Matrix product self @ mat2 (2-d only). See chainrule.mm.");
    m.def("bmm", &bmm, py::arg("input"), py::arg("mat2"),
          R"doc(Batched matrix product: (b, n, m) @ (b, m, p) gives (b, n, p).

Both must be 3-d with the same batch size b; no broadcasting (see chainrule.matmul).
)doc");
    cls.def("bmm", &bmm, py::arg("mat2"),
            "Batched matrix product of 3-d tensors. See chainrule.bmm.");
    m.def("addmm", &addmm, py::arg("input"), py::arg("mat1"), py::arg("mat2"), py::kw_only(),
          py::arg("beta") = 1.0, py::arg("alpha") = 1.0,
          R"doc(beta * input + alpha * (mat1 @ mat2) in one op.

mat1 (n, m) and mat2 (m, p) are matrices; input broadcasts to (n, p) (a bias row of
shape (p,) is the usual case). With beta=0 input's values are ignored (NaN included).
)doc");
    cls.def("addmm", &addmm, py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1.0,
            py::arg("alpha") = 1.0, "beta * self + alpha * (mat1 @ mat2). See chainrule.addmm.");
    m.def("outer", &outer, py::arg("input"), py::arg("vec2"),
          R"doc(Outer product of two 1-d tensors: out[i, j] = input[i] * vec2[j].

input of size n and vec2 of size m give an (n, m) matrix.
)doc");
    cls.def("outer", &outer, py::arg("vec2"), "Outer product with vec2. See chainrule.outer.");
    m.def("dot", &dot, py::arg("input"), py::arg("tensor"),
          R"doc(Dot product of two 1-d tensors of the same size and dtype, as a 0-d tensor.

No broadcasting. Gradient: grad * tensor for input and grad * input for tensor.
)doc");
    cls.def("dot", &dot, py::arg("tensor"),
            R"doc(Dot product of 1-d self and tensor. See chainrule.dot.
)doc");
    m.def("vdot", &dot, py::arg("input"), py::arg("other"),
          R"doc(Dot product of two 1-d tensors; for real tensors the same as chainrule.dot.
)doc");
    m.def("mv", &mv, py::arg("input"), py::arg("vec"),
          R"doc(Matrix-vector product: an (n, m) input times an (m,) vec gives an (n,) result.

No broadcasting (see chainrule.matmul for that).
)doc");
    cls.def("mv", &mv, py::arg("vec"),
            R"doc(Matrix-vector product self @ vec. See chainrule.mv.
)doc");
}

}  // namespace chainrule::bind
