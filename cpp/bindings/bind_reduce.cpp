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

double correction_arg(py::handle dim, py::handle unbiased, py::handle correction,
                      const char* op) {
    CR_CHECK(unbiased.is_none() || correction.is_none(), TypeError, op,
             ": pass either unbiased or correction, not both");
    if (!correction.is_none()) {
        CR_CHECK(PyLong_Check(correction.ptr()) || PyFloat_Check(correction.ptr()), TypeError,
                 op, ": correction must be a number");
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
    m.def("sum", sum_fn, py::arg("input"), py::arg("dim") = py::none(),
          py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
    cls.def("sum", sum_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false,
            py::kw_only(), py::arg("dtype") = py::none());
    auto mean_fn = [](const Tensor& x, py::handle dim, bool keepdim, py::handle dtype) {
        return mean(cast_opt(x, dtype), red_dims(dim, "mean"), keepdim);
    };
    m.def("mean", mean_fn, py::arg("input"), py::arg("dim") = py::none(),
          py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none());
    cls.def("mean", mean_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false,
            py::kw_only(), py::arg("dtype") = py::none());

    // ---- var / std: var(dim=None, *, correction=1, keepdim=False) and the legacy
    // var(dim, unbiased, keepdim) / var(unbiased) forms.
    auto var_like = [&](const char* name, Tensor (*fn)(const Tensor&, const Dims&, double, bool)) {
        auto f = [fn, name](const Tensor& x, py::handle dim, py::handle unbiased, bool keepdim,
                            py::handle correction) {
            return fn(x, var_dims(dim, name), correction_arg(dim, unbiased, correction, name),
                      keepdim);
        };
        m.def(name, f, py::arg("input"), py::arg("dim") = py::none(),
              py::arg("unbiased") = py::none(), py::arg("keepdim") = false, py::kw_only(),
              py::arg("correction") = py::none());
        cls.def(name, f, py::arg("dim") = py::none(), py::arg("unbiased") = py::none(),
                py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = py::none());
    };
    var_like("var", &var);
    var_like("std", &std);

    // ---- amax / amin
    auto am = [&](const char* name, Tensor (*fn)(const Tensor&, const Dims&, bool)) {
        auto f = [fn, name](const Tensor& x, py::handle dim, bool keepdim) {
            return fn(x, red_dims(dim, name), keepdim);
        };
        m.def(name, f, py::arg("input"), py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
        cls.def(name, f, py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
    };
    am("amax", &amax);
    am("amin", &amin);

    // ---- max / min: max(), max(dim, keepdim) -> (values, indices), max(other) = maximum
    auto mm_like = [&](const char* name, bool is_max, py::object tuple_t) {
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
        m.def(name, f, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);
        cls.def(name, f, py::arg("dim") = py::none(), py::arg("keepdim") = false);
    };
    mm_like("max", true, max_t);
    mm_like("min", false, min_t);
    // max(other=...) / min(other=...): the elementwise forms with a keyword
    m.def("max", &maximum, py::arg("input"), py::arg("other"));
    cls.def("max", &maximum, py::arg("other"));
    m.def("min", &minimum, py::arg("input"), py::arg("other"));
    cls.def("min", &minimum, py::arg("other"));

    // ---- argmax / argmin
    auto arg = [&](const char* name, Tensor (*fn)(const Tensor&, std::optional<int64_t>, bool)) {
        m.def(name, fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);
        cls.def(name, fn, py::arg("dim") = py::none(), py::arg("keepdim") = false);
    };
    arg("argmax", &argmax);
    arg("argmin", &argmin);

    // ---- norm
    auto norm_fn = [](const Tensor& x, py::handle p, py::handle dim, bool keepdim,
                      py::handle dtype) {
        return norm(cast_opt(x, dtype), p_arg(p), red_dims(dim, "norm"), keepdim);
    };
    m.def("norm", norm_fn, py::arg("input"), py::arg("p") = "fro", py::arg("dim") = py::none(),
          py::arg("keepdim") = false, py::arg("dtype") = py::none());
    cls.def("norm", norm_fn, py::arg("p") = "fro", py::arg("dim") = py::none(),
            py::arg("keepdim") = false, py::arg("dtype") = py::none());

    // ---- var_mean / std_mean: (var, mean) and (std, mean) in one call
    auto moments = [&](const char* name, bool is_std) {
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
            py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = py::none());
    };
    moments("var_mean", false);
    moments("std_mean", true);
}

}  // namespace chainrule::bind
