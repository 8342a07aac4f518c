// Bindings of the inplace family: fills and copies (zero_, fill_, copy_, masked_fill_,
// clamp_) and masked_fill, in-place unary math, clamp_min_ / clamp_max_, detach_ and the
// random fills, as Tensor methods (and cr.<op>_ functions where PyTorch has them).
#include "common.h"

namespace chainrule::bind {

void bind_inplace(py::module_& m) {
    TensorClass cls = tensor_class(m);

    // ---- fills and copies
    cls.def("zero_", &zero_, "Fills self with zeros in place and returns it.");
    cls.def(
        "fill_",
        [](Tensor& a, py::object v) -> Tensor& { return fill_(a, to_tensor_arg(v, "fill_")); },
        py::arg("value"), R"doc(Fills self with value in place and returns it.

value is a number or a 0-d tensor; self keeps its shape and dtype.
)doc");
    cls.def(
        "copy_", [](Tensor& a, const Tensor& src) -> Tensor& { return copy_(a, src); },
        py::arg("src"), R"doc(Copies src's values into self in place and returns self.

src broadcasts to self's shape and is converted to self's dtype; self keeps its memory.
)doc");
    m.def(
        "masked_fill",
        [](const Tensor& x, const Tensor& mask, py::object v) {
            return masked_fill(x, mask, to_tensor_arg(v, "masked_fill"));
        },
        py::arg("input"), py::arg("mask"), py::arg("value"),
        R"doc(A copy of input with value written wherever mask is True.

mask is a bool tensor that broadcasts to input's shape; value is a number or a 0-d
tensor. Gradient: grad to input at the unmasked places, to a tensor value summed over
the masked ones.
)doc");
    cls.def(
        "masked_fill",
        [](const Tensor& x, const Tensor& mask, py::object v) {
            return masked_fill(x, mask, to_tensor_arg(v, "masked_fill"));
        },
        py::arg("mask"), py::arg("value"),
        "A copy of self with value where mask is True. See chainrule.masked_fill.");
    cls.def(
        "masked_fill_",
        [](Tensor& x, const Tensor& mask, py::object v) -> Tensor& {
            return masked_fill_(x, mask, to_tensor_arg(v, "masked_fill_"));
        },
        py::arg("mask"), py::arg("value"),
        "In-place masked_fill: writes value into self where mask is True; returns self.");
    cls.def(
        "clamp_",
        [](Tensor& x, py::object min, py::object max) -> Tensor& {
            return clamp_(x, opt_double(min, "clamp_"), opt_double(max, "clamp_"));
        },
        py::arg("min") = py::none(), py::arg("max") = py::none(),
        "In-place chainrule.clamp: limits self to [min, max] and returns self.");

    // ---- in-place unary math: t.exp_() and cr.exp_(t)
    auto inplace_unary = [&](const char* name, Tensor& (*fn)(Tensor&), const char* doc) {
        cls.def(name, [fn](Tensor& t) -> Tensor& { return fn(t); }, method_doc(name, doc).c_str());
        m.def(name, [fn](Tensor& t) -> Tensor& { return fn(t); }, py::arg("input"), doc);
    };
    inplace_unary("exp_", &exp_,
                  R"doc(In-place exp: replaces every element x of input by e ** x; returns input.

input keeps its shape and dtype, so the result must fit it (a floating result cannot
be written into an int64 tensor). Not allowed on a leaf that requires grad.
)doc");
    inplace_unary(
        "log_", &log_,
        R"doc(In-place log: replaces every element x of input by its natural logarithm; returns input.

input keeps its shape and dtype, so the result must fit it (a floating result cannot
be written into an int64 tensor). Not allowed on a leaf that requires grad.
)doc");
    inplace_unary(
        "sqrt_", &sqrt_,
        R"doc(In-place sqrt: replaces every element x of input by its square root; returns input.

input keeps its shape and dtype, so the result must fit it (a floating result cannot
be written into an int64 tensor). Not allowed on a leaf that requires grad.
)doc");
    inplace_unary(
        "neg_", &neg_,
        R"doc(In-place neg: replaces every element x of input by its negation; returns input.

input keeps its shape and dtype, so the result must fit it (a floating result cannot
be written into an int64 tensor). Not allowed on a leaf that requires grad.
)doc");
    inplace_unary(
        "abs_", &abs_,
        R"doc(In-place abs: replaces every element x of input by its absolute value; returns input.

input keeps its shape and dtype, so the result must fit it (a floating result cannot
be written into an int64 tensor). Not allowed on a leaf that requires grad.
)doc");
    inplace_unary(
        "relu_", &relu_,
        R"doc(In-place relu: replaces every element x of input by max(x, 0); returns input.

input keeps its shape and dtype, so the result must fit it (a floating result cannot
be written into an int64 tensor). Not allowed on a leaf that requires grad.
)doc");
    inplace_unary(
        "sigmoid_", &sigmoid_,
        R"doc(In-place sigmoid: replaces every element x of input by its logistic sigmoid; returns input.

input keeps its shape and dtype, so the result must fit it (a floating result cannot
be written into an int64 tensor). Not allowed on a leaf that requires grad.
)doc");
    inplace_unary(
        "tanh_", &tanh_,
        R"doc(In-place tanh: replaces every element x of input by its hyperbolic tangent; returns input.

input keeps its shape and dtype, so the result must fit it (a floating result cannot
be written into an int64 tensor). Not allowed on a leaf that requires grad.
)doc");
    inplace_unary("sin_", &sin_,
                  R"doc(In-place sin: replaces every element x of input by its sine; returns input.

input keeps its shape and dtype, so the result must fit it (a floating result cannot
be written into an int64 tensor). Not allowed on a leaf that requires grad.
)doc");
    inplace_unary(
        "cos_", &cos_,
        R"doc(In-place cos: replaces every element x of input by its cosine; returns input.

input keeps its shape and dtype, so the result must fit it (a floating result cannot
be written into an int64 tensor). Not allowed on a leaf that requires grad.
)doc");
    cls.def(
        "negative_", [](Tensor& t) -> Tensor& { return neg_(t); },
        R"doc(In-place negation, the same as self.neg_(); returns self.
)doc");
    cls.def(
        "pow_",
        [](Tensor& t, py::object e) -> Tensor& { return pow_(t, to_tensor_arg(e, "pow_")); },
        py::arg("exponent"),
        R"doc(In-place self **= exponent; returns self.

exponent is a number or a tensor that broadcasts to self's shape; the result must fit
self's dtype.
)doc");
    cls.def(
        "detach_", [](Tensor& t) -> Tensor& { return detach_(t); },
        "Detaches the tensor from its history in place.");

    // clamp_min_ / clamp_max_ (a number bound)
    auto clamp_side_ = [&](const char* name, const char* op, Tensor& (*fn)(Tensor&, double),
                           const char* arg, const char* doc) {
        cls.def(
            name,
            [fn, op](Tensor& x, py::handle b) -> Tensor& {
                return fn(x, number_arg(b, op, "bound"));
            },
            py::arg(arg), doc);
    };
    clamp_side_("clamp_min_", "clamp_min", &clamp_min_, "min",
                R"doc(In-place clamp_min: limits self from below by min; returns self.
)doc");
    clamp_side_("clamp_max_", "clamp_max", &clamp_max_, "max",
                R"doc(In-place clamp_max: limits self from above by max; returns self.
)doc");

    // ---- random fills
    cls.def(
        "uniform_",
        [](Tensor& t, double from, double to, Generator* generator) -> Tensor& {
            return uniform_(t, from, to, generator);
        },
        py::arg("from") = 0.0, py::arg("to") = 1.0, py::kw_only(), py::arg("generator") = nullptr,
        "Fills with draws from U[from, to).");
    cls.def(
        "normal_",
        [](Tensor& t, double mean, double std, Generator* generator) -> Tensor& {
            return normal_(t, mean, std, generator);
        },
        py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), py::arg("generator") = nullptr,
        "Fills with draws from N(mean, std^2).");
    cls.def(
        "bernoulli_",
        [](Tensor& t, double p, Generator* generator) -> Tensor& {
            return bernoulli_(t, p, generator);
        },
        py::arg("p") = 0.5, py::kw_only(), py::arg("generator") = nullptr,
        "Fills with 1 with probability p, else 0.");
}

}  // namespace chainrule::bind
