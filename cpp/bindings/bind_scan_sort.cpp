// Bindings of the scan_sort family: cumsum, sort, argsort and topk (sort and topk return the
// named tuples chainrule.return_types.sort / .topk).
#include "common.h"

namespace chainrule::bind {

void bind_scan_sort(py::module_& m) {
    TensorClass cls = tensor_class(m);
    py::module_ rt = m.attr("return_types").cast<py::module_>();
    py::object namedtuple = py::module_::import("collections").attr("namedtuple");
    for (const char* n : {"sort", "topk"}) {
        py::object t = namedtuple(n, py::make_tuple("values", "indices"));
        t.attr("__module__") = "chainrule.return_types";
        rt.attr(n) = t;
    }
    py::object sort_t = rt.attr("sort"), topk_t = rt.attr("topk");

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
}

}  // namespace chainrule::bind
