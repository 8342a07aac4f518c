// Python bindings of the pool family: 2-D max, average and adaptive average pooling, as
// nn.functional forms in _C._nn with PyTorch's argument names and defaults.
#include <string>

#include "common.h"

namespace chainrule::bind {

namespace {

// An int or a sequence of 1 or 2 ints as (h, w).
Pool2 pair_arg(py::handle h, const char* op, const char* what) {
    if (py::isinstance<py::int_>(h) && !py::isinstance<py::bool_>(h)) {
        const int64_t v = h.cast<int64_t>();
        return {v, v};
    }
    if (py::isinstance<py::sequence>(h) && !py::isinstance<py::str>(h)) {
        auto seq = h.cast<py::sequence>();
        if (seq.size() == 1) {
            const int64_t v = seq[0].cast<int64_t>();
            return {v, v};
        }
        if (seq.size() == 2) return {seq[0].cast<int64_t>(), seq[1].cast<int64_t>()};
    }
    CR_CHECK(false, TypeError, op, ": ", what, " must be an int or a tuple of 2 ints; got ",
             std::string(py::str(h)));
    return {0, 0};
}

// stride=None or () means stride = kernel_size.
Pool2 stride_arg(py::handle h, Pool2 kernel, const char* op) {
    if (h.is_none()) return kernel;
    if (py::isinstance<py::sequence>(h) && py::len(h) == 0) return kernel;
    return pair_arg(h, op, "stride");
}

}  // namespace

void bind_pool(py::module_& m) {
    py::module_ nn = m.def_submodule("_nn");

    auto max_pool = [](const Tensor& input, py::handle kernel_size, py::handle stride,
                       py::handle padding, py::handle dilation, bool ceil_mode) {
        const char* op = "max_pool2d";
        const Pool2 k = pair_arg(kernel_size, op, "kernel_size");
        return max_pool2d_with_indices(input, k, stride_arg(stride, k, op),
                                       pair_arg(padding, op, "padding"),
                                       pair_arg(dilation, op, "dilation"), ceil_mode);
    };
    nn.def(
        "max_pool2d",
        [max_pool](const Tensor& input, py::handle kernel_size, py::handle stride,
                   py::handle padding, py::handle dilation, bool ceil_mode,
                   bool return_indices) -> py::object {
            auto r = max_pool(input, kernel_size, stride, padding, dilation, ceil_mode);
            if (return_indices) return py::make_tuple(r.first, r.second);
            return py::cast(r.first);
        },
        "2-D max pooling over (N, C, H, W) or (C, H, W); with return_indices, also the flat "
        "index h * W + w of each maximum in its input plane.",
        py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(),
        py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("ceil_mode") = false,
        py::arg("return_indices") = false);
    nn.def(
        "max_pool2d_with_indices",
        [max_pool](const Tensor& input, py::handle kernel_size, py::handle stride,
                   py::handle padding, py::handle dilation, bool ceil_mode, bool return_indices) {
            (void)return_indices;
            auto r = max_pool(input, kernel_size, stride, padding, dilation, ceil_mode);
            return py::make_tuple(r.first, r.second);
        },
        "max_pool2d returning (output, indices).", py::arg("input"), py::arg("kernel_size"),
        py::arg("stride") = py::none(), py::arg("padding") = 0, py::arg("dilation") = 1,
        py::arg("ceil_mode") = false, py::arg("return_indices") = true);

    nn.def(
        "avg_pool2d",
        [](const Tensor& input, py::handle kernel_size, py::handle stride, py::handle padding,
           bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override) {
            const char* op = "avg_pool2d";
            const Pool2 k = pair_arg(kernel_size, op, "kernel_size");
            return avg_pool2d(input, k, stride_arg(stride, k, op), pair_arg(padding, op, "padding"),
                              ceil_mode, count_include_pad, divisor_override);
        },
        "2-D average pooling over (N, C, H, W) or (C, H, W).", py::arg("input"),
        py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
        py::arg("ceil_mode") = false, py::arg("count_include_pad") = true,
        py::arg("divisor_override") = py::none());

    nn.def(
        "adaptive_avg_pool2d",
        [](const Tensor& input, py::handle output_size) {
            const char* op = "adaptive_avg_pool2d";
            CR_CHECK(input.dim() >= 2, RuntimeError, op,
                     ": expected a 3-D (C, H, W) or 4-D (N, C, H, W) input; got shape ",
                     shape_str(input.shape()));
            // None entries keep the input's size along that dim.
            Pool2 out{0, 0};
            if (py::isinstance<py::sequence>(output_size) && py::len(output_size) == 2) {
                auto seq = output_size.cast<py::sequence>();
                for (int i = 0; i < 2; ++i)
                    out[i] = seq[i].is_none() ? input.shape()[input.dim() - 2 + i]
                                              : seq[i].cast<int64_t>();
            } else {
                out = pair_arg(output_size, op, "output_size");
            }
            return adaptive_avg_pool2d(input, out);
        },
        "2-D adaptive average pooling to output_size (an int, or (h, w) with None keeping "
        "the input's size).",
        py::arg("input"), py::arg("output_size"));
}

}  // namespace chainrule::bind
