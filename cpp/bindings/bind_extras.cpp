// Bindings of the extras: in-place unary math, random fills, predicates, rounding division
// and bitwise operators, scans, sorting, selection, scatter, dot/mv and var_mean/std_mean.
#include "common.h"

namespace chainrule::bind {

namespace {

double number_arg(py::handle h, const char* op, const char* what) {
    Tensor t = try_tensor_arg(h);
    CR_CHECK(t.defined() && t.numel() == 1 && !t.requires_grad(), TypeError, op, ": ", what,
             " must be a number");
    return CR_DISPATCH_ALL(t.dtype(), op, [&] { return static_cast<double>(*t.data<scalar_t>()); });
}

// dim=None or () means every dim.
std::vector<int64_t> opt_dims(py::handle h, const char* op) {
    if (h.is_none()) return {};
    if (PyTuple_Check(h.ptr()) && PyTuple_GET_SIZE(h.ptr()) == 0) return {};
    return dims_arg(h, op);
}

std::optional<int64_t> opt_int(py::handle h) {
    if (h.is_none()) return std::nullopt;
    return py::cast<int64_t>(h);
}

double correction_of(py::handle unbiased, py::handle correction, const char* op) {
    CR_CHECK(unbiased.is_none() || correction.is_none(), TypeError, op,
             ": pass either unbiased or correction, not both");
    if (!correction.is_none()) return py::cast<double>(correction);
    if (!unbiased.is_none()) return py::cast<bool>(unbiased) ? 1.0 : 0.0;
    return 1.0;
}

py::tuple to_tuple(const std::vector<Tensor>& ts) {
    py::tuple t(ts.size());
    for (size_t i = 0; i < ts.size(); ++i) t[i] = py::cast(ts[i]);
    return t;
}

// Replaces a method bound by another file (pybind11 would otherwise add an overload after it).
template <class F, class... Extra>
void redefine(TensorClass& cls, const char* name, F&& f, const Extra&... extra) {
    if (py::hasattr(cls, name)) py::delattr(cls, name);
    cls.def(name, std::forward<F>(f), extra...);
}

}  // namespace

void bind_extras(py::module_& m) {
    TensorClass cls = tensor_class(m);
    py::module_ rt = m.attr("return_types").cast<py::module_>();
    py::object namedtuple = py::module_::import("collections").attr("namedtuple");
    for (const char* n : {"sort", "topk"}) {
        py::object t = namedtuple(n, py::make_tuple("values", "indices"));
        t.attr("__module__") = "chainrule.return_types";
        rt.attr(n) = t;
    }
    py::object sort_t = rt.attr("sort"), topk_t = rt.attr("topk");

    // ---- in-place unary math: t.exp_() and cr.exp_(t)
    auto inplace_unary = [&](const char* name, Tensor& (*fn)(Tensor&)) {
        cls.def(name, [fn](Tensor& t) -> Tensor& { return fn(t); });
        m.def(name, [fn](Tensor& t) -> Tensor& { return fn(t); }, py::arg("input"));
    };
    inplace_unary("exp_", &exp_);
    inplace_unary("log_", &log_);
    inplace_unary("sqrt_", &sqrt_);
    inplace_unary("neg_", &neg_);
    inplace_unary("abs_", &abs_);
    inplace_unary("relu_", &relu_);
    inplace_unary("sigmoid_", &sigmoid_);
    inplace_unary("tanh_", &tanh_);
    inplace_unary("sin_", &sin_);
    inplace_unary("cos_", &cos_);
    cls.def("negative_", [](Tensor& t) -> Tensor& { return neg_(t); });
    cls.def(
        "pow_",
        [](Tensor& t, py::object e) -> Tensor& { return pow_(t, to_tensor_arg(e, "pow_")); },
        py::arg("exponent"));
    cls.def("detach_", [](Tensor& t) -> Tensor& { return detach_(t); },
            "Detaches the tensor from its history in place.");
    m.def("positive", &positive, py::arg("input"));
    cls.def("positive", &positive);
    cls.def("__pos__", &positive);

    auto clamp_side = [&](const char* name, Tensor (*fn)(const Tensor&, double),
                          Tensor& (*fn_)(Tensor&, double), const char* arg) {
        m.def(
            name,
            [fn, name](const Tensor& x, py::handle b) { return fn(x, number_arg(b, name, "bound")); },
            py::arg("input"), py::arg(arg));
        cls.def(
            name,
            [fn, name](const Tensor& x, py::handle b) { return fn(x, number_arg(b, name, "bound")); },
            py::arg(arg));
        const std::string in_name = std::string(name) + "_";
        cls.def(
            in_name.c_str(),
            [fn_, name](Tensor& x, py::handle b) -> Tensor& {
                return fn_(x, number_arg(b, name, "bound"));
            },
            py::arg(arg));
    };
    clamp_side("clamp_min", &clamp_min, &clamp_min_, "min");
    clamp_side("clamp_max", &clamp_max, &clamp_max_, "max");

    // ---- random fills
    cls.def(
        "uniform_",
        [](Tensor& t, double from, double to, Generator* generator) -> Tensor& {
            return uniform_(t, from, to, generator);
        },
        py::arg("from") = 0.0, py::arg("to") = 1.0, py::kw_only(),
        py::arg("generator") = nullptr, "Fills with draws from U[from, to).");
    cls.def(
        "normal_",
        [](Tensor& t, double mean, double std, Generator* generator) -> Tensor& {
            return normal_(t, mean, std, generator);
        },
        py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(),
        py::arg("generator") = nullptr, "Fills with draws from N(mean, std^2).");
    cls.def(
        "bernoulli_",
        [](Tensor& t, double p, Generator* generator) -> Tensor& {
            return bernoulli_(t, p, generator);
        },
        py::arg("p") = 0.5, py::kw_only(), py::arg("generator") = nullptr,
        "Fills with 1 with probability p, else 0.");

    // ---- predicates
    auto unary = [&](const char* name, Tensor (*fn)(const Tensor&)) {
        m.def(name, fn, py::arg("input"));
        cls.def(name, fn);
    };
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
    auto binary = [&](const char* name, BinaryOp fn, const char* dunder, const char* rdunder) {
        def_binary(m, cls, name, fn);
        if (dunder) {
            redefine(cls, dunder, [fn, name](const Tensor& a, py::object b) -> py::object {
                Tensor t = try_tensor_arg(b);
                if (!t.defined()) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
                return py::cast(fn(a, t));
            });
        }
        if (rdunder) {
            redefine(cls, rdunder, [fn, name](const Tensor& a, py::object b) -> py::object {
                Tensor t = try_tensor_arg(b);
                if (!t.defined()) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
                return py::cast(fn(t, a));
            });
        }
    };
    binary("floor_divide", &floor_divide, "__floordiv__", "__rfloordiv__");
    binary("remainder", &remainder, "__mod__", "__rmod__");
    binary("bitwise_and", &bitwise_and, "__and__", "__rand__");
    binary("bitwise_or", &bitwise_or, "__or__", "__ror__");
    binary("bitwise_xor", &bitwise_xor, "__xor__", "__rxor__");
    binary("logical_xor", &logical_xor, nullptr, nullptr);
    unary("bitwise_not", &bitwise_not);
    redefine(cls, "__invert__", &bitwise_not);

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

    // max(other=...) / min(other=...): the elementwise forms with a keyword
    m.def("max", &maximum, py::arg("input"), py::arg("other"));
    cls.def("max", &maximum, py::arg("other"));
    m.def("min", &minimum, py::arg("input"), py::arg("other"));
    cls.def("min", &minimum, py::arg("other"));

    // ---- scans and sorting
    auto cumsum_fn = [](const Tensor& x, int64_t dim, py::handle dtype) {
        std::optional<DType> d;
        if (!dtype.is_none()) d = dtype_arg(dtype, x.dtype());
        return cumsum(x, dim, d);
    };
    m.def("cumsum", cumsum_fn, py::arg("input"), py::arg("dim"), py::kw_only(),
          py::arg("dtype") = py::none());
    cls.def("cumsum", cumsum_fn, py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none());
    auto sort_fn = [sort_t](const Tensor& x, int64_t dim, bool descending, py::handle) {
        auto r = sort(x, dim, descending);
        return sort_t(py::cast(r.first), py::cast(r.second));
    };
    m.def("sort", sort_fn, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false,
          py::kw_only(), py::arg("stable") = py::none());
    cls.def("sort", sort_fn, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
            py::arg("stable") = py::none());
    auto argsort_fn = [](const Tensor& x, int64_t dim, bool descending, py::handle) {
        return argsort(x, dim, descending);
    };
    m.def("argsort", argsort_fn, py::arg("input"), py::arg("dim") = -1,
          py::arg("descending") = false, py::kw_only(), py::arg("stable") = false);
    cls.def("argsort", argsort_fn, py::arg("dim") = -1, py::arg("descending") = false,
            py::kw_only(), py::arg("stable") = false);
    auto topk_fn = [topk_t](const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
        auto r = topk(x, k, dim, largest, sorted);
        return topk_t(py::cast(r.first), py::cast(r.second));
    };
    m.def("topk", topk_fn, py::arg("input"), py::arg("k"), py::arg("dim") = -1,
          py::arg("largest") = true, py::arg("sorted") = true);
    cls.def("topk", topk_fn, py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true,
            py::arg("sorted") = true);

    // ---- selection
    auto unbind_fn = [](const Tensor& x, int64_t dim) { return to_tuple(unbind(x, dim)); };
    m.def("unbind", unbind_fn, py::arg("input"), py::arg("dim") = 0);
    cls.def("unbind", unbind_fn, py::arg("dim") = 0);
    m.def("masked_select", &masked_select, py::arg("input"), py::arg("mask"));
    cls.def("masked_select", &masked_select, py::arg("mask"));
    auto nonzero_fn = [](const Tensor& x, bool as_tuple) -> py::object {
        if (as_tuple) return to_tuple(nonzero_tuple(x));
        return py::cast(nonzero(x));
    };
    m.def("nonzero", nonzero_fn, py::arg("input"), py::kw_only(), py::arg("as_tuple") = false);
    cls.def("nonzero", nonzero_fn, py::kw_only(), py::arg("as_tuple") = false);
    m.def("argwhere", &nonzero, py::arg("input"));
    cls.def("argwhere", &nonzero);
    m.def(
        "where", [](const Tensor& cond) { return to_tuple(nonzero_tuple(cond)); },
        py::arg("condition"));
    auto ri = [](const Tensor& x, py::handle repeats, py::handle dim, py::handle) {
        if (PyLong_Check(repeats.ptr()) && !PyBool_Check(repeats.ptr())) {
            return repeat_interleave(x, py::cast<int64_t>(repeats), opt_int(dim));
        }
        return repeat_interleave(x, to_tensor_arg(repeats, "repeat_interleave"), opt_int(dim));
    };
    m.def("repeat_interleave", ri, py::arg("input"), py::arg("repeats"),
          py::arg("dim") = py::none(), py::kw_only(), py::arg("output_size") = py::none());
    cls.def("repeat_interleave", ri, py::arg("repeats"), py::arg("dim") = py::none(),
            py::kw_only(), py::arg("output_size") = py::none());

    // scatter(dim, index, src) / scatter(dim, index, value): a number in src's place (or
    // value=) is the value form.
    auto scatter_fn = [](const Tensor& x, int64_t dim, const Tensor& index, py::handle src,
                         py::handle value) {
        CR_CHECK(src.is_none() != value.is_none(), TypeError,
                 "scatter: pass exactly one of src (a tensor) or value (a number)");
        py::handle s = src.is_none() ? value : src;
        if (py::isinstance<TensorImpl>(s)) return scatter(x, dim, index, py::cast<Tensor>(s));
        return scatter(x, dim, index, number_arg(s, "scatter", "value"));
    };
    m.def("scatter", scatter_fn, py::arg("input"), py::arg("dim"), py::arg("index"),
          py::arg("src") = py::none(), py::kw_only(), py::arg("value") = py::none());
    cls.def("scatter", scatter_fn, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(),
            py::kw_only(), py::arg("value") = py::none());
    cls.def(
        "scatter_",
        [](Tensor& x, int64_t dim, const Tensor& index, py::handle src,
           py::handle value) -> Tensor& {
            CR_CHECK(src.is_none() != value.is_none(), TypeError,
                     "scatter_: pass exactly one of src (a tensor) or value (a number)");
            py::handle s = src.is_none() ? value : src;
            if (py::isinstance<TensorImpl>(s)) return scatter_(x, dim, index, py::cast<Tensor>(s));
            return scatter_(x, dim, index, number_arg(s, "scatter_", "value"));
        },
        py::arg("dim"), py::arg("index"), py::arg("src") = py::none(), py::kw_only(),
        py::arg("value") = py::none());

    // ---- products and moments
    m.def("dot", &dot, py::arg("input"), py::arg("tensor"));
    cls.def("dot", &dot, py::arg("tensor"));
    m.def("vdot", &dot, py::arg("input"), py::arg("other"));
    m.def("mv", &mv, py::arg("input"), py::arg("vec"));
    cls.def("mv", &mv, py::arg("vec"));
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
