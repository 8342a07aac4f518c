// Python bindings: activation functions. The nn.functional forms (PyTorch's signatures,
// `inplace=` included) live in the submodule _C._nn, as in torch._C._nn, so that they do not
// leak into `chainrule.*`; selu/celu and their in-place forms are also top-level, as in torch.
#include <algorithm>

#include "common.h"

namespace chainrule::bind {

namespace {

using SoftmaxFn = Tensor (*)(const Tensor&, int64_t);

// F.softmax & co.: dim=None picks PyTorch's legacy implicit dim (0 for 0-, 1- and 3-d inputs,
// else 1) with its deprecation warning; dtype= casts the input before the op.
void def_softmax(py::module_& nn, const char* name, SoftmaxFn fn, bool negate, const char* doc) {
    nn.def(
        name,
        [fn, name, negate](const Tensor& x, std::optional<int64_t> dim, int stacklevel,
                           py::handle dtype) {
            if (!dim) {
                const std::string msg = std::string("Implicit dimension choice for ") + name +
                                        " has been deprecated. Change the call to include "
                                        "dim=X as an argument.";
                // _stacklevel counts PyTorch's two Python frames (the helper and F.<name>),
                // which this C++ function does not have.
                if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), std::max(1, stacklevel - 2)) < 0) {
                    throw py::error_already_set();
                }
                const int64_t n = x.dim();
                dim = (n == 0 || n == 1 || n == 3) ? 0 : 1;
            }
            Tensor in = negate ? neg(x) : x;
            if (!dtype.is_none()) in = to_dtype(in, dtype_arg(dtype, in.dtype()));
            return fn(in, *dim);
        },
        doc, py::arg("input"), py::arg("dim") = py::none(), py::arg("_stacklevel") = 3,
        py::arg("dtype") = py::none());
}

// The tail shared by the docstrings of the float-only activations.
// (pybind11 prepends the signature itself.)
#define CR_ACT_DOC(math, extra_args)                                                \
    math "\n\nArgs:\n    input: a floating-point tensor of any shape.\n" extra_args \
         "\nReturns:\n    A tensor of input's shape and dtype.\n"
#define CR_INPLACE_ARG                                                               \
    "    inplace: write the result into input and return it (not allowed on a leaf " \
    "that requires grad).\n"

}  // namespace

