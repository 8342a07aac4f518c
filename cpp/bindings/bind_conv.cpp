// Python bindings: convolutions (conv1d, conv2d) and pad, as cr.<op> and _C._nn.<op> with
// torch's argument names. padding accepts an int, a sequence or 'same' / 'valid'.
#include "common.h"

namespace chainrule::bind {

namespace {

// An int or a sequence of sd ints (a 1-sequence is broadcast).
std::vector<int64_t> expand_arg(py::handle h, int64_t sd, const char* op, const char* what) {
    std::vector<int64_t> v;
    if (py::isinstance<py::bool_>(h)) {
        CR_CHECK(false, TypeError, op, ": ", what, " must be an int or a tuple of ints; got bool");
    } else if (py::isinstance<py::int_>(h)) {
        v.assign(sd, h.cast<int64_t>());
    } else if (py::isinstance<py::sequence>(h) && !py::isinstance<py::str>(h)) {
        for (py::handle e : h.cast<py::sequence>()) {
            CR_CHECK(py::isinstance<py::int_>(e) && !py::isinstance<py::bool_>(e), TypeError, op,
                     ": ", what, " must be an int or a tuple of ints; got an element of type ",
                     std::string(py::str(py::type::of(e).attr("__name__"))));
            v.push_back(e.cast<int64_t>());
        }
        if (v.size() == 1) v.assign(sd, v[0]);
    } else {
        CR_CHECK(false, TypeError, op, ": ", what, " must be an int or a tuple of ints; got ",
                 std::string(py::str(py::type::of(h).attr("__name__"))));
    }
    CR_CHECK(static_cast<int64_t>(v.size()) == sd, RuntimeError, op, ": expected ", what,
             " to be a single ", "integer value or a list of ", sd,
             " values to match the convolution dimensions, but got ", what, "=",
             std::string(py::str(h)));
    return v;
}

Tensor conv_call(int64_t sd, const char* op, const Tensor& input, const Tensor& weight,
                 py::handle bias, py::handle stride, py::handle padding, py::handle dilation,
                 int64_t groups) {
    Tensor b = optional_tensor_arg(bias, op, "bias");
    std::vector<int64_t> st = expand_arg(stride, sd, op, "stride");
    std::vector<int64_t> dl = expand_arg(dilation, sd, op, "dilation");
    std::vector<int64_t> lo, hi;
    if (py::isinstance<py::str>(padding)) {
        const std::string mode = padding.cast<std::string>();
        CR_CHECK(mode == "same" || mode == "valid", ValueError, op, ": Invalid padding string '",
                 mode, "'; expected 'same' or 'valid'");
        lo.assign(sd, 0);
        hi.assign(sd, 0);
        if (mode == "same") {
            for (int64_t s : st)
                CR_CHECK(s == 1, ValueError, op,
                         ": padding='same' is not supported for strided convolutions");
            CR_CHECK(weight.dim() == sd + 2, RuntimeError, op, ": weight must be ", sd + 2,
                     "-D; got shape ", shape_str(weight.shape()));
            for (int64_t i = 0; i < sd; ++i) {
                const int64_t total = dl[i] * (weight.shape()[2 + i] - 1);
                lo[i] = total / 2;
                hi[i] = total - lo[i];
            }
        }
    } else {
        lo = expand_arg(padding, sd, op, "padding");
        hi = lo;
    }
    return convolution(input, weight, b, st, lo, hi, dl, groups, op);
}

}  // namespace

void bind_conv(py::module_& m) {
    py::module_ nn = m.def_submodule("_nn");
    for (py::module_* mod : {&m, &nn}) {
        mod->def(
            "conv2d",
            [](const Tensor& input, const Tensor& weight, py::handle bias, py::handle stride,
               py::handle padding, py::handle dilation, int64_t groups) {
                return conv_call(2, "conv2d", input, weight, bias, stride, padding, dilation,
                                 groups);
            },
            py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(),
            py::arg("stride") = 1, py::arg("padding") = 0, py::arg("dilation") = 1,
            py::arg("groups") = 1,
            "2-d convolution (cross-correlation) over (N, C, H, W) or (C, H, W) input.");
        mod->def(
            "conv1d",
            [](const Tensor& input, const Tensor& weight, py::handle bias, py::handle stride,
               py::handle padding, py::handle dilation, int64_t groups) {
                return conv_call(1, "conv1d", input, weight, bias, stride, padding, dilation,
                                 groups);
            },
            py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(),
            py::arg("stride") = 1, py::arg("padding") = 0, py::arg("dilation") = 1,
            py::arg("groups") = 1,
            "1-d convolution (cross-correlation) over (N, C, L) or (C, L) input.");
    }
    auto pad_fn = [](const Tensor& input, py::handle pad_arg, const std::string& mode,
                     py::handle value) {
        std::vector<int64_t> p;
        CR_CHECK(py::isinstance<py::sequence>(pad_arg) && !py::isinstance<py::str>(pad_arg),
                 TypeError, "pad: pad must be a sequence of ints; got ",
                 std::string(py::str(py::type::of(pad_arg).attr("__name__"))));
        for (py::handle e : pad_arg.cast<py::sequence>()) {
            CR_CHECK(py::isinstance<py::int_>(e) && !py::isinstance<py::bool_>(e), TypeError,
                     "pad: pad must be a sequence of ints; got an element of type ",
                     std::string(py::str(py::type::of(e).attr("__name__"))));
            p.push_back(e.cast<int64_t>());
        }
        const double v = value.is_none() ? 0.0 : value.cast<double>();
        return pad(input, p, mode, v);
    };
    m.def("pad", pad_fn, py::arg("input"), py::arg("pad"), py::arg("mode") = "constant",
          py::arg("value") = py::none(),
          "Pads the last len(pad) / 2 dims: pad = (last_lo, last_hi, prev_lo, ...); negative pads "
          "crop.");
    nn.def("pad", pad_fn, py::arg("input"), py::arg("pad"), py::arg("mode") = "constant",
           py::arg("value") = py::none(),
           "Pads the last len(pad) / 2 dims: pad = (last_lo, last_hi, prev_lo, ...); negative pads "
           "crop.");
}

}  // namespace chainrule::bind
