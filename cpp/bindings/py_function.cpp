// Custom autograd Functions written in Python (cr.autograd.Function): PyFunctionNode holds
// the Python ctx and a backward callable and re-acquires the GIL to run them. The Python side
// (forward under no_grad, saved tensors, argument checks) lives in autograd/function.py.
#include "py_function.h"

namespace chainrule::bind {

namespace {

bool interpreter_alive() {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsInitialized() != 0 && Py_IsFinalizing() == 0;
#else
    return Py_IsInitialized() != 0 && _Py_IsFinalizing() == 0;
#endif
}

// One node per Function.apply call: one edge per Tensor argument of forward, one output
// slot per value forward returned (non-Tensor outputs get a dummy slot and None as grad).
struct PyFunctionNode final : Node {
    std::string name_;
    py::object ctx;       // the FunctionCtx of this call
    py::object backward;  // backward(ctx, grads: tuple) -> list of Tensor|None, one per edge
    std::vector<bool> output_is_tensor;

    ~PyFunctionNode() override {
        // The node may die on any thread, with or without the GIL: Python references are
        // dropped under the GIL, and leaked on purpose while the interpreter shuts down.
        if (!ctx && !backward) return;
        if (!interpreter_alive()) {
            ctx.release();
            backward.release();
            return;
        }
        py::gil_scoped_acquire gil;
        ctx = py::object();
        backward = py::object();
    }

    std::string name() const override { return name_; }

    TensorList apply(TensorList&& grads) override {
        py::gil_scoped_acquire gil;
        py::tuple g(grads.size());
        for (size_t i = 0; i < grads.size(); ++i) {
            const bool is_tensor = i < output_is_tensor.size() && output_is_tensor[i];
            g[i] = is_tensor ? py::cast(grads[i]) : py::none();
        }
        py::object result = backward(ctx, g);
        TensorList out;
        out.reserve(next_edges.size());
        for (py::handle h : result) out.push_back(h.is_none() ? Tensor() : py::cast<Tensor>(h));
        CR_CHECK(out.size() == next_edges.size(), RuntimeError, name_,
                 ": internal error: expected ", next_edges.size(), " gradients; got ", out.size());
        return out;
    }

    void release_saved() override {
        py::gil_scoped_acquire gil;
        if (ctx) ctx.attr("_release_saved")();
    }
};

}  // namespace

void bind_py_function(py::module_& m) {
    m.def(
        "_attach_function_node",
        [](std::string name, py::object ctx, py::object backward, py::sequence inputs,
           py::sequence outputs, std::vector<bool> differentiable, std::vector<bool> dirty) {
            const size_t n = py::len(outputs);
            CR_CHECK(differentiable.size() == n && dirty.size() == n, ValueError,
                     "_attach_function_node: one differentiable and one dirty flag per output "
                     "expected");
            // Inputs modified in place by forward (ctx.mark_dirty) become outputs themselves:
            // the checks of any in-place op, before anything changes.
            for (size_t i = 0; i < n; ++i) {
                // forward has written already: PyTorch does not refuse an expanded input here
                if (dirty[i]) {
                    check_inplace(py::cast<Tensor>(outputs[i]), name.c_str(),
                                  InplaceOverlap::Allow);
                }
            }
            auto node = std::make_shared<PyFunctionNode>();
            node->name_ = std::move(name);
            node->ctx = std::move(ctx);
            node->backward = std::move(backward);
            for (py::handle h : inputs) {
                if (h.is_none()) continue;
                node->next_edges.push_back(gradient_edge(py::cast<Tensor>(h)));
            }
            node->outputs.resize(n, OutputMeta{Shape{}, DType::Float32});
            node->output_is_tensor.assign(n, false);
            for (size_t i = 0; i < n; ++i) {
                py::handle h = outputs[i];
                if (h.is_none()) continue;
                Tensor out = py::cast<Tensor>(h);
                node->output_is_tensor[i] = true;
                node->outputs[i] = {out.shape(), out.dtype()};
                if (dirty[i]) out.impl()->meta().retains_grad = false;  // as rebase_history
                if (differentiable[i]) set_grad_fn(out, node, static_cast<uint32_t>(i));
            }
        },
        py::arg("name"), py::arg("ctx"), py::arg("backward"), py::arg("inputs"), py::arg("outputs"),
        py::arg("differentiable"), py::arg("dirty"),
        "Gives the outputs of a Function.apply call their grad_fn (a <Name>Backward node).");
}

}  // namespace chainrule::bind
