// Python bindings: layer ops (linear, dropout) and the aliasing constructor that lets Python
// subclasses of Tensor (nn.Parameter, nn.Buffer) wrap an existing tensor's storage.
#include "common.h"

namespace chainrule::bind {

void bind_nn(py::module_& m) {
    TensorClass cls = tensor_class(m);
    // Tensor(data, requires_grad): a new tensor object sharing data's storage, without its
    // history. Subclasses call it from __init__ (torch's Tensor._make_subclass).
    cls.def(py::init([](const Tensor& data, bool requires_grad) {
                Tensor alias = data.detach();
                alias.set_requires_grad(requires_grad);
                return alias.impl_ptr();
            }),
            py::arg("data"), py::arg("requires_grad") = false);

    m.def(
        "linear",
        [](const Tensor& input, const Tensor& weight, py::handle bias) {
            return linear(input, weight, optional_tensor_arg(bias, "linear", "bias"));
        },
        py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(),
        "y = input @ weight.T + bias.   input: (*, in), weight: (out, in), bias: (out).");

    m.def(
        "dropout",
        [](const Tensor& input, double p, bool train, Generator* generator) {
            return dropout(input, p, train, generator);
        },
        py::arg("input"), py::arg("p"), py::arg("train"), py::kw_only(),
        py::arg("generator") = nullptr,
        "Zeroes elements with probability p and scales the rest by 1/(1-p) when train is set.");
}

}  // namespace chainrule::bind
