// The cr.Tensor class: attributes, autograd accessors and zero-copy NumPy conversion.
// Operators are added by bind_elementwise.cpp and the other op files.
#include <pybind11/numpy.h>

#include "common.h"

namespace chainrule::bind {

namespace {

py::dtype numpy_dtype(DType d) {
    switch (d) {
        case DType::Bool:
            return py::dtype::of<bool>();
        case DType::Int64:
            return py::dtype::of<int64_t>();
        case DType::Float32:
            return py::dtype::of<float>();
        case DType::Float64:
            return py::dtype::of<double>();
    }
    return py::dtype::of<float>();
}

std::vector<py::ssize_t> byte_strides(const Tensor& t) {
    std::vector<py::ssize_t> s;
    for (int64_t st : t.strides()) s.push_back(st * static_cast<int64_t>(itemsize(t.dtype())));
    return s;
}

void check_numpy_ok(const Tensor& t) {
    CR_CHECK(!t.requires_grad(), RuntimeError,
             "numpy: can't call numpy() on a tensor that requires grad; use "
             "tensor.detach().numpy() instead");
}

py::tuple shape_tuple(const Shape& s) {
    py::tuple t(s.size());
    for (size_t i = 0; i < s.size(); ++i) t[i] = py::int_(s[i]);
    return t;
}

}  // namespace

py::array to_numpy(const Tensor& t, py::handle owner) {
    check_numpy_ok(t);
    std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
    py::array a(numpy_dtype(t.dtype()), shape, byte_strides(t), t.raw_data(), owner);
    if (!t.storage()->writable()) {
        py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    }
    return a;
}

void bind_tensor(py::module_& m) {
    TensorClass cls(m, "Tensor", py::dynamic_attr(), py::buffer_protocol(),
                    "A multi-dimensional array with autograd; see chainrule's API.md.");
    cls.def_buffer([](TensorImpl& impl) {
        Tensor t(std::shared_ptr<TensorImpl>(std::shared_ptr<TensorImpl>{}, &impl));
        CR_CHECK(!t.requires_grad(), RuntimeError,
                 "buffer: can't export a tensor that requires grad; use tensor.detach()");
        std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
        py::dtype dt = numpy_dtype(t.dtype());
        return py::buffer_info(t.raw_data(), static_cast<py::ssize_t>(itemsize(t.dtype())),
                               std::string(1, dt.char_()), t.dim(), shape, byte_strides(t),
                               !t.storage()->writable());
    });

    cls.def_property_readonly("shape", [](const Tensor& t) { return shape_tuple(t.shape()); })
        .def_property_readonly("dtype", [](const Tensor& t) { return t.dtype(); })
        .def_property_readonly("ndim", [](const Tensor& t) { return t.dim(); })
        .def(
            "dim", [](const Tensor& t) { return t.dim(); },
            "The number of dims (0 for a scalar tensor); the same as .ndim.")
        .def(
            "numel", [](const Tensor& t) { return t.numel(); },
            "The number of elements: the product of the sizes (1 for a 0-d tensor).")
        .def(
            "size",
            [](const Tensor& t, py::object dim) -> py::object {
                if (dim.is_none()) return shape_tuple(t.shape());
                return py::int_(t.size(py::cast<int64_t>(dim)));
            },
            py::arg("dim") = py::none(),
            "The shape as a tuple, or with dim given the size of that dim (negative counts "
            "from the end).")
        .def(
            "stride",
            [](const Tensor& t, py::object dim) -> py::object {
                if (dim.is_none()) return shape_tuple(t.strides());
                return py::int_(t.strides()[wrap_dim(py::cast<int64_t>(dim), t.dim(), "stride")]);
            },
            py::arg("dim") = py::none(),
            "The strides in elements (not bytes) as a tuple, or the stride of dim.")
        .def(
            "storage_offset", [](const Tensor& t) { return t.offset(); },
            "Where the first element sits in the storage, counted in elements.")
        .def(
            "is_contiguous", [](const Tensor& t) { return t.is_contiguous(); },
            "True when the elements are laid out in row-major order without gaps.")
        .def(
            "data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.raw_data()); },
            "The address of the first element, as an int.")
        .def(
            "element_size", [](const Tensor& t) { return itemsize(t.dtype()); },
            "The size of one element in bytes (8 for float64 and int64).")
        .def(
            "is_floating_point", [](const Tensor& t) { return is_floating(t.dtype()); },
            "True for float32 and float64 tensors.")
        .def_property_readonly("_version", [](const Tensor& t) { return t.version(); })
        .def_property(
            "requires_grad", [](const Tensor& t) { return t.requires_grad(); },
            [](Tensor& t, bool r) {
                // The attribute refuses non-leaves whatever the value (as PyTorch);
                // requires_grad_(True) on a non-leaf is a no-op.
                CR_CHECK(t.is_leaf(), RuntimeError,
                         "requires_grad: you can only change requires_grad flags of "
                         "leaf variables; use .detach() for a tensor without history");
                t.set_requires_grad(r);
            })
        .def(
            "requires_grad_",
            [](Tensor& t, bool r) {
                t.set_requires_grad(r);
                return t;
            },
            py::arg("requires_grad") = true,
            R"doc(Sets whether autograd records operations on self; returns self.

Meant for leaves (tensors created by the user); only floating-point tensors can require
grad. On a non-leaf, requires_grad_(True) does nothing.
)doc")
        .def_property(
            "grad", [](const Tensor& t) { return t.grad(); },
            [](Tensor& t, py::object g) {
                if (g.is_none()) return t.set_grad(Tensor());
                Tensor v = try_tensor_arg(g);
                CR_CHECK(v.defined() && !v.impl()->wrapped_number, TypeError,
                         "grad: assigned grad expected to be a Tensor or None; got ",
                         std::string(py::str(py::type::of(g).attr("__name__"))));
                t.set_grad(v);
            })
        .def_property_readonly("is_leaf", [](const Tensor& t) { return t.is_leaf(); })
        .def_property_readonly("grad_fn", [](const Tensor& t) { return t.grad_fn(); })
        .def_property_readonly("output_nr", [](const Tensor& t) { return t.output_nr(); })
        .def_property_readonly("retains_grad", [](const Tensor& t) { return t.retains_grad(); })
        .def(
            "retain_grad", [](Tensor& t) { t.retain_grad(); },
            "Makes backward() also fill .grad of this non-leaf tensor (leaves always get it).")
        .def("_register_hook",
             [](Tensor& t, py::function fn) {
                 return t.register_hook([fn](const Tensor& g) -> Tensor {
                     py::gil_scoped_acquire gil;
                     py::object r = fn(g);
                     return r.is_none() ? Tensor() : py::cast<Tensor>(r);
                 });
             })
        .def("_remove_hook", [](Tensor& t, int64_t id) { t.remove_hook(id); })
        .def(
            "backward",
            [](const Tensor& t, py::object gradient, py::object retain_graph, bool create_graph) {
                CR_CHECK(!create_graph, RuntimeError,
                         "backward: create_graph=True (higher-order gradients) is not supported "
                         "yet");
                Tensor g = gradient.is_none() ? Tensor() : to_tensor_arg(gradient, "backward");
                const bool retain = !retain_graph.is_none() && py::cast<bool>(retain_graph);
                py::gil_scoped_release nogil;
                t.backward(g, retain);
            },
            py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(),
            py::arg("create_graph") = false,
            "Accumulates the gradient of this tensor into the .grad of every leaf.")
        .def(
            "item",
            [](const Tensor& t) -> py::object {
                // Read in place: `loss.item()` runs once per training step.
                CR_CHECK(t.numel() == 1, RuntimeError, "item: a Tensor with ", t.numel(),
                         " elements cannot be converted to Scalar");
                switch (t.dtype()) {
                    case DType::Float32:
                        return py::float_(*t.data<float>());
                    case DType::Float64:
                        return py::float_(*t.data<double>());
                    case DType::Int64:
                        return py::int_(*t.data<int64_t>());
                    case DType::Bool:
                        return py::bool_(*t.data<bool>());
                }
                return py::none();
            },
            "The value of a one-element tensor as a Python number.")
        .def(
            "detach", [](const Tensor& t) { return t.detach(); },
            "A tensor sharing storage, without history.")
        .def_property(
            "data", [](const Tensor& t) { return t.detach(); },
            [](Tensor& t, const Tensor& src) { t.set_data(src); })
        .def(
            "numpy", [](py::object self) { return to_numpy(py::cast<Tensor>(self), self); },
            "A NumPy array sharing memory (strided like the tensor).")
        .def(
            "__array__",
            [](py::object self, py::object dtype, py::object copy) -> py::object {
                py::array a = to_numpy(py::cast<Tensor>(self), self);
                if (!dtype.is_none()) return a.attr("astype")(dtype);
                if (!copy.is_none() && py::cast<bool>(copy)) return a.attr("copy")();
                return std::move(a);
            },
            py::arg("dtype") = py::none(), py::arg("copy") = py::none());
}

}  // namespace chainrule::bind
