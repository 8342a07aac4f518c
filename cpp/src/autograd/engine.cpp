// The backward walk: discover the graph from the roots with an explicit stack (deep graphs
// must not overflow the C++ stack), count dependencies, then run nodes whose inputs are
// complete, reducing each gradient to its input's shape and summing fan-in.
#include <algorithm>
#include <cmath>

#include "chainrule/autograd.h"
#include "chainrule/ops.h"

namespace chainrule {

namespace {

uint64_t g_walk = 0;

struct Capture {
    Node* node;
    uint32_t input_nr;
    Tensor grad;
};

bool all_finite(const Tensor& t) {
    if (!is_floating(t.dtype())) return true;
    Tensor c = contiguous(t);
    const int64_t n = c.numel();
    return CR_DISPATCH_FLOAT(c.dtype(), "anomaly", [&] {
        const scalar_t* p = c.data<scalar_t>();
        for (int64_t i = 0; i < n; ++i) {
            if (!std::isfinite(p[i])) return false;
        }
        return true;
    });
}

// Undoes broadcasting and dtype promotion between what a node returned and its input.
Tensor fit_to_input(Tensor g, const OutputMeta& meta, const Node& producer, size_t i) {
    if (g.shape() != meta.shape) {
        try {
            g = sum_to(g, meta.shape);
        } catch (const std::exception&) {
            throw RuntimeError(detail::cat_str(
                "backward: function ", producer.name(), " returned an invalid gradient at index ",
                i, " - got ", shape_str(g.shape()), " but expected shape compatible with ",
                shape_str(meta.shape)));
        }
    }
    if (g.dtype() != meta.dtype) g = to_dtype(g, meta.dtype);
    return g;
}

void accumulate_into(Tensor& slot, Tensor g) {
    if (!slot.defined()) {
        slot = std::move(g);
    } else {
        slot = add(slot, g);
    }
}

struct Walk {
    // The scratch state each node had before this walk, restored when it ends: a walk
    // started inside a node's backward (autograd.grad in a hook or Function) may share
    // nodes with the walk that is running.
    struct Prior {
        Node* node;
        uint64_t walk_id;
        int32_t deps;
        bool exec;
        int32_t capture;
        TensorList buffer;
    };
    std::vector<Prior> prior;
    const std::vector<Capture>* caps = nullptr;

    ~Walk() {
        for (auto it = prior.rbegin(); it != prior.rend(); ++it) {
            Node* n = it->node;
            n->walk_id_ = it->walk_id;
            n->deps_ = it->deps;
            n->exec_ = it->exec;
            n->capture_ = it->capture;
            n->buffer_ = std::move(it->buffer);
        }
    }

    void init(Node* n) {
        prior.push_back({n, n->walk_id_, n->deps_, n->exec_, n->capture_, std::move(n->buffer_)});
        n->walk_id_ = g_walk;
        n->deps_ = 0;
        n->exec_ = caps == nullptr;
        n->capture_ = -1;
        if (caps) {
            for (size_t i = 0; i < caps->size(); ++i) {
                if ((*caps)[i].node == n) {
                    n->capture_ = static_cast<int32_t>(i);
                    break;
                }
            }
        }
        n->buffer_.assign(n->outputs.size(), Tensor());
    }