void bind_activation(py::module_& m) {
    py::module_ nn = m.def_submodule("_nn", "nn.functional activations (as torch._C._nn)");

    // ---- relu / leaky_relu / elu / selu / celu
    nn.def(
        "relu", [](Tensor& x, bool inplace) -> Tensor { return inplace ? relu_(x) : relu(x); },
        CR_ACT_DOC("max(x, 0) elementwise (gradient 0 at x = 0); int64 input stays int64.",
                   CR_INPLACE_ARG),
        py::arg("input"), py::arg("inplace") = false);
    nn.def(
        "leaky_relu",
        [](Tensor& x, double slope, bool inplace) -> Tensor {
            return inplace ? leaky_relu_(x, slope) : leaky_relu(x, slope);
        },
        CR_ACT_DOC("x if x > 0 else negative_slope * x (gradient negative_slope at x = 0).",
                   "    negative_slope: the slope for x <= 0.\n" CR_INPLACE_ARG),
        py::arg("input"), py::arg("negative_slope") = 0.01, py::arg("inplace") = false);
    nn.def(
        "leaky_relu_", [](Tensor& x, double slope) -> Tensor& { return leaky_relu_(x, slope); },
        CR_ACT_DOC("In-place leaky_relu: writes into input and returns it.",
                   "    negative_slope: the slope for x <= 0.\n"),
        py::arg("input"), py::arg("negative_slope") = 0.01);
    nn.def(
        "elu",
        [](Tensor& x, double alpha, bool inplace) -> Tensor {
            return inplace ? elu_(x, alpha) : elu(x, alpha);
        },
        CR_ACT_DOC("x if x > 0 else alpha * (exp(x) - 1).",
                   "    alpha: the saturation value for x -> -inf is -alpha.\n" CR_INPLACE_ARG),
        py::arg("input"), py::arg("alpha") = 1.0, py::arg("inplace") = false);
    nn.def(
        "elu_", [](Tensor& x, double alpha) -> Tensor& { return elu_(x, alpha); },
        CR_ACT_DOC("In-place elu: writes into input and returns it.",
                   "    alpha: the saturation value for x -> -inf is -alpha.\n"),
        py::arg("input"), py::arg("alpha") = 1.0);
    nn.def(
        "selu", [](Tensor& x, bool inplace) -> Tensor { return inplace ? selu_(x) : selu(x); },
        CR_ACT_DOC("scale * elu(x, alpha) with alpha = 1.6732632423543772 and "
                   "scale = 1.0507009873554805 (self-normalising networks).",
                   CR_INPLACE_ARG),
        py::arg("input"), py::arg("inplace") = false);
    nn.def(
        "celu",
        [](Tensor& x, double alpha, bool inplace) -> Tensor {
            return inplace ? celu_(x, alpha) : celu(x, alpha);
        },
        CR_ACT_DOC("x if x > 0 else alpha * (exp(x / alpha) - 1); alpha must not be 0.",
                   "    alpha: the saturation value for x -> -inf is -alpha.\n" CR_INPLACE_ARG),
        py::arg("input"), py::arg("alpha") = 1.0, py::arg("inplace") = false);
    m.def("selu", &selu, "selu(input) -> Tensor: see nn.functional.selu.", py::arg("input"));
    m.def(
        "selu_", [](Tensor& x) -> Tensor& { return selu_(x); },
        "selu_(input) -> Tensor: in-place selu.", py::arg("input"));
    m.def("celu", &celu, "celu(input, alpha=1.0) -> Tensor: see nn.functional.celu.",
          py::arg("input"), py::arg("alpha") = 1.0);
    m.def(
        "celu_", [](Tensor& x, double alpha) -> Tensor& { return celu_(x, alpha); },
        "celu_(input, alpha=1.0) -> Tensor: in-place celu.", py::arg("input"),
        py::arg("alpha") = 1.0);

    // ---- smooth activations
    nn.def("gelu", &gelu,
           CR_ACT_DOC("x * Phi(x) with Phi the standard normal CDF (erf form), or its tanh "
                      "approximation 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).",
                      "    approximate: 'none' or 'tanh'.\n"),
           py::arg("input"), py::kw_only(), py::arg("approximate") = "none");
    nn.def(
        "silu", [](Tensor& x, bool inplace) -> Tensor { return inplace ? silu_(x) : silu(x); },
        CR_ACT_DOC("x * sigmoid(x) (swish).", CR_INPLACE_ARG), py::arg("input"),
        py::arg("inplace") = false);
    nn.def(
        "mish", [](Tensor& x, bool inplace) -> Tensor { return inplace ? mish_(x) : mish(x); },
        CR_ACT_DOC("x * tanh(softplus(x)).", CR_INPLACE_ARG), py::arg("input"),
        py::arg("inplace") = false);
    nn.def("softplus", &softplus,
           CR_ACT_DOC("log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold "
                      "(for numerical stability).",
                      "    beta: the sharpness of the curve.\n"
                      "    threshold: above this value of beta * x the result is x.\n"),
           py::arg("input"), py::arg("beta") = 1.0, py::arg("threshold") = 20.0);
    nn.def("logsigmoid", &logsigmoid,
           CR_ACT_DOC("log(sigmoid(x)), computed as min(x, 0) - log1p(exp(-|x|)).", ""),
           py::arg("input"));

    // ---- piecewise-linear activations
    nn.def(
        "hardtanh",
        [](Tensor& x, double lo, double hi, bool inplace) -> Tensor {
            return inplace ? hardtanh_(x, lo, hi) : hardtanh(x, lo, hi);
        },
        CR_ACT_DOC("x clamped to [min_val, max_val] (gradient 0 at the bounds); int64 input "
                   "stays int64.",
                   "    min_val: the lower bound.\n    max_val: the upper bound.\n" CR_INPLACE_ARG),
        py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0,
        py::arg("inplace") = false);
    nn.def(
        "hardtanh_",
        [](Tensor& x, double lo, double hi) -> Tensor& { return hardtanh_(x, lo, hi); },
        CR_ACT_DOC("In-place hardtanh: writes into input and returns it.",
                   "    min_val: the lower bound.\n    max_val: the upper bound.\n"),
        py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0);
    nn.def(
        "relu6", [](Tensor& x, bool inplace) -> Tensor { return inplace ? relu6_(x) : relu6(x); },
        CR_ACT_DOC("min(max(x, 0), 6).", CR_INPLACE_ARG), py::arg("input"),
        py::arg("inplace") = false);
    nn.def(
        "hardsigmoid",
        [](Tensor& x, bool inplace) -> Tensor {
            return inplace ? hardsigmoid_(x) : hardsigmoid(x);
        },
        CR_ACT_DOC("relu6(x + 3) / 6.", CR_INPLACE_ARG), py::arg("input"),
        py::arg("inplace") = false);
    nn.def(
        "hardswish",
        [](Tensor& x, bool inplace) -> Tensor { return inplace ? hardswish_(x) : hardswish(x); },
        CR_ACT_DOC("x * relu6(x + 3) / 6.", CR_INPLACE_ARG), py::arg("input"),
        py::arg("inplace") = false);

    // ---- softmax family
#define CR_SOFTMAX_DOC(math)                                                                 \
    math "\n\nArgs:\n    input: a floating-point tensor (N, *).\n"                           \
         "    dim: the dim to normalise over. None picks PyTorch's deprecated implicit dim " \
         "(0 for 0-, 1- and 3-d inputs, else 1) and warns.\n"                                \
         "    _stacklevel: the warning's stack level, as in PyTorch.\n"                      \
         "    dtype: cast the input to this dtype before the op (None: keep it).\n\n"        \
         "Returns:\n    A tensor of input's shape.\n"
    def_softmax(nn, "softmax", &softmax, false, CR_SOFTMAX_DOC("exp(x) / sum(exp(x)) along dim."));
    def_softmax(nn, "log_softmax", &log_softmax, false,
                CR_SOFTMAX_DOC("x - logsumexp(x) along dim."));
    def_softmax(nn, "softmin", &softmax, true, CR_SOFTMAX_DOC("softmax(-x) along dim."));
#undef CR_SOFTMAX_DOC
}

#undef CR_ACT_DOC
#undef CR_INPLACE_ARG

}  // namespace chainrule::bind
