// Python bindings of the losses, with torch.nn.functional's signatures (argument names,
// order, defaults, the legacy size_average/reduce pair and torch's UserWarnings). They live in
// the private submodule chainrule._C._nn and are re-exported by nn/_functional_loss.py.
#include <optional>
#include <string>

#include "common.h"

namespace chainrule::bind {

namespace {

using OptTensor = std::optional<Tensor>;

Tensor opt(const OptTensor& t) { return t ? *t : Tensor(); }

// Python's warnings.warn(msg) (UserWarning), attributed to the caller's line; raises when
// warnings are errors.
void warn(const std::string& msg) {
    if (PyErr_WarnEx(PyExc_UserWarning, msg.c_str(), 1) < 0) throw py::error_already_set();
}

// torch's _Reduction: the legacy size_average/reduce pair wins (with a deprecation warning),
// then `reduction` must be one of the strings the loss accepts.
Reduction reduction_arg(py::handle size_average, py::handle reduce, py::handle reduction,
                        const char* op, bool allow_batchmean = false) {
    if (!size_average.is_none() || !reduce.is_none()) {
        const bool sa = size_average.is_none() || PyObject_IsTrue(size_average.ptr()) == 1;
        const bool rd = reduce.is_none() || PyObject_IsTrue(reduce.ptr()) == 1;
        const char* r = sa && rd ? "mean" : rd ? "sum" : "none";
        warn(std::string("size_average and reduce args will be deprecated, please use "
                         "reduction='") +
             r + "' instead.");
        return reduction_from_string(r, op);
    }
    if (!PyUnicode_Check(reduction.ptr())) {
        throw ValueError(std::string(op) + ": " + py::repr(reduction).cast<std::string>() +
                         " is not a valid value for reduction; expected a string");
    }
    return reduction_from_string(reduction.cast<std::string>(), op, allow_batchmean);
}

// The regression losses broadcast input and target, which is rarely what was meant.
void warn_if_shapes_differ(const Tensor& input, const Tensor& target) {
    if (input.shape() == target.shape()) return;
    warn("Using a target size " + shape_str(target.shape()) +
         " that is different to the input size " + shape_str(input.shape()) +
         ". This will likely lead to incorrect results due to broadcasting. Please ensure "
         "they have the same size.");
}

constexpr const char* kCrossEntropyDoc = R"doc(Cross-entropy between logits and targets.

Fuses log_softmax over the class dim and the negative log-likelihood in one pass per row
(the row max is subtracted, so logits of +-1e4 stay finite); backward rebuilds the softmax
from the saved per-row logsumexp. The graph holds one ``CrossEntropyLossBackward0`` node
where torch's composite shows ``NllLossBackward0`` over ``LogSoftmaxBackward0``.

Args:
    input: logits of shape (C,), (N, C) or (N, C, d1, ..., dk).
    target: int64 class indices of shape (), (N) or (N, d1, ..., dk), each in [0, C) or
        equal to ignore_index; or floating class probabilities of the input's shape.
    weight: optional (C,) rescaling weight per class.
    size_average: deprecated (see reduction).
    ignore_index: target value that contributes neither loss nor gradient (class indices
        only). Default: -100.
    reduce: deprecated (see reduction).
    reduction: 'none' | 'mean' | 'sum'. With class indices, 'mean' divides by the summed
        weight of the non-ignored targets (nan when every target is ignored); with
        probabilities, by N * d1 * ... * dk. Default: 'mean'.
    label_smoothing: in [0, 1]; the target becomes (1 - label_smoothing) * target +
        label_smoothing / C. Default: 0.0.

Returns:
    A 0-d tensor, or the per-target loss of shape (), (N) or (N, d1, ..., dk) for 'none'.

Example:
    >>> import chainrule as cr
    >>> import chainrule.nn.functional as F
    >>> F.cross_entropy(cr.tensor([[2.0, 0.0, 0.0]]), cr.tensor([0])).item() < 0.25
    True
)doc";

constexpr const char* kNllDoc = R"doc(Negative log-likelihood of log-probabilities.

loss = -weight[target] * input[target] per target; 'mean' divides by the summed weight of
the non-ignored targets.

Args:
    input: log-probabilities of shape (C,), (N, C) or (N, C, d1, ..., dk).
    target: int64 class indices of shape (), (N) or (N, d1, ..., dk).
    weight: optional (C,) weight per class.
    size_average: deprecated (see reduction).
    ignore_index: target value that is skipped. Default: -100.
    reduce: deprecated (see reduction).
    reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.

Returns:
    A 0-d tensor, or the per-target loss for 'none'.
)doc";

constexpr const char* kMseDoc = R"doc(Mean squared error: (input - target) ** 2, reduced.

input and target broadcast (with a UserWarning when their shapes differ, as in torch).

Args:
    input: any shape.
    target: broadcastable to input.
    size_average: deprecated (see reduction).
    reduce: deprecated (see reduction).
    reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.
    weight: optional, the input's shape; 'mean' is then sum(weight * loss) / sum(weight).

