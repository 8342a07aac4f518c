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
    auto binary = [&](const char* name, BinaryOp fn, const char* dunder, const char* rdunder,
                      const char* doc) {
        def_binary(m, cls, name, fn, doc);
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
    binary("mul", &mul, "__mul__", "__rmul__", R"doc(Elementwise product input * other.

input and other broadcast to a common shape; either may be a Python number. The result
dtype follows PyTorch's type promotion. Gradient: grad * other for input and grad * input
for other, each summed back over the dims broadcasting added.
)doc");
    binary("div", &div, "__truediv__", "__rtruediv__",
           R"doc(Elementwise true division input / other.

Broadcasts; either operand may be a number. Integer and bool operands give a floating
result (float32 by default), never a rounded quotient; see rounding_mode for that.
Gradient: grad / other for input, -grad * input / other**2 for other.
)doc");
    binary("true_divide", &div, nullptr, nullptr,
           R"doc(Elementwise true division; the same op as chainrule.div.

Broadcasts; integer operands give a floating result.
)doc");
    m.def(
        "pow",
        [](py::object a, py::object b) {
            return pow(to_tensor_arg(a, "pow"), to_tensor_arg(b, "pow"));
        },
        py::arg("input"), py::arg("exponent"),
        R"doc(input raised to the power exponent, elementwise.

input and exponent broadcast; either may be a Python number (cr.pow(2, t) works).
Gradient: exponent * input**(exponent - 1) for input and out * log(input) for a tensor
exponent.
)doc");
    cls.def(
        "pow", [](const Tensor& a, py::object b) { return pow(a, to_tensor_arg(b, "pow")); },
        py::arg("exponent"), "self raised to the power exponent, elementwise. See chainrule.pow.");
    cls.def("__pow__",
            [](const Tensor& a, py::object b) { return pow(a, to_tensor_arg(b, "pow")); });
    cls.def("__rpow__",
            [](const Tensor& a, py::object b) { return pow(to_tensor_arg(b, "pow"), a); });
    binary("maximum", &maximum, nullptr, nullptr, R"doc(Elementwise larger of input and other.

The operands broadcast; a NaN in either gives NaN. The gradient goes to the operand that
was picked (shared between both where they are equal).
)doc");
    binary("minimum", &minimum, nullptr, nullptr, R"doc(Elementwise smaller of input and other.

The operands broadcast; a NaN in either gives NaN. The gradient goes to the operand that
was picked (shared between both where they are equal).
)doc");
    binary("lt", &lt, "__lt__", nullptr, R"doc(Elementwise input < other, as a bool tensor.

The operands broadcast and are compared after type promotion; no gradient flows.
)doc");
    binary("le", &le, "__le__", nullptr, R"doc(Elementwise input <= other, as a bool tensor.

The operands broadcast and are compared after type promotion; no gradient flows.
)doc");
    binary("gt", &gt, "__gt__", nullptr, R"doc(Elementwise input > other, as a bool tensor.

The operands broadcast and are compared after type promotion; no gradient flows.
)doc");
    binary("ge", &ge, "__ge__", nullptr, R"doc(Elementwise input >= other, as a bool tensor.

The operands broadcast and are compared after type promotion; no gradient flows.
)doc");
    binary("logical_and", &logical_and, nullptr, nullptr,
           R"doc(Elementwise AND of the truth values of input and other (nonzero is True).

The operands broadcast; the result is a bool tensor without gradient.
)doc");
    binary("logical_or", &logical_or, nullptr, nullptr,
           R"doc(Elementwise OR of the truth values of input and other (nonzero is True).

The operands broadcast; the result is a bool tensor without gradient.
)doc");
    binary("eq", &eq, nullptr, nullptr, R"doc(Elementwise input == other, as a bool tensor.

The operands broadcast; NaN compares unequal to everything. For one True/False answer
about whole tensors use chainrule.equal.
)doc");
    binary("ne", &ne, nullptr, nullptr, R"doc(Elementwise input != other, as a bool tensor.

The operands broadcast; NaN is unequal to everything, itself included.
)doc");
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
                          const char* dunder, const char* rdunder, const char* doc) {
        m.def(
            name,
            [fn, name](py::object a, py::object b, py::object alpha) {
                Tensor x = to_tensor_arg(a, name), y = to_tensor_arg(b, name);
                return fn(x, y, alpha_arg(alpha, arith_result_type(x, y), name));
            },
            py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = 1, doc);
        cls.def(
            name,
            [fn, name](const Tensor& a, py::object b, py::object alpha) {
                Tensor y = to_tensor_arg(b, name);
                return fn(a, y, alpha_arg(alpha, arith_result_type(a, y), name));
            },
            py::arg("other"), py::kw_only(), py::arg("alpha") = 1, method_doc(name, doc).c_str());
        cls.def(dunder, [fn, name](const Tensor& a, py::object b) {
            return fn(a, to_tensor_arg(b, name), 1.0);
        });
        cls.def(rdunder, [fn, name](const Tensor& a, py::object b) {
            return fn(to_tensor_arg(b, name), a, 1.0);
        });
    };
    with_alpha("add", &add, "__add__", "__radd__", R"doc(Elementwise input + alpha * other.

input and other broadcast; either may be a Python number. alpha (keyword-only, default 1)
scales other; it must be an int when the result is an integer tensor. Gradient: grad for
input and alpha * grad for other, summed over broadcast dims.
)doc");
    with_alpha("sub", &sub, "__sub__", "__rsub__", R"doc(Elementwise input - alpha * other.

input and other broadcast; either may be a Python number. alpha (keyword-only, default 1)
scales other; it must be an int when the result is an integer tensor. Gradient: grad for
input and -alpha * grad for other. chainrule.subtract is the same function.
)doc");
    m.attr("subtract") = m.attr("sub");

    // ---- unary
    auto unary = [&](const char* name, Unary fn, const char* doc) {
        m.def(name, fn, py::arg("input"), doc);
        cls.def(name, fn, method_doc(name, doc).c_str());
    };
    unary("neg", &neg, R"doc(Elementwise -input (same shape and dtype).

Gradient: -grad. Refuses bool tensors (use chainrule.logical_not).
)doc");
    unary("abs", &abs, R"doc(Elementwise absolute value |input| (same shape and dtype).

Gradient: grad * sign(input), so 0 at input == 0.
)doc");
    unary("exp", &exp, R"doc(Elementwise e ** input.

Integer and bool inputs give a float32 result. Gradient: grad * exp(input).
)doc");
    unary("log", &log, R"doc(Elementwise natural logarithm of input.

Negative values give NaN and 0 gives -inf; integer inputs give float32.
Gradient: grad / input.
)doc");
    unary("log1p", &log1p, R"doc(Elementwise log(1 + input), accurate for input near 0.

Integer inputs give float32. Gradient: grad / (1 + input).
)doc");
    unary("expm1", &expm1, R"doc(Elementwise exp(input) - 1, accurate for input near 0.

Integer inputs give float32. Gradient: grad * exp(input).
)doc");
    unary("sqrt", &sqrt, R"doc(Elementwise square root of input (NaN for negative values).

Integer inputs give float32. Gradient: grad / (2 * sqrt(input)).
)doc");
    unary("rsqrt", &rsqrt, R"doc(Elementwise reciprocal square root 1 / sqrt(input).

Integer inputs give float32. Gradient: -grad * rsqrt(input)**3 / 2.
)doc");
    unary("sin", &sin, R"doc(Elementwise sine of input (radians).

Integer inputs give float32. Gradient: grad * cos(input).
)doc");
    unary("cos", &cos, R"doc(Elementwise cosine of input (radians).

Integer inputs give float32. Gradient: -grad * sin(input).
)doc");
    unary("tanh", &tanh, R"doc(Elementwise hyperbolic tangent, in (-1, 1).

Integer inputs give float32. Gradient: grad * (1 - tanh(input)**2).
)doc");
    unary("sigmoid", &sigmoid, R"doc(Elementwise logistic function 1 / (1 + exp(-input)).

Integer inputs give float32. Gradient: grad * s * (1 - s) with s the result.
)doc");
    unary("relu", &relu, R"doc(Elementwise max(input, 0), keeping input's dtype.

Gradient: grad where input > 0, else 0 (0 at input == 0 too).
)doc");
    unary("sign", &sign, R"doc(Elementwise sign of input: -1, 0 or 1 in input's dtype.

Its gradient is zero everywhere.
)doc");
    unary("logical_not", &logical_not, R"doc(Elementwise NOT of the truth value of input.

Nonzero counts as True; the result is a bool tensor without gradient.
)doc");
    unary("clone", &clone, R"doc(A copy of input in new memory, contiguous, same dtype.

Stays in the graph: the gradient passes through unchanged.
)doc");
    unary("contiguous", &contiguous, R"doc(input in row-major memory order.

Returns input itself when it already is contiguous, else a contiguous copy (gradient
passes through).
)doc");
    cls.def("__neg__", &neg);
    cls.def("__abs__", &abs);

    auto clamp_fn = [](const Tensor& x, py::object min, py::object max) {
        return clamp(x, opt_double(min, "clamp"), opt_double(max, "clamp"));
    };
    m.def("clamp", clamp_fn, py::arg("input"), py::arg("min") = py::none(),
          py::arg("max") = py::none(), R"doc(Limits every element of input to [min, max].

min and max are numbers; None leaves that side open. Same shape and dtype as input.
Gradient: grad where the element was inside the bounds, 0 where it was clamped.
)doc");
    m.def("clip", clamp_fn, py::arg("input"), py::arg("min") = py::none(),
          py::arg("max") = py::none(), R"doc(Limits every element of input to [min, max].

Another name of chainrule.clamp; None leaves that side open.
)doc");
    cls.def("clamp", clamp_fn, py::arg("min") = py::none(), py::arg("max") = py::none(),
            "Limits every element to [min, max]. See chainrule.clamp.");
    cls.def("clip", clamp_fn, py::arg("min") = py::none(), py::arg("max") = py::none(),
            "Limits every element to [min, max]. See chainrule.clamp.");

    m.def(
        "where",
        [](const Tensor& cond, py::object a, py::object b) {
            return where(cond, to_tensor_arg(a, "where"), to_tensor_arg(b, "where"));
        },
        py::arg("condition"), py::arg("input"), py::arg("other"),
        R"doc(Elementwise choice: input where condition is True, else other.

condition (a bool tensor), input and other broadcast together; input and other may be
numbers. Gradient: grad to input where condition holds and to other elsewhere.
The one-argument form where(condition) is nonzero(condition, as_tuple=True).
)doc");
    cls.def(
        "where",
        [](const Tensor& self, const Tensor& cond, py::object b) {
            return where(cond, self, to_tensor_arg(b, "where"));
        },
        py::arg("condition"), py::arg("other"),
        "self where condition is True, else other. See chainrule.where.");
    // ---- in-place arithmetic (the other in-place ops: bind_inplace.cpp)
    auto inplace = [&](const char* name, const char* dunder, Tensor& (*fn)(Tensor&, const Tensor&),
                       const char* doc) {
        cls.def(
            name,
            [fn, name](Tensor& a, py::object b) -> Tensor& {
                return fn(a, to_tensor_arg(b, name));
            },
            py::arg("other"), doc);
        cls.def(dunder, [fn, name](Tensor& a, py::object b) -> Tensor& {
            return fn(a, to_tensor_arg(b, name));
        });
    };
    inplace("mul_", "__imul__", &mul_, R"doc(In-place self *= other; returns self.

other (a tensor or number) must broadcast to self's shape, and the product must fit
self's dtype (an int64 tensor cannot take a float factor).
)doc");
    inplace("div_", "__itruediv__", &div_, R"doc(In-place true division self /= other; returns self.

other must broadcast to self's shape; self must be floating-point, since the quotient is.
)doc");
    cls.def(
        "add_",
        [](Tensor& a, py::object b, py::object alpha) -> Tensor& {
            return add_(a, to_tensor_arg(b, "add_"), alpha_arg(alpha, a.dtype(), "add_"));
        },
        py::arg("other"), py::kw_only(), py::arg("alpha") = 1,
        R"doc(In-place self += alpha * other; returns self.

other must broadcast to self's shape and the result must fit self's dtype.
)doc");
    cls.def(
        "sub_",
        [](Tensor& a, py::object b, py::object alpha) -> Tensor& {
            return sub_(a, to_tensor_arg(b, "sub_"), alpha_arg(alpha, a.dtype(), "sub_"));
        },
        py::arg("other"), py::kw_only(), py::arg("alpha") = 1,
        R"doc(In-place self -= alpha * other; returns self.

other must broadcast to self's shape and the result must fit self's dtype.
)doc");
    cls.def("__iadd__", [](Tensor& a, py::object b) -> Tensor& {
        return add_(a, to_tensor_arg(b, "add_"), 1.0);
    });
    cls.def("__isub__", [](Tensor& a, py::object b) -> Tensor& {
        return sub_(a, to_tensor_arg(b, "sub_"), 1.0);
    });

    // ---- dtype conversion
    cls.def(
        "to", [](const Tensor& t, py::object dtype) { return to_dtype(t, dtype_of_obj(dtype)); },
        py::arg("dtype"),
        R"doc(self converted to dtype (cr.float32, cr.float64, cr.int64, cr.bool).

Returns self itself when it already has that dtype. Floating conversions keep the
gradient; float to int64 truncates toward zero.
)doc");
    cls.def(
        "float", [](const Tensor& t) { return to_dtype(t, DType::Float32); },
        "self as float32 (self itself if it already is). Same as self.to(cr.float32).");
    cls.def(
        "double", [](const Tensor& t) { return to_dtype(t, DType::Float64); },
        "self as float64 (self itself if it already is). Same as self.to(cr.float64).");
    cls.def(
        "long", [](const Tensor& t) { return to_dtype(t, DType::Int64); },
        "self as int64, truncating toward zero. Same as self.to(cr.int64).");
    cls.def(
        "bool", [](const Tensor& t) { return to_dtype(t, DType::Bool); },
        "self as bool: True where nonzero. Same as self.to(cr.bool).");

    // ---- clamp_min / clamp_max and +x
    auto clamp_side = [&](const char* name, Tensor (*fn)(const Tensor&, double), const char* arg,
                          const char* doc) {
        m.def(
            name,
            [fn, name](const Tensor& x, py::handle b) {
                return fn(x, number_arg(b, name, "bound"));
            },
            py::arg("input"), py::arg(arg), doc);
        cls.def(
            name,
            [fn, name](const Tensor& x, py::handle b) {
                return fn(x, number_arg(b, name, "bound"));
            },
            py::arg(arg), method_doc(name, doc).c_str());
    };
    clamp_side("clamp_min", &clamp_min, "min",
               R"doc(Elementwise max(input, min): limits input from below only.

min is a number. Same shape and dtype as input. Gradient: grad where the element was
not clamped, 0 where it was.
)doc");
    clamp_side("clamp_max", &clamp_max, "max",
               R"doc(Elementwise min(input, max): limits input from above only.

max is a number. Same shape and dtype as input. Gradient: grad where the element was
not clamped, 0 where it was.
)doc");

    m.def("positive", &positive, py::arg("input"),
          R"doc(Unary plus: returns input unchanged (the same values, no copy).

Refuses bool tensors, as unary minus does.
)doc");
    cls.def("positive", &positive,
            R"doc(Unary plus: returns self unchanged. See chainrule.positive.
)doc");
    cls.def("__pos__", &positive);

    // ---- predicates
    unary("isnan", &isnan, R"doc(Elementwise test for NaN, as a bool tensor of input's shape.

Integer and bool inputs are never NaN (all False).
)doc");
    unary("isinf", &isinf,
          R"doc(Elementwise test for +inf or -inf, as a bool tensor of input's shape.

Integer and bool inputs are never infinite (all False).
)doc");
    unary("isfinite", &isfinite,
          R"doc(Elementwise test for finite values (neither NaN nor +-inf), as a bool tensor.

Integer and bool inputs are always finite (all True).
)doc");
    auto any_all = [&](const char* name,
                       Tensor (*fn)(const Tensor&, const std::vector<int64_t>&, bool),
                       const char* doc) {
        auto f = [fn, name](const Tensor& x, py::handle dim, bool keepdim) {
            return fn(x, opt_dims(dim, name), keepdim);
        };
        m.def(name, f, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
              doc);
        cls.def(name, f, py::arg("dim") = py::none(), py::arg("keepdim") = false,
                method_doc(name, doc).c_str());
    };
    any_all("any", &any,
            R"doc(Whether any element is nonzero, over all dims or over dim, as a bool tensor.

dim: an int or a tuple of ints (None: every dim, giving a 0-d result); keepdim keeps
the reduced dims as size 1. Use .item() for a Python bool.
)doc");
    any_all("all", &all,
            R"doc(Whether every element is nonzero, over all dims or over dim, as a bool tensor.

dim: an int or a tuple of ints (None: every dim, giving a 0-d result); keepdim keeps
the reduced dims as size 1. Use .item() for a Python bool.
)doc");
    m.def(
        "isclose", &isclose, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-05,
        py::arg("atol") = 1e-08, py::arg("equal_nan") = false,
        R"doc(Elementwise closeness test |input - other| <= atol + rtol * |other|, as a bool tensor.

input and other broadcast. Infinities are close only to themselves; NaN is close to NaN
only with equal_nan=True. Not symmetric: the tolerance scales with other.
)doc");
    cls.def("isclose", &isclose, py::arg("other"), py::arg("rtol") = 1e-05, py::arg("atol") = 1e-08,
            py::arg("equal_nan") = false,
            R"doc(Elementwise closeness test against other. See chainrule.isclose.
)doc");
    m.def("allclose", &allclose, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-05,
          py::arg("atol") = 1e-08, py::arg("equal_nan") = false,
          R"doc(True when every element pair of input and other is close (see chainrule.isclose).

Returns a Python bool; input and other must broadcast together.
)doc");
    cls.def("allclose", &allclose, py::arg("other"), py::arg("rtol") = 1e-05,
            py::arg("atol") = 1e-08, py::arg("equal_nan") = false,
            R"doc(Whether self and other are close everywhere. See chainrule.allclose.
)doc");
    m.def("equal", &equal, py::arg("input"), py::arg("other"),
          R"doc(True when input and other have the same shape and the same values (a Python bool).

Unlike chainrule.eq it does not broadcast and answers for the whole tensors; a NaN
makes the answer False.
)doc");
    cls.def("equal", &equal, py::arg("other"),
            R"doc(Whether self and other have the same shape and values. See chainrule.equal.
)doc");

    // ---- rounding division, bitwise and logical ops, with their operators
    // & | ^ ~ are the bitwise ops (logical on bool), returning NotImplemented for other types.
    auto bitwise = [&](const char* name, BinaryOp fn, const char* dunder, const char* rdunder,
                       const char* doc) {
        def_binary(m, cls, name, fn, doc);
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
    bitwise("floor_divide", &floor_divide, "__floordiv__", "__rfloordiv__",
            R"doc(Elementwise input / other rounded down (toward -inf).

The operands broadcast and may be numbers; integer inputs stay integer (division by an
integer 0 is an error). No gradient flows through the rounding.
)doc");
    bitwise("remainder", &remainder, "__mod__", "__rmod__",
            R"doc(Elementwise input modulo other, with the sign of other (Python's % rule).

input - floor(input / other) * other; the operands broadcast and may be numbers.
Gradient: grad for input; other's gradient is -grad * floor(input / other).
)doc");
    bitwise("bitwise_and", &bitwise_and, "__and__", "__rand__",
            R"doc(Elementwise bitwise AND of two int64 or bool tensors (logical AND for bools).

The operands broadcast and may be Python ints or bools; floating tensors are refused.
)doc");
    bitwise("bitwise_or", &bitwise_or, "__or__", "__ror__",
            R"doc(Elementwise bitwise OR of two int64 or bool tensors (logical OR for bools).

The operands broadcast and may be Python ints or bools; floating tensors are refused.
)doc");
    bitwise("bitwise_xor", &bitwise_xor, "__xor__", "__rxor__",
            R"doc(Elementwise bitwise XOR of two int64 or bool tensors (logical XOR for bools).

The operands broadcast and may be Python ints or bools; floating tensors are refused.
)doc");
    bitwise("logical_xor", &logical_xor, nullptr, nullptr,
            R"doc(Elementwise exclusive OR of the truth values of input and other (nonzero is True).

The operands broadcast; the result is a bool tensor without gradient.
)doc");
    unary("bitwise_not", &bitwise_not,
          R"doc(Elementwise bitwise NOT: ~x for int64 tensors, logical NOT for bool tensors.

Floating tensors are refused. The ~ operator calls it.
)doc");
    cls.def("__invert__", &bitwise_not);

    auto div_mode = [](py::object a, py::object b, py::object mode) {
        std::optional<std::string> md;
        if (!mode.is_none()) md = py::cast<std::string>(mode);
        return div_rounding(to_tensor_arg(a, "div"), to_tensor_arg(b, "div"), md);
    };
    // divide is another name of div: one doc, and the method forwards to the same lambda.
    const char* div_doc = R"doc(Elementwise input / other, optionally rounded.

rounding_mode: None gives the true quotient (integers give a floating result), 'trunc'
rounds toward zero and 'floor' toward -inf (integer inputs then stay integer). The
operands broadcast and may be numbers.
)doc";
    const char* div_method_doc =
        R"doc(self / other, optionally rounded (rounding_mode None, 'trunc' or 'floor').

See chainrule.div.
)doc";
    for (const char* name : {"div", "divide"}) {
        m.def(name, div_mode, py::arg("input"), py::arg("other"), py::kw_only(),
              py::arg("rounding_mode") = py::none(), div_doc);
        cls.def(name, div_mode, py::arg("other"), py::kw_only(),
                py::arg("rounding_mode") = py::none(), div_method_doc);
    }
}

}  // namespace chainrule::bind
