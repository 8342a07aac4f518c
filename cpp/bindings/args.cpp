// Argument conversion shared by all binding files.
#include "common.h"

namespace chainrule::bind {

TensorClass tensor_class(py::module_& m) {
    return py::reinterpret_borrow<TensorClass>(m.attr("Tensor"));
}

Tensor try_tensor_arg(py::handle h) {
    PyObject* o = h.ptr();
    // Python numbers first: asking pybind11's caster about a float costs a failed attribute
    // lookup (an exception) per call.
    if (PyFloat_CheckExact(o)) return wrapped_scalar(PyFloat_AS_DOUBLE(o));
    if (PyBool_Check(o)) return wrapped_scalar(o == Py_True);
    if (PyLong_CheckExact(o)) {
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow != 0) throw ValueError("value cannot be converted to int64 without overflow");
        return wrapped_scalar(static_cast<int64_t>(v));
    }
    py::detail::make_caster<Tensor> c;
    if (c.load(h, false)) return py::detail::cast_op<Tensor>(c);
    if (PyFloat_Check(o)) return wrapped_scalar(PyFloat_AsDouble(o));
    if (PyLong_Check(o)) return wrapped_scalar(static_cast<int64_t>(PyLong_AsLongLong(o)));
    // NumPy scalars and 0-d arrays (np.float32(1), np.int64(2), np.bool_(True)) behave as
    // Python numbers.
    if (py::hasattr(h, "dtype") && py::hasattr(h, "item") &&
        (!py::hasattr(h, "ndim") || py::cast<int>(h.attr("ndim")) == 0)) {
        py::object v = h.attr("item")();
        if (PyFloat_Check(v.ptr()) || PyLong_Check(v.ptr())) return try_tensor_arg(v);
    }
    return Tensor();
}

Tensor to_tensor_arg(py::handle h, const char* op) {
    Tensor t = try_tensor_arg(h);
    if (!t.defined()) {
        throw TypeError(detail::cat_str(op, ": expected a Tensor or a number; got ",
                                        std::string(py::str(py::type::of(h).attr("__name__")))));
    }
    return t;
}

Tensor optional_tensor_arg(py::handle h, const char* op, const char* what) {
    if (h.is_none()) return Tensor();
    Tensor t = try_tensor_arg(h);
    CR_CHECK(t.defined() && !t.impl()->wrapped_number, TypeError, op, ": ", what,
             " must be a Tensor or None; got ",
             std::string(py::str(py::type::of(h).attr("__name__"))));
    return t;
}

std::vector<int64_t> dims_arg(py::handle h, const char* op) {
    if (h.is_none()) return {};
    if (PyLong_Check(h.ptr())) return {py::cast<int64_t>(h)};
    if (PySequence_Check(h.ptr())) {
        std::vector<int64_t> out;
        for (py::handle e : py::reinterpret_borrow<py::sequence>(h)) {
            CR_CHECK(PyLong_Check(e.ptr()), TypeError, op, ": dims must be ints");
            out.push_back(py::cast<int64_t>(e));
        }
        CR_CHECK(!out.empty(), ValueError, op, ": dim list must not be empty");
        return out;
    }
    throw TypeError(detail::cat_str(op, ": dim must be an int or a tuple of ints"));
}

Shape shape_args(const py::args& args, const char* op) {
    py::sequence seq = args;
    if (args.size() == 1 && !PyLong_Check(args[0].ptr())) {
        CR_CHECK(PySequence_Check(args[0].ptr()), TypeError, op,
                 ": size must be ints or a sequence of ints");
        seq = py::reinterpret_borrow<py::sequence>(args[0]);
    }
    Shape s;
    for (py::handle e : seq) {
        CR_CHECK(PyLong_Check(e.ptr()) || py::hasattr(e, "__index__"), TypeError, op,
                 ": size must be ints; got ",
                 std::string(py::str(py::type::of(e).attr("__name__"))));
        s.push_back(py::cast<int64_t>(e.attr("__index__")()));
    }
    return s;
}

DType dtype_arg(py::handle h, DType fallback) {
    if (h.is_none()) return fallback;
    py::detail::make_caster<DType> c;
    if (c.load(h, false)) return py::detail::cast_op<DType>(c);
    if (h.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type)) return DType::Float64;
    if (h.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type)) return DType::Int64;
    if (h.ptr() == reinterpret_cast<PyObject*>(&PyBool_Type)) return DType::Bool;
    throw TypeError(
        detail::cat_str("dtype: expected a chainrule dtype (cr.float32, cr.float64, "
                        "cr.int64, cr.bool); got ",
                        std::string(py::repr(h))));
}

std::string method_doc(const char* name, const char* doc) {
    if (doc == nullptr) return {};
    const std::string d(doc);
    return d.substr(0, d.find('\n')) + "\n\nSee chainrule." + name + " (self is its input).\n";
}

void def_binary(py::module_& m, TensorClass& cls, const char* name, BinaryOp fn, const char* doc) {
    m.def(
        name,
        [fn, name](py::object a, py::object b) {
            return fn(to_tensor_arg(a, name), to_tensor_arg(b, name));
        },
        py::arg("input"), py::arg("other"), doc);
    cls.def(
        name, [fn, name](const Tensor& a, py::object b) { return fn(a, to_tensor_arg(b, name)); },
        py::arg("other"), method_doc(name, doc).c_str());
}

double number_arg(py::handle h, const char* op, const char* what) {
    Tensor t = try_tensor_arg(h);
    CR_CHECK(t.defined() && t.numel() == 1 && !t.requires_grad(), TypeError, op, ": ", what,
             " must be a number");
    return CR_DISPATCH_ALL(t.dtype(), op, [&] { return static_cast<double>(*t.data<scalar_t>()); });
}

std::optional<double> opt_double(py::handle h, const char* op) {
    if (h.is_none()) return std::nullopt;
    Tensor t = try_tensor_arg(h);
    CR_CHECK(t.defined() && t.numel() == 1, TypeError, op, ": bounds must be numbers");
    return CR_DISPATCH_ALL(t.dtype(), op, [&] { return static_cast<double>(*t.data<scalar_t>()); });
}

std::vector<int64_t> opt_dims(py::handle h, const char* op) {
    if (h.is_none()) return {};
    if (PyTuple_Check(h.ptr()) && PyTuple_GET_SIZE(h.ptr()) == 0) return {};
    return dims_arg(h, op);
}

std::vector<int64_t> red_dims(py::handle h, const char* op) {
    if (h.is_none()) return {};
    if (PyTuple_Check(h.ptr()) && PyTuple_GET_SIZE(h.ptr()) == 0) return {};
    if (PyList_Check(h.ptr()) && PyList_GET_SIZE(h.ptr()) == 0) return {};
    return dims_arg(h, op);
}

Tensor cast_opt(const Tensor& x, py::handle dtype) {
    if (dtype.is_none()) return x;
    return to_dtype(x, dtype_arg(dtype, x.dtype()));
}

}  // namespace chainrule::bind