Returns:
    A 0-d tensor, or the elementwise loss for 'none'.
)doc";

constexpr const char* kL1Doc = R"doc(Mean absolute error: |input - target|, reduced.

The gradient at input == target is 0, as in torch.

Args:
    input: any shape.
    target: broadcastable to input (UserWarning when the shapes differ).
    size_average: deprecated (see reduction).
    reduce: deprecated (see reduction).
    reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.
    weight: optional, the input's shape; 'mean' is then sum(weight * loss) / sum(weight).

Returns:
    A 0-d tensor, or the elementwise loss for 'none'.
)doc";

constexpr const char* kHuberDoc = R"doc(Huber loss: quadratic below delta, linear above.

loss = 0.5 d**2 where |d| < delta, else delta * (|d| - 0.5 delta), with d = input - target;
the gradient is +-delta from |d| = delta on.

Args:
    input: any shape.
    target: broadcastable to input (UserWarning when the shapes differ).
    reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.
    delta: positive threshold. Default: 1.0.
    weight: optional, the input's shape; 'mean' is then mean(weight * loss).

Returns:
    A 0-d tensor, or the elementwise loss for 'none'.
)doc";

constexpr const char* kSmoothL1Doc = R"doc(Smooth L1: quadratic below beta, linear above.

loss = 0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta, with d = input - target;
beta = 0 is l1_loss. The gradient is +-1 from |d| = beta on.

Args:
    input: any shape.
    target: broadcastable to input (UserWarning when the shapes differ).
    size_average: deprecated (see reduction).
    reduce: deprecated (see reduction).
    reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.
    beta: non-negative threshold. Default: 1.0.

Returns:
    A 0-d tensor, or the elementwise loss for 'none'.
)doc";

constexpr const char* kBceDoc = R"doc(Binary cross-entropy of probabilities.

loss = -weight * (target * log(input) + (1 - target) * log(1 - input)), each log clamped at
-100 as in torch. Prefer binary_cross_entropy_with_logits, which is stable for any logit.

Args:
    input: probabilities in [0, 1], any shape.
    target: values in [0, 1], the input's shape.
    weight: optional, broadcastable to the input's shape.
    size_average: deprecated (see reduction).
    reduce: deprecated (see reduction).
    reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.

Returns:
    A 0-d tensor, or the elementwise loss for 'none'.
)doc";

constexpr const char* kBceLogitsDoc = R"doc(Binary cross-entropy of logits, in the stable form.

loss = weight * [(1 - target) * x - (1 + (pos_weight - 1) * target) * log_sigmoid(x)] with
log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|)).

Args:
    input: logits, any shape.
    target: values in [0, 1], the input's shape.
    weight: optional, broadcastable to the input.
    size_average: deprecated (see reduction).
    reduce: deprecated (see reduction).
    reduction: 'none' | 'mean' | 'sum'. Default: 'mean'.
    pos_weight: optional weight of positive examples, broadcastable to the input (e.g. (C,)
        for an (N, C) input).

Returns:
    A 0-d tensor, or the elementwise loss for 'none'.
)doc";

constexpr const char* kKlDivDoc = R"doc(Kullback-Leibler divergence of target from exp(input).

loss = target * (log(target) - input) pointwise (0 where target is 0); with log_target,
target holds log-probabilities: exp(target) * (target - input). 'mean'
divides by every element (torch warns about it); 'batchmean' divides by input.size(0) and is
the mathematical KL divergence.

Args:
    input: log-probabilities, any shape.
    target: probabilities (log-probabilities with log_target), broadcastable to input.
    size_average: deprecated (see reduction).
    reduce: deprecated (see reduction).
    reduction: 'none' | 'batchmean' | 'sum' | 'mean'. Default: 'mean'.
    log_target: whether target holds log-probabilities. Default: False.

Returns:
    A 0-d tensor, or the elementwise loss for 'none'.
)doc";

}  // namespace

