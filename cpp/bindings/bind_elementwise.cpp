// Pointwise ops as cr.<op> functions, Tensor methods and Python operators: arithmetic, unary
// math, comparisons, predicates, rounding division and bitwise ops, dtype conversions.
#include "common.h"

namespace chainrule::bind {

namespace {

using Unary = Tensor (*)(const Tensor&);

DType dtype_of_obj(py::handle h) { return dtype_arg(h, kDefaultFloat); }

// alpha's value, after PyTorch's check of its Python type against the result dtype.
double alpha_arg(py::handle alpha, DType result, const char* op) {
    const bool is_bool = PyBool_Check(alpha.ptr());
    const bool is_float = !is_bool && PyFloat_Check(alpha.ptr());
    if (is_bool || is_float) check_alpha(result, is_float, is_bool, op);
    return alpha.cast<double>();
}

}  // namespace

void bind_elementwise(py::module_& m) {
    TensorClass cls = tensor_class(m);

    // ---- binary: cr.op(input, other), t.op(other), and the operators
    auto binary = [&](const char* name, BinaryOp fn, const char* dunder, const char* rdunder) {
        def_binary(m, cls, name, fn);
        if (dunder) {
            cls.def(dunder, [fn, name](const Tensor& a, py::object b) {
                return fn(a, to_tensor_arg(b, name));
            });
        }
        if (rdunder) {
            cls.def(rdunder, [fn, name](const Tensor& a, py::object b) {
                return fn(to_tensor_arg(b, name), a);
            });
        }
    };
    binary("mul", &mul, "__mul__", "__rmul__");
    binary("div", &div, "__truediv__", "__rtruediv__");
    binary("true_divide", &div, nullptr, nullptr);
    m.def(
        "pow",
        [](py::object a, py::object b) {
            return pow(to_tensor_arg(a, "pow"), to_tensor_arg(b, "pow"));
        },
        py::arg("input"), py::arg("exponent"));
    cls.def(
        "pow", [](const Tensor& a, py::object b) { return pow(a, to_tensor_arg(b, "pow")); },
        py::arg("exponent"));
    cls.def("__pow__", [](const Tensor& a, py::object b) { return pow(a, to_tensor_arg(b, "pow")); });
    cls.def("__rpow__",
            [](const Tensor& a, py::object b) { return pow(to_tensor_arg(b, "pow"), a); });
    binary("maximum", &maximum, nullptr, nullptr);
    binary("minimum", &minimum, nullptr, nullptr);
    binary("lt", &lt, "__lt__", nullptr);
    binary("le", &le, "__le__", nullptr);
    binary("gt", &gt, "__gt__", nullptr);
    binary("ge", &ge, "__ge__", nullptr);
    binary("logical_and", &logical_and, nullptr, nullptr);
    binary("logical_or", &logical_or, nullptr, nullptr);
    binary("eq", &eq, nullptr, nullptr);
    binary("ne", &ne, nullptr, nullptr);
    // == and != fall back to identity for objects that are not tensors or numbers.
    cls.def("__eq__", [](const Tensor& a, py::object b) -> py::object {
        Tensor t = try_tensor_arg(b);
        if (!t.defined()) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
        return py::cast(eq(a, t));
    });
    cls.def("__ne__", [](const Tensor& a, py::object b) -> py::object {
        Tensor t = try_tensor_arg(b);
        if (!t.defined()) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
        return py::cast(ne(a, t));
    });
    cls.def("__hash__", [](py::handle self) { return reinterpret_cast<intptr_t>(self.ptr()); });

    // add/sub carry alpha.
    auto with_alpha = [&](const char* name, Tensor (*fn)(const Tensor&, const Tensor&, double),
                          const char* dunder, const char* rdunder) {
        m.def(
            name,
            [fn, name](py::object a, py::object b, py::object alpha) {
                Tensor x = to_tensor_arg(a, name), y = to_tensor_arg(b, name);
                return fn(x, y, alpha_arg(alpha, arith_result_type(x, y), name));
            },
            py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
        cls.def(
            name,
            [fn, name](const Tensor& a, py::object b, py::object alpha) {
                Tensor y = to_tensor_arg(b, name);
                return fn(a, y, alpha_arg(alpha, arith_result_type(a, y), name));
            },
            py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
        cls.def(dunder, [fn, name](const Tensor& a, py::object b) {
            return fn(a, to_tensor_arg(b, name), 1.0);
        });
        cls.def(rdunder, [fn, name](const Tensor& a, py::object b) {
            return fn(to_tensor_arg(b, name), a, 1.0);
        });
    };
    with_alpha("add", &add, "__add__", "__radd__");
    with_alpha("sub", &sub, "__sub__", "__rsub__");
    m.attr("subtract") = m.attr("sub");

    // ---- unary
    auto unary = [&](const char* name, Unary fn) {
        m.def(name, fn, py::arg("input"));
        cls.def(name, fn);
    };
    unary("neg", &neg);
    unary("abs", &abs);
    unary("exp", &exp);
    unary("log", &log);
    unary("log1p", &log1p);
    unary("expm1", &expm1);
    unary("sqrt", &sqrt);
    unary("rsqrt", &rsqrt);
    unary("sin", &sin);
    unary("cos", &cos);
    unary("tanh", &tanh);
    unary("sigmoid", &sigmoid);
    unary("relu", &relu);
    unary("sign", &sign);
    unary("logical_not", &logical_not);
    unary("clone", &clone);
    unary("contiguous", &contiguous);
    cls.def("__neg__", &neg);
    cls.def("__abs__", &abs);

    auto clamp_fn = [](const Tensor& x, py::object min, py::object max) {
        return clamp(x, opt_double(min, "clamp"), opt_double(max, "clamp"));
    };
    m.def("clamp", clamp_fn, py::arg("input"), py::arg("min") = py::none(),
          py::arg("max") = py::none());
    m.def("clip", clamp_fn, py::arg("input"), py::arg("min") = py::none(),
          py::arg("max") = py::none());
    cls.def("clamp", clamp_fn, py::arg("min") = py::none(), py::arg("max") = py::none());
    cls.def("clip", clamp_fn, py::arg("min") = py::none(), py::arg("max") = py::none());

    m.def(
        "where",
        [](const Tensor& cond, py::object a, py::object b) {
            return where(cond, to_tensor_arg(a, "where"), to_tensor_arg(b, "where"));
        },
        py::arg("condition"), py::arg("input"), py::arg("other"));
    cls.def(
        "where",
        [](const Tensor& self, const Tensor& cond, py::object b) {
            return where(cond, self, to_tensor_arg(b, "where"));
        },
        py::arg("condition"), py::arg("other"));
    // ---- in-place arithmetic (the other in-place ops: bind_inplace.cpp)
    auto inplace = [&](const char* name, const char* dunder,
                       Tensor& (*fn)(Tensor&, const Tensor&)) {
        cls.def(
            name,
            [fn, name](Tensor& a, py::object b) -> Tensor& { return fn(a, to_tensor_arg(b, name)); },
            py::arg("other"));
        cls.def(dunder, [fn, name](Tensor& a, py::object b) -> Tensor& {
            return fn(a, to_tensor_arg(b, name));
        });
    };
    inplace("mul_", "__imul__", &mul_);
    inplace("div_", "__itruediv__", &div_);
    cls.def(
        "add_",
        [](Tensor& a, py::object b, py::object alpha) -> Tensor& {
            return add_(a, to_tensor_arg(b, "add_"), alpha_arg(alpha, a.dtype(), "add_"));
        },
        py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
    cls.def(
        "sub_",
        [](Tensor& a, py::object b, py::object alpha) -> Tensor& {
            return sub_(a, to_tensor_arg(b, "sub_"), alpha_arg(alpha, a.dtype(), "sub_"));
        },
        py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
    cls.def("__iadd__", [](Tensor& a, py::object b) -> Tensor& {
        return add_(a, to_tensor_arg(b, "add_"), 1.0);
    });
    cls.def("__isub__", [](Tensor& a, py::object b) -> Tensor& {
        return sub_(a, to_tensor_arg(b, "sub_"), 1.0);
    });

    // ---- dtype conversion
    cls.def(
        "to", [](const Tensor& t, py::object dtype) { return to_dtype(t, dtype_of_obj(dtype)); },
        py::arg("dtype"));
    cls.def("float", [](const Tensor& t) { return to_dtype(t, DType::Float32); });
    cls.def("double", [](const Tensor& t) { return to_dtype(t, DType::Float64); });
    cls.def("long", [](const Tensor& t) { return to_dtype(t, DType::Int64); });
    cls.def("bool", [](const Tensor& t) { return to_dtype(t, DType::Bool); });

    // ---- clamp_min / clamp_max and +x
    auto clamp_side = [&](const char* name, Tensor (*fn)(const Tensor&, double), const char* arg) {
        m.def(
            name,
            [fn, name](const Tensor& x, py::handle b) { return fn(x, number_arg(b, name, "bound")); },
            py::arg("input"), py::arg(arg));
        cls.def(
            name,
            [fn, name](const Tensor& x, py::handle b) { return fn(x, number_arg(b, name, "bound")); },
            py::arg(arg));
    };
    clamp_side("clamp_min", &clamp_min, "min");
    clamp_side("clamp_max", &clamp_max, "max");

    m.def("positive", &positive, py::arg("input"));
    cls.def("positive", &positive);
    cls.def("__pos__", &positive);

    // ---- predicates
    unary("isnan", &isnan);
    unary("isinf", &isinf);
    unary("isfinite", &isfinite);
    auto any_all = [&](const char* name,
                       Tensor (*fn)(const Tensor&, const std::vector<int64_t>&, bool)) {
        auto f = [fn, name](const Tensor& x, py::handle dim, bool keepdim) {
            return fn(x, opt_dims(dim, name), keepdim);
        };
        m.def(name, f, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);
        cls.def(name, f, py::arg("dim") = py::none(), py::arg("keepdim") = false);
    };
    any_all("any", &any);
    any_all("all", &all);
    m.def("isclose", &isclose, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-05,
          py::arg("atol") = 1e-08, py::arg("equal_nan") = false);
    cls.def("isclose", &isclose, py::arg("other"), py::arg("rtol") = 1e-05,
            py::arg("atol") = 1e-08, py::arg("equal_nan") = false);
    m.def("allclose", &allclose, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-05,
          py::arg("atol") = 1e-08, py::arg("equal_nan") = false);
    cls.def("allclose", &allclose, py::arg("other"), py::arg("rtol") = 1e-05,
            py::arg("atol") = 1e-08, py::arg("equal_nan") = false);
    m.def("equal", &equal, py::arg("input"), py::arg("other"));
    cls.def("equal", &equal, py::arg("other"));

    // ---- rounding division, bitwise and logical ops, with their operators
    // & | ^ ~ are the bitwise ops (logical on bool), returning NotImplemented for other types.
    auto bitwise = [&](const char* name, BinaryOp fn, const char* dunder, const char* rdunder) {
        def_binary(m, cls, name, fn);
        if (dunder) {
            cls.def(dunder, [fn](const Tensor& a, py::object b) -> py::object {
                Tensor t = try_tensor_arg(b);
                if (!t.defined()) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
                return py::cast(fn(a, t));
            });
        }
        if (rdunder) {
            cls.def(rdunder, [fn](const Tensor& a, py::object b) -> py::object {
                Tensor t = try_tensor_arg(b);
                if (!t.defined()) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
                return py::cast(fn(t, a));
            });
        }
    };
    bitwise("floor_divide", &floor_divide, "__floordiv__", "__rfloordiv__");
    bitwise("remainder", &remainder, "__mod__", "__rmod__");
    bitwise("bitwise_and", &bitwise_and, "__and__", "__rand__");
    bitwise("bitwise_or", &bitwise_or, "__or__", "__ror__");
    bitwise("bitwise_xor", &bitwise_xor, "__xor__", "__rxor__");
    bitwise("logical_xor", &logical_xor, nullptr, nullptr);
    unary("bitwise_not", &bitwise_not);
    cls.def("__invert__", &bitwise_not);

    auto div_mode = [](py::object a, py::object b, py::object mode) {
        std::optional<std::string> md;
        if (!mode.is_none()) md = py::cast<std::string>(mode);
        return div_rounding(to_tensor_arg(a, "div"), to_tensor_arg(b, "div"), md);
    };
    m.def("div", div_mode, py::arg("input"), py::arg("other"), py::kw_only(),
          py::arg("rounding_mode") = py::none());
    m.def("divide", div_mode, py::arg("input"), py::arg("other"), py::kw_only(),
          py::arg("rounding_mode") = py::none());
    cls.def(
        "div", [div_mode](py::object a, py::object b, py::object mode) { return div_mode(a, b, mode); },
        py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
    cls.def(
        "divide",
        [div_mode](py::object a, py::object b, py::object mode) { return div_mode(a, b, mode); },
        py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
}

}  // namespace chainrule::bind
