// Bindings of the softmax family: softmax, log_softmax (dtype= casts the input first, as in
// PyTorch) and logsumexp, as cr.<op> functions and Tensor methods.
#include "common.h"

namespace chainrule::bind {

void bind_softmax(py::module_& m) {
    TensorClass cls = tensor_class(m);

    // ---- logsumexp
    auto lse = [](const Tensor& x, py::handle dim, bool keepdim) {
        return logsumexp(x, red_dims(dim, "logsumexp"), keepdim);
    };
    m.def("logsumexp", lse, py::arg("input"), py::arg("dim"), py::arg("keepdim") = false);
    cls.def("logsumexp", lse, py::arg("dim"), py::arg("keepdim") = false);

    // ---- softmax / log_softmax (dtype= casts the input first, as in PyTorch)
    auto sm = [&](const char* name, Tensor (*fn)(const Tensor&, int64_t)) {
        auto f = [fn](const Tensor& x, int64_t dim, py::handle dtype) {
            return fn(cast_opt(x, dtype), dim);
        };
        m.def(name, f, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
        cls.def(name, f, py::arg("dim"), py::arg("dtype") = py::none());
    };
    sm("softmax", &softmax);
    sm("log_softmax", &log_softmax);
}

}  // namespace chainrule::bind