void bind_loss(py::module_& m) {
    // Shared with the activations (bind_activation.cpp creates it first); no docstring here,
    // so that one is kept.
    py::module_ nn = m.def_submodule("_nn");
    const py::none none;

    nn.def(
        "cross_entropy",
        [](const Tensor& input, const Tensor& target, const OptTensor& weight,
           py::handle size_average, int64_t ignore_index, py::handle reduce, py::handle reduction,
           double label_smoothing) {
            const Reduction r = reduction_arg(size_average, reduce, reduction, "cross_entropy");
            return cross_entropy(input, target, opt(weight), ignore_index, r, label_smoothing);
        },
        py::arg("input"), py::arg("target"), py::arg("weight") = none,
        py::arg("size_average") = none, py::arg("ignore_index") = -100, py::arg("reduce") = none,
        py::arg("reduction") = "mean", py::arg("label_smoothing") = 0.0, kCrossEntropyDoc);

    nn.def(
        "nll_loss",
        [](const Tensor& input, const Tensor& target, const OptTensor& weight,
           py::handle size_average, int64_t ignore_index, py::handle reduce, py::handle reduction) {
            const Reduction r = reduction_arg(size_average, reduce, reduction, "nll_loss");
            return nll_loss(input, target, opt(weight), ignore_index, r);
        },
        py::arg("input"), py::arg("target"), py::arg("weight") = none,
        py::arg("size_average") = none, py::arg("ignore_index") = -100, py::arg("reduce") = none,
        py::arg("reduction") = "mean", kNllDoc);

    nn.def(
        "mse_loss",
        [](const Tensor& input, const Tensor& target, py::handle size_average, py::handle reduce,
           py::handle reduction, const OptTensor& weight) {
            warn_if_shapes_differ(input, target);
            const Reduction r = reduction_arg(size_average, reduce, reduction, "mse_loss");
            return mse_loss(input, target, r, opt(weight));
        },
        py::arg("input"), py::arg("target"), py::arg("size_average") = none,
        py::arg("reduce") = none, py::arg("reduction") = "mean", py::arg("weight") = none, kMseDoc);

    nn.def(
        "l1_loss",
        [](const Tensor& input, const Tensor& target, py::handle size_average, py::handle reduce,
           py::handle reduction, const OptTensor& weight) {
            warn_if_shapes_differ(input, target);
            const Reduction r = reduction_arg(size_average, reduce, reduction, "l1_loss");
            return l1_loss(input, target, r, opt(weight));
        },
        py::arg("input"), py::arg("target"), py::arg("size_average") = none,
        py::arg("reduce") = none, py::arg("reduction") = "mean", py::arg("weight") = none, kL1Doc);

    nn.def(
        "huber_loss",
        [](const Tensor& input, const Tensor& target, py::handle reduction, double delta,
           const OptTensor& weight) {
            warn_if_shapes_differ(input, target);
            const Reduction r = reduction_arg(py::none(), py::none(), reduction, "huber_loss");
            return huber_loss(input, target, r, delta, opt(weight));
        },
        py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("delta") = 1.0,
        py::arg("weight") = none, kHuberDoc);

    nn.def(
        "smooth_l1_loss",
        [](const Tensor& input, const Tensor& target, py::handle size_average, py::handle reduce,
           py::handle reduction, double beta) {
            warn_if_shapes_differ(input, target);
            const Reduction r = reduction_arg(size_average, reduce, reduction, "smooth_l1_loss");
            return smooth_l1_loss(input, target, r, beta);
        },
        py::arg("input"), py::arg("target"), py::arg("size_average") = none,
        py::arg("reduce") = none, py::arg("reduction") = "mean", py::arg("beta") = 1.0,
        kSmoothL1Doc);

    nn.def(
        "binary_cross_entropy",
        [](const Tensor& input, const Tensor& target, const OptTensor& weight,
           py::handle size_average, py::handle reduce, py::handle reduction) {
            const Reduction r =
                reduction_arg(size_average, reduce, reduction, "binary_cross_entropy");
            return binary_cross_entropy(input, target, opt(weight), r);
        },
        py::arg("input"), py::arg("target"), py::arg("weight") = none,
        py::arg("size_average") = none, py::arg("reduce") = none, py::arg("reduction") = "mean",
        kBceDoc);

    nn.def(
        "binary_cross_entropy_with_logits",
        [](const Tensor& input, const Tensor& target, const OptTensor& weight,
           py::handle size_average, py::handle reduce, py::handle reduction,
           const OptTensor& pos_weight) {
            const Reduction r =
                reduction_arg(size_average, reduce, reduction, "binary_cross_entropy_with_logits");
            return binary_cross_entropy_with_logits(input, target, opt(weight), opt(pos_weight), r);
        },
        py::arg("input"), py::arg("target"), py::arg("weight") = none,
        py::arg("size_average") = none, py::arg("reduce") = none, py::arg("reduction") = "mean",
        py::arg("pos_weight") = none, kBceLogitsDoc);

    nn.def(
        "kl_div",
        [](const Tensor& input, const Tensor& target, py::handle size_average, py::handle reduce,
           py::handle reduction, bool log_target) {
            const bool legacy = !size_average.is_none() || !reduce.is_none();
            if (!legacy && PyUnicode_Check(reduction.ptr()) &&
                reduction.cast<std::string>() == "mean") {
                warn(
                    "reduction: 'mean' divides the total loss by both the batch size and the "
                    "support size.'batchmean' divides only by the batch size, and aligns with "
                    "the KL div math definition.'mean' will be changed to behave the same as "
                    "'batchmean' in the next major release.");
            }
            const Reduction r = reduction_arg(size_average, reduce, reduction, "kl_div", true);
            return kl_div(input, target, r, log_target);
        },
        py::arg("input"), py::arg("target"), py::arg("size_average") = none,
        py::arg("reduce") = none, py::arg("reduction") = "mean", py::arg("log_target") = false,
        kKlDivDoc);
}

}  // namespace chainrule::bind
