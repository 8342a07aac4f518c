// Python bindings of the norm family: layer_norm and batch_norm, as nn.functional forms in
// _C._nn with PyTorch's argument names and defaults.
#include <vector>

#include "common.h"

namespace chainrule::bind {

void bind_norm(py::module_& m) {
    py::module_ nn = m.def_submodule("_nn");

    nn.def(
        "layer_norm",
        [](const Tensor& input, py::handle normalized_shape, py::handle weight, py::handle bias,
           double eps) {
            std::vector<int64_t> ns;
            if (py::isinstance<py::int_>(normalized_shape)) {
                ns.push_back(normalized_shape.cast<int64_t>());
            } else {
                ns = normalized_shape.cast<std::vector<int64_t>>();
            }
            return layer_norm(input, ns, optional_tensor_arg(weight, "layer_norm", "weight"),
                              optional_tensor_arg(bias, "layer_norm", "bias"), eps);
        },
        "Normalises over the trailing dims normalized_shape: (x - mean) / sqrt(var + eps) * "
        "weight + bias (biased variance).",
        py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(),
        py::arg("bias") = py::none(), py::arg("eps") = 1e-5);

    nn.def(
        "batch_norm",
        [](const Tensor& input, py::handle running_mean, py::handle running_var, py::handle weight,
           py::handle bias, bool training, double momentum, double eps) {
            const char* op = "batch_norm";
            return batch_norm(input, optional_tensor_arg(running_mean, op, "running_mean"),
                              optional_tensor_arg(running_var, op, "running_var"),
                              optional_tensor_arg(weight, op, "weight"),
                              optional_tensor_arg(bias, op, "bias"), training, momentum, eps);
        },
        "Normalises each channel (dim 1) of an (N, C, *) input with the batch statistics "
        "(training, updating running_mean/running_var in place) or the running ones.",
        py::arg("input"), py::arg("running_mean"), py::arg("running_var"),
        py::arg("weight") = py::none(), py::arg("bias") = py::none(), py::arg("training") = false,
        py::arg("momentum") = 0.1, py::arg("eps") = 1e-5);
}

}  // namespace chainrule::bind
