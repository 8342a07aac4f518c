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
    m.def("logsumexp", lse, py::arg("input"), py::arg("dim"), py::arg("keepdim") = false,
          R"doc(log(sum(exp(input))) over dim, computed without overflow.

dim: an int or a tuple of ints; keepdim keeps them as size 1. The largest value is
taken out before exponentiating. Gradient: grad * softmax(input) over dim.
)doc");
    cls.def("logsumexp", lse, py::arg("dim"), py::arg("keepdim") = false,
            "log(sum(exp(self))) over dim, without overflow. See chainrule.logsumexp.");

    // ---- softmax / log_softmax (dtype= casts the input first, as in PyTorch)
    auto sm = [&](const char* name, Tensor (*fn)(const Tensor&, int64_t), const char* doc) {
        auto f = [fn](const Tensor& x, int64_t dim, py::handle dtype) {
            return fn(cast_opt(x, dtype), dim);
        };
        m.def(name, f, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none(), doc);
        cls.def(name, f, py::arg("dim"), py::arg("dtype") = py::none(),
                method_doc(name, doc).c_str());
    };
    sm("softmax", &softmax, R"doc(exp(input) normalised to sum to 1 along dim.

dim is required here; dtype= casts input before the op. Same shape as input; the
largest value is subtracted first, so large logits do not overflow.
)doc");
    sm("log_softmax", &log_softmax, R"doc(log(softmax(input)) along dim, computed stably.

It is input - logsumexp(input, dim, keepdim=True), more accurate than the log of
chainrule.softmax. dim is required; dtype= casts input first. Same shape as input.
)doc");
}

}  // namespace chainrule::bind
