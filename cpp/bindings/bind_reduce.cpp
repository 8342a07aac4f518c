// Bindings of the reduce family: sum, mean, var, std, var_mean, std_mean, amax, amin, max, min,
// argmax, argmin and norm, as cr.<op> functions and Tensor methods.
#include <cmath>
#include <limits>

#include "common.h"

namespace chainrule::bind {

namespace {

std::optional<DType> opt_dtype(py::handle h) {
    if (h.is_none()) return std::nullopt;
    return dtype_arg(h, kDefaultFloat);
}

double correction_arg(py::handle dim, py::handle unbiased, py::handle correction, const char* op) {
    CR_CHECK(unbiased.is_none() || correction.is_none(), TypeError, op,
             ": pass either unbiased or correction, not both");
    if (!correction.is_none()) {
        CR_CHECK(PyLong_Check(correction.ptr()) || PyFloat_Check(correction.ptr()), TypeError, op,
                 ": correction must be a number");
        return py::cast<double>(correction);
    }
    if (PyBool_Check(dim.ptr())) return dim.ptr() == Py_True ? 1.0 : 0.0;  // x.var(False)
    if (!unbiased.is_none()) {
        CR_CHECK(PyBool_Check(unbiased.ptr()), TypeError, op, ": unbiased must be a bool");
        return unbiased.ptr() == Py_True ? 1.0 : 0.0;
    }
    return 1.0;
}

Dims var_dims(py::handle dim, const char* op) {
    if (PyBool_Check(dim.ptr())) return {};  // legacy var(unbiased)
    return red_dims(dim, op);
}

double p_arg(py::handle p) {
    if (p.is_none()) return 2.0;
    if (PyUnicode_Check(p.ptr())) {
        const std::string s = py::cast<std::string>(p);
        CR_CHECK(s == "fro", ValueError, "norm: p must be a number or 'fro'; got '", s, "'");
        return 2.0;
    }
    CR_CHECK(PyLong_Check(p.ptr()) || PyFloat_Check(p.ptr()), TypeError,
             "norm: p must be a number or 'fro'");
    return py::cast<double>(p);
}

double correction_of(py::handle unbiased, py::handle correction, const char* op) {
    CR_CHECK(unbiased.is_none() || correction.is_none(), TypeError, op,
             ": pass either unbiased or correction, not both");
    if (!correction.is_none()) return py::cast<double>(correction);
    if (!unbiased.is_none()) return py::cast<bool>(unbiased) ? 1.0 : 0.0;
    return 1.0;
}

}  // namespace

void bind_reduce(py::module_& m) {
    TensorClass cls = tensor_class(m);

    // Named tuples like torch.return_types.max, created once.
    py::module_ rt = m.def_submodule("return_types", "Named tuples returned by reductions.");
    py::object namedtuple = py::module_::import("collections").attr("namedtuple");
    for (const char* n : {"max", "min"}) {
        py::object t = namedtuple(n, py::make_tuple("values", "indices"));
        t.attr("__module__") = "chainrule.return_types";
        rt.attr(n) = t;
    }
    py::object max_t = rt.attr("max"), min_t = rt.attr("min");

    // ---- sum / mean
    auto sum_fn = [](const Tensor& x, py::handle dim, bool keepdim, py::handle dtype) {
        if (dim.is_none() && dtype.is_none()) return sum(x, {}, keepdim);  // the hot path
        return sum(x, red_dims(dim, "sum"), keepdim, opt_dtype(dtype));
    };
    m.def("sum", sum_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
          py::kw_only(), py::arg("dtype") = py::none(),
          R"doc(Sum of the elements of input, over all dims or over dim.

dim: an int or a tuple of ints (None or (): every dim). keepdim keeps the reduced dims
with size 1. dtype: accumulate and return in that dtype; without it bool and int64
inputs sum to int64. Gradient: grad broadcast back to input's shape.
Example: cr.sum(x, dim=(0, 2), keepdim=True)
)doc");
    cls.def("sum", sum_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
            py::arg("dtype") = py::none(), "Sum over all dims or over dim. See chainrule.sum.");
    auto mean_fn = [](const Tensor& x, py::handle dim, bool keepdim, py::handle dtype) {
        return mean(cast_opt(x, dtype), red_dims(dim, "mean"), keepdim);
    };
    m.def("mean", mean_fn, py::arg("input"), py::arg("dim") = py::none(),
          py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none(),
          R"doc(Arithmetic mean of input, over all dims or over dim.

dim: an int or a tuple of ints (None or (): every dim); keepdim keeps reduced dims as
size 1. input must be floating-point, or dtype= must name a floating dtype to cast it
to first. Gradient: grad / (number of averaged elements), broadcast back.
)doc");
    cls.def("mean", mean_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
            py::arg("dtype") = py::none(), "Mean over all dims or over dim. See chainrule.mean.");

    // ---- var / std: var(dim=None, *, correction=1, keepdim=False) and the legacy
    // var(dim, unbiased, keepdim) / var(unbiased) forms.
    auto var_like = [&](const char* name, Tensor (*fn)(const Tensor&, const Dims&, double, bool),
                        const char* doc) {
        auto f = [fn, name](const Tensor& x, py::handle dim, py::handle unbiased, bool keepdim,
                            py::handle correction) {
            return fn(x, var_dims(dim, name), correction_arg(dim, unbiased, correction, name),
                      keepdim);
        };
        m.def(name, f, py::arg("input"), py::arg("dim") = py::none(),
              py::arg("unbiased") = py::none(), py::arg("keepdim") = false, py::kw_only(),
              py::arg("correction") = py::none(), doc);
        cls.def(name, f, py::arg("dim") = py::none(), py::arg("unbiased") = py::none(),
                py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = py::none(),
                method_doc(name, doc).c_str());
    };
    var_like("var", &var, R"doc(Variance of input, over all dims or over dim.

The squared deviations from the mean are summed and divided by N - correction, with N
the number of reduced elements: correction=1 (the default) is the sample variance, 0 the
population one. unbiased=True/False is the older spelling of correction=1/0. dim: int,
tuple or None; keepdim keeps reduced dims as size 1. input must be floating-point.
)doc");
    var_like("std", &std, R"doc(Standard deviation of input, over all dims or over dim.

The square root of chainrule.var with the same arguments: correction (default 1, the
sample estimate; 0 for the population one) or the older unbiased flag, dim (int, tuple
or None) and keepdim. input must be floating-point.
)doc");

    // ---- amax / amin
    auto am = [&](const char* name, Tensor (*fn)(const Tensor&, const Dims&, bool),
                  const char* doc) {
        auto f = [fn, name](const Tensor& x, py::handle dim, bool keepdim) {
            return fn(x, red_dims(dim, name), keepdim);
        };
        m.def(name, f, py::arg("input"), py::arg("dim") = py::tuple(), py::arg("keepdim") = false,
              doc);
        cls.def(name, f, py::arg("dim") = py::tuple(), py::arg("keepdim") = false,
                method_doc(name, doc).c_str());
    };
    am("amax", &amax, R"doc(Largest value of input over dim (int or tuple; () is every dim).

keepdim keeps the reduced dims as size 1. Only values, no indices (see chainrule.max).
NaN propagates. The gradient is shared evenly among the elements equal to the maximum.
)doc");
    am("amin", &amin, R"doc(Smallest value of input over dim (int or tuple; () is every dim).

keepdim keeps the reduced dims as size 1. Only values, no indices (see chainrule.min).
NaN propagates. The gradient is shared evenly among the elements equal to the minimum.
)doc");

    // ---- max / min: max(), max(dim, keepdim) -> (values, indices), max(other) = maximum
    auto mm_like = [&](const char* name, bool is_max, py::object tuple_t, const char* doc) {
        auto f = [is_max, name, tuple_t](const Tensor& x, py::handle dim,
                                         bool keepdim) -> py::object {
            if (dim.is_none()) return py::cast(is_max ? max_all(x) : min_all(x));
            if (!PyLong_Check(dim.ptr()) || PyBool_Check(dim.ptr())) {
                Tensor other = try_tensor_arg(dim);
                CR_CHECK(other.defined(), TypeError, name,
                         ": dim must be an int (or pass a Tensor to compare elementwise)");
                return py::cast(is_max ? maximum(x, other) : minimum(x, other));
            }
            auto r = is_max ? max_dim(x, py::cast<int64_t>(dim), keepdim)
                            : min_dim(x, py::cast<int64_t>(dim), keepdim);
            return tuple_t(py::cast(r.first), py::cast(r.second));
        };
        m.def(name, f, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
              doc);
        cls.def(name, f, py::arg("dim") = py::none(), py::arg("keepdim") = false,
                method_doc(name, doc).c_str());
    };
    mm_like("max", true, max_t, R"doc(Largest element of input, or along dim with its index.

max(input): a 0-d tensor. max(input, dim, keepdim=False): the named tuple (values,
indices) over that int dim, indices an int64 tensor. max(input, other): the elementwise
chainrule.maximum. The gradient of the dim form goes to the element that was picked.
)doc");
    mm_like("min", false, min_t, R"doc(Smallest element of input, or along dim with its index.

min(input): a 0-d tensor. min(input, dim, keepdim=False): the named tuple (values,
indices) over that int dim, indices an int64 tensor. min(input, other): the elementwise
chainrule.minimum. The gradient of the dim form goes to the element that was picked.
)doc");
    // max(other=...) / min(other=...): the elementwise forms with a keyword
    m.def("max", &maximum, py::arg("input"), py::arg("other"),
          R"doc(Elementwise larger of input and other; the same as chainrule.maximum.
)doc");
    cls.def("max", &maximum, py::arg("other"),
            R"doc(Elementwise larger of self and other; see chainrule.maximum.
)doc");
    m.def("min", &minimum, py::arg("input"), py::arg("other"),
          R"doc(Elementwise smaller of input and other; the same as chainrule.minimum.
)doc");
    cls.def("min", &minimum, py::arg("other"),
            R"doc(Elementwise smaller of self and other; see chainrule.minimum.
)doc");

    // ---- argmax / argmin
    auto arg = [&](const char* name, Tensor (*fn)(const Tensor&, std::optional<int64_t>, bool),
                   const char* doc) {
        m.def(name, fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false,
              doc);
        cls.def(name, fn, py::arg("dim") = py::none(), py::arg("keepdim") = false,
                method_doc(name, doc).c_str());
    };
    arg("argmax", &argmax, R"doc(int64 index of the largest element, overall or along dim.

dim=None: the index into the flattened input (a 0-d tensor). With an int dim: one index
per slice, keepdim keeping that dim as size 1. Ties give the first index.
)doc");
    arg("argmin", &argmin, R"doc(int64 index of the smallest element, overall or along dim.

dim=None: the index into the flattened input (a 0-d tensor). With an int dim: one index
per slice, keepdim keeping that dim as size 1. Ties give the first index.
)doc");

    // ---- norm
    auto norm_fn = [](const Tensor& x, py::handle p, py::handle dim, bool keepdim,
                      py::handle dtype) {
        return norm(cast_opt(x, dtype), p_arg(p), red_dims(dim, "norm"), keepdim);
    };
    m.def("norm", norm_fn, py::arg("input"), py::arg("p") = "fro", py::arg("dim") = py::none(),
          py::arg("keepdim") = false, py::arg("dtype") = py::none(),
          R"doc(Vector p-norm (sum |x|**p) ** (1/p) of input, over all dims or over dim.

p: a number (inf and -inf give max/min |x|, 0 counts nonzeros) or 'fro', the 2-norm
of all reduced elements. dim: int, tuple or None; keepdim keeps reduced dims as size
1; dtype casts input first. The 2-norm's gradient at an all-zero input is 0.
)doc");
    cls.def("norm", norm_fn, py::arg("p") = "fro", py::arg("dim") = py::none(),
            py::arg("keepdim") = false, py::arg("dtype") = py::none(),
            "p-norm over all dims or over dim. See chainrule.norm.");

    // ---- var_mean / std_mean: (var, mean) and (std, mean) in one call
    auto moments = [&](const char* name, bool is_std, const char* doc) {
        m.def(
            name,
            [is_std, name](const Tensor& x, py::handle dim, py::handle unbiased, bool keepdim,
                           py::handle correction) {
                // var_mean(x, True): the legacy unbiased flag in dim's place
                if (PyBool_Check(dim.ptr())) {
                    unbiased = dim;
                    dim = py::none();
                }
                const double c = correction_of(unbiased, correction, name);
                auto r = is_std ? std_mean(x, opt_dims(dim, name), c, keepdim)
                                : var_mean(x, opt_dims(dim, name), c, keepdim);
                return py::make_tuple(py::cast(r.first), py::cast(r.second));
            },
            py::arg("input"), py::arg("dim") = py::none(), py::arg("unbiased") = py::none(),
            py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = py::none(), doc);
    };
    moments("var_mean", false,
            R"doc(The variance and the mean of input in one pass, as the tuple (var, mean).

Takes the arguments of chainrule.var: dim (int, tuple or None), correction
(default 1) or the older unbiased flag, and keepdim.
)doc");
    moments(
        "std_mean", true,
        R"doc(The standard deviation and the mean of input in one pass, as the tuple (std, mean).

Takes the arguments of chainrule.std: dim (int, tuple or None), correction
(default 1) or the older unbiased flag, and keepdim.
)doc");
}

}  // namespace chainrule::bind
