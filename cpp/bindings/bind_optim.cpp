// Python bindings: fused optimizer updates (chainrule.optim calls these once per group per
// step). They live in the private submodule chainrule._C._optim; the lists are converted with
// the GIL held, the math runs without it.
#include "chainrule/optim.h"
#include "common.h"

namespace chainrule::bind {

namespace {

using optim::TensorVec;

std::string type_name(py::handle h) { return py::str(py::type::handle_of(h).attr("__name__")); }

// A list/tuple of tensors (None entries allowed only when allow_none; they become undefined
// tensors). None for the whole list means an empty list.
TensorVec tensor_list(py::handle h, const char* op, const char* name, bool allow_none = false) {
    TensorVec out;
    if (h.is_none()) return out;
    if (!py::isinstance<py::list>(h) && !py::isinstance<py::tuple>(h)) {
        throw TypeError(
            detail::cat_str(op, ": ", name, " must be a list of tensors; got ", type_name(h)));
    }
    const py::sequence seq = py::reinterpret_borrow<py::sequence>(h);
    const size_t n = seq.size();
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        py::handle item = seq[i];
        if (item.is_none()) {
            if (!allow_none) {
                throw ValueError(detail::cat_str(op, ": ", name, "[", i, "] is None"));
            }
            out.emplace_back();
            continue;
        }
        py::detail::make_caster<Tensor> caster;
        if (!caster.load(item, false)) {
            throw TypeError(detail::cat_str(op, ": ", name, "[", i, "] must be a Tensor; got ",
                                            type_name(item)));
        }
        out.push_back(py::detail::cast_op<Tensor>(std::move(caster)));
    }
    return out;
}

}  // namespace

void bind_optim(py::module_& m) {
    py::module_ o = m.def_submodule("_optim", "Fused optimizer steps (used by chainrule.optim).");

    o.def(
        "sgd_step",
        [](py::handle params, py::handle grads, py::handle momentum_buffers, double lr,
           double momentum, double dampening, double weight_decay, bool nesterov,
           bool maximize) -> py::object {
            const char* op = "sgd_step";
            const TensorVec p = tensor_list(params, op, "params");
            const TensorVec g = tensor_list(grads, op, "grads");
            const TensorVec b = tensor_list(momentum_buffers, op, "momentum_buffers", true);
            const optim::SgdOptions opt{lr, momentum, dampening, weight_decay, nesterov, maximize};
            TensorVec out;
            {
                py::gil_scoped_release nogil;
                out = optim::sgd_step(p, g, b, opt);
            }
            if (out.empty()) return py::none();
            return py::cast(out);
        },
        py::arg("params"), py::arg("grads"), py::arg("momentum_buffers"), py::arg("lr"),
        py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"),
        py::arg("maximize"),
        "One SGD step over a group; returns the momentum buffers (new ones where None was "
        "given), or None when momentum == 0.");

    o.def(
        "adam_step",
        [](py::handle params, py::handle grads, py::handle exp_avgs, py::handle exp_avg_sqs,
           py::handle max_exp_avg_sqs, py::handle steps, double lr, double beta1, double beta2,
           double eps, double weight_decay, bool amsgrad, bool maximize,
           bool decoupled_weight_decay) {
            const char* op = decoupled_weight_decay ? "adamw_step" : "adam_step";
            const TensorVec p = tensor_list(params, op, "params");
            const TensorVec g = tensor_list(grads, op, "grads");
            const TensorVec m = tensor_list(exp_avgs, op, "exp_avgs");
            const TensorVec v = tensor_list(exp_avg_sqs, op, "exp_avg_sqs");
            const TensorVec vmax = tensor_list(max_exp_avg_sqs, op, "max_exp_avg_sqs");
            const TensorVec t = tensor_list(steps, op, "state_steps");
            const optim::AdamOptions opt{lr,           beta1,   beta2,    eps,
                                         weight_decay, amsgrad, maximize, decoupled_weight_decay};
            py::gil_scoped_release nogil;
            optim::adam_step(p, g, m, v, vmax, t, opt);
        },
        py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
        py::arg("max_exp_avg_sqs"), py::arg("state_steps"), py::arg("lr"), py::arg("beta1"),
        py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("amsgrad"),
        py::arg("maximize"), py::arg("decoupled_weight_decay"),
        "One Adam (or AdamW, decoupled_weight_decay=True) step over a group.");

    o.def(
        "rmsprop_step",
        [](py::handle params, py::handle grads, py::handle square_avgs, py::handle momentum_buffers,
           py::handle grad_avgs, py::handle steps, double lr, double alpha, double eps,
           double weight_decay, double momentum, bool centered, bool maximize) {
            const char* op = "rmsprop_step";
            const TensorVec p = tensor_list(params, op, "params");
            const TensorVec g = tensor_list(grads, op, "grads");
            const TensorVec s = tensor_list(square_avgs, op, "square_avgs");
            const TensorVec b = tensor_list(momentum_buffers, op, "momentum_buffers");
            const TensorVec a = tensor_list(grad_avgs, op, "grad_avgs");
            const TensorVec t = tensor_list(steps, op, "state_steps");
            const optim::RmspropOptions opt{lr,       alpha,    eps,     weight_decay,
                                            momentum, centered, maximize};
            py::gil_scoped_release nogil;
            optim::rmsprop_step(p, g, s, b, a, t, opt);
        },
        py::arg("params"), py::arg("grads"), py::arg("square_avgs"), py::arg("momentum_buffers"),
        py::arg("grad_avgs"), py::arg("state_steps"), py::arg("lr"), py::arg("alpha"),
        py::arg("eps"), py::arg("weight_decay"), py::arg("momentum"), py::arg("centered"),
        py::arg("maximize"), "One RMSprop step over a group.");

    o.def(
        "adagrad_step",
        [](py::handle params, py::handle grads, py::handle state_sums, py::handle steps, double lr,
           double lr_decay, double weight_decay, double eps, bool maximize) {
            const char* op = "adagrad_step";
            const TensorVec p = tensor_list(params, op, "params");
            const TensorVec g = tensor_list(grads, op, "grads");
            const TensorVec s = tensor_list(state_sums, op, "state_sums");
            const TensorVec t = tensor_list(steps, op, "state_steps");
            const optim::AdagradOptions opt{lr, lr_decay, weight_decay, eps, maximize};
            py::gil_scoped_release nogil;
            optim::adagrad_step(p, g, s, t, opt);
        },
        py::arg("params"), py::arg("grads"), py::arg("state_sums"), py::arg("state_steps"),
        py::arg("lr"), py::arg("lr_decay"), py::arg("weight_decay"), py::arg("eps"),
        py::arg("maximize"), "One Adagrad step over a group.");
}

}  // namespace chainrule::bind