    // Post-order DFS; when capturing, a node executes only if some capture lies below it.
    void discover(const std::vector<Node*>& roots) {
        ++g_walk;
        struct Frame {
            Node* node;
            size_t next;
        };
        std::vector<Frame> stack;
        stack.reserve(16);
        for (Node* r : roots) {
            if (r->walk_id_ == g_walk) continue;
            init(r);
            stack.push_back({r, 0});
            while (!stack.empty()) {
                Frame& f = stack.back();
                if (f.next < f.node->next_edges.size()) {
                    Node* c = f.node->next_edges[f.next++].fn.get();
                    if (c == nullptr) continue;
                    if (c->walk_id_ != g_walk) {
                        init(c);
                        stack.push_back({c, 0});
                    }
                    ++c->deps_;
                    continue;
                }
                Node* n = f.node;
                stack.pop_back();
                if (caps) {
                    for (auto& e : n->next_edges) {
                        if (e.fn && (e.fn->exec_ || e.fn->capture_ >= 0)) n->exec_ = true;
                    }
                }
            }
        }
    }
};

void execute(const std::vector<Edge>& root_edges, const TensorList& root_grads,
             bool retain_graph, std::vector<Capture>* captures) {
    Walk walk;
    walk.prior.reserve(16);  // one block for typical graphs instead of regrowing
    walk.caps = captures;
    std::vector<Node*> roots;
    for (const Edge& e : root_edges) roots.push_back(e.fn.get());
    walk.discover(roots);

    for (size_t i = 0; i < root_edges.size(); ++i) {
        Node* n = root_edges[i].fn.get();
        accumulate_into(n->buffer_[root_edges[i].input_nr], root_grads[i]);
    }

    std::vector<Node*> ready;
    ready.reserve(16);
    for (Node* r : roots) {
        if (r->deps_ == 0 && std::find(ready.begin(), ready.end(), r) == ready.end()) {
            ready.push_back(r);
        }
    }
    while (!ready.empty()) {
        Node* n = ready.back();
        ready.pop_back();
        TensorList grads = std::move(n->buffer_);
        n->buffer_.clear();
        if (std::none_of(grads.begin(), grads.end(), [](const Tensor& g) { return g.defined(); })) {
            // Nothing flowed here (every gradient was None): like PyTorch, do not run the
            // node on zeros, so leaves behind it keep grad None.
            for (const Edge& e : n->next_edges) {
                Node* c = e.fn.get();
                if (c != nullptr && --c->deps_ == 0 && (c->exec_ || c->capture_ >= 0)) {
                    ready.push_back(c);
                }
            }
            continue;
        }
        for (size_t i = 0; i < grads.size(); ++i) {
            if (!grads[i].defined()) grads[i] = zeros(n->outputs[i].shape, n->outputs[i].dtype);
        }
        for (auto& [out_nr, id, hook] : n->pre_hooks) {
            Tensor r = hook(grads[out_nr]);
            if (r.defined()) grads[out_nr] = r;
        }
        for (auto& [out_nr, weak] : n->retained) {
            if (auto impl = weak.lock()) {
                auto& m = impl->meta();
                Tensor slot(m.grad);
                NoGradGuard ng;
                slot = slot.defined() ? add(slot, grads[out_nr]) : clone(grads[out_nr]);
                m.grad = slot.impl_ptr();
            }
        }
        if (captures && n->capture_ >= 0) {
            // autograd.grad returns what leaf hooks make of the gradient, as PyTorch does.
            auto* acc = dynamic_cast<AccumulateGrad*>(n);
            if (auto owner = acc ? acc->leaf.lock() : nullptr) {
                for (auto& [id, hook] : owner->meta().hooks) {
                    Tensor r = hook(grads[0]);
                    if (r.defined()) grads[0] = r;
                }
            }
        }
        if (captures) {
            for (auto& c : *captures) {
                if (c.node == n) accumulate_into(c.grad, grads[c.input_nr]);
            }
        }
        if (!n->exec_) continue;

        TensorList outs = n->apply(std::move(grads));
        if (anomaly_enabled()) {
            for (size_t i = 0; i < outs.size(); ++i) {
                CR_CHECK(!outs[i].defined() || all_finite(outs[i]), RuntimeError, "Function '",
                         n->name(), "' returned nan or inf values in its ", i, "th output.");
            }
        }
        if (!retain_graph) n->release_saved();

        for (size_t i = 0; i < n->next_edges.size(); ++i) {
            const Edge& e = n->next_edges[i];
            Node* c = e.fn.get();
            if (c == nullptr) continue;
            if (i < outs.size() && outs[i].defined()) {
                accumulate_into(c->buffer_[e.input_nr],
                                fit_to_input(std::move(outs[i]), c->outputs[e.input_nr], *n, i));
            }
            if (--c->deps_ == 0 && (c->exec_ || c->capture_ >= 0)) ready.push_back(c);
        }
    }
}

Tensor root_gradient(const Tensor& root, const Tensor& grad, size_t i, const char* op) {
    if (!grad.defined()) {
        CR_CHECK(root.numel() == 1, RuntimeError, op,
                 ": grad can be implicitly created only for scalar outputs; got an output of "
                 "shape ", shape_str(root.shape()), " (pass gradient=)");
        return ones(root.shape(), root.dtype());
    }
    CR_CHECK(grad.shape() == root.shape(), RuntimeError, op, ": mismatch in shape: gradient ", i,
             " has shape ", shape_str(grad.shape()), " but output ", i, " has shape ",
             shape_str(root.shape()));
    return grad.dtype() == root.dtype() ? grad : to_dtype(grad.detach(), root.dtype());
}

std::vector<Edge> root_edges_of(const TensorList& roots, const char* op) {
    std::vector<Edge> edges;
    for (size_t i = 0; i < roots.size(); ++i) {
        CR_CHECK(roots[i].defined() && roots[i].requires_grad(), RuntimeError, op, ": element ",
                 i, " of tensors does not require grad and does not have a grad_fn");
        edges.push_back(gradient_edge(roots[i]));
    }
    return edges;
}

}  // namespace

void run_backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph) {
    CR_CHECK(roots.size() == grad_roots.size(), ValueError, "backward: got ", roots.size(),
             " tensors but ", grad_roots.size(), " gradients");
    std::vector<Edge> edges = root_edges_of(roots, "backward");
    TensorList grads;
    for (size_t i = 0; i < roots.size(); ++i) {
        grads.push_back(root_gradient(roots[i], grad_roots[i], i, "backward"));
    }
    NoGradGuard no_grad;
    execute(edges, grads, retain_graph, nullptr);
}

