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
          py::arg("dtype") = py::none(),
          R"doc(Running sums of input along dim: out[i] = input[0] + ... + input[i].

Same shape as input. dtype= accumulates in that dtype; without it bool and int64 inputs
give int64. Gradient: the reversed running sum of grad along dim.
)doc");
    cls.def("cumsum", cumsum_fn, py::arg("dim"), py::kw_only(), py::arg("dtype") = py::none(),
            R"doc(Running sums along dim. See chainrule.cumsum.
)doc");
    auto sort_fn = [sort_t](const Tensor& x, int64_t dim, bool descending, py::handle) {
        auto r = sort(x, dim, descending);
        return sort_t(py::cast(r.first), py::cast(r.second));
    };
    m.def("sort", sort_fn, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false,
          py::kw_only(), py::arg("stable") = py::none(),
          R"doc(input sorted along dim (default the last), with where each value came from.

Returns the named tuple (values, indices), indices an int64 tensor of input's shape.
descending=True sorts largest first; NaN sorts as the largest value. stable is accepted
for PyTorch compatibility. Gradient: grad routed back through indices.
)doc");
    cls.def("sort", sort_fn, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
            py::arg("stable") = py::none(),
            R"doc(self sorted along dim as (values, indices). See chainrule.sort.
)doc");
    auto argsort_fn = [](const Tensor& x, int64_t dim, bool descending, py::handle) {
        return argsort(x, dim, descending);
    };
    m.def("argsort", argsort_fn, py::arg("input"), py::arg("dim") = -1,
          py::arg("descending") = false, py::kw_only(), py::arg("stable") = false,
          R"doc(The int64 indices that sort input along dim (default the last).

The same as chainrule.sort(...).indices; descending=True puts the largest first.
)doc");
    cls.def("argsort", argsort_fn, py::arg("dim") = -1, py::arg("descending") = false,
            py::kw_only(), py::arg("stable") = false,
            R"doc(The indices that sort self along dim. See chainrule.argsort.
)doc");
    auto topk_fn = [topk_t](const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
        auto r = topk(x, k, dim, largest, sorted);
        return topk_t(py::cast(r.first), py::cast(r.second));
    };
    m.def(
        "topk", topk_fn, py::arg("input"), py::arg("k"), py::arg("dim") = -1,
        py::arg("largest") = true, py::arg("sorted") = true,
        R"doc(The k largest (largest=False: smallest) elements of input along dim, with their indices.

Returns the named tuple (values, indices) with size k at dim (default the last dim);
sorted=True orders them largest first (smallest first when largest=False). k must not
exceed the size of dim. Gradient: grad routed back through indices.
)doc");
    cls.def("topk", topk_fn, py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true,
            py::arg("sorted") = true,
            R"doc(The k largest (or smallest) elements along dim. See chainrule.topk.
)doc");
}

}  // namespace chainrule::bind