TensorList run_grad(const TensorList& outputs, const TensorList& grad_outputs,
                    const TensorList& inputs, bool retain_graph, bool allow_unused) {
    CR_CHECK(outputs.size() == grad_outputs.size(), ValueError, "grad: got ", outputs.size(),
             " outputs but ", grad_outputs.size(), " grad_outputs");
    std::vector<Edge> edges = root_edges_of(outputs, "grad");
    TensorList grads;
    for (size_t i = 0; i < outputs.size(); ++i) {
        grads.push_back(root_gradient(outputs[i], grad_outputs[i], i, "grad"));
    }
    std::vector<Capture> caps;
    std::vector<bool> found(inputs.size(), false);
    for (size_t i = 0; i < inputs.size(); ++i) {
        CR_CHECK(inputs[i].defined() && inputs[i].requires_grad(), RuntimeError,
                 "grad: one of the differentiated tensors (input ", i,
                 ") does not require grad");
        Edge e = gradient_edge(inputs[i]);
        caps.push_back({e.fn.get(), e.input_nr, Tensor()});
    }
    // Keep the capture nodes alive for the walk even if only a weak reference existed.
    std::vector<std::shared_ptr<Node>> keep;
    for (const Tensor& t : inputs) keep.push_back(gradient_edge(t).fn);
    {
        NoGradGuard no_grad;
        execute(edges, grads, retain_graph, &caps);
    }
    TensorList result;
    for (size_t i = 0; i < inputs.size(); ++i) {
        Tensor g = caps[i].grad;
        CR_CHECK(g.defined() || allow_unused, RuntimeError, "grad: one of the differentiated "
                 "tensors (input ", i, ") appears to not have been used in the graph; set "
                 "allow_unused=True if this is the desired behavior");
        result.push_back(g);
    }
    return result;
}

}  // namespace chainrule
