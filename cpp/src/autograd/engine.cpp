// The backward walk: discover the graph from the roots with an explicit stack (deep graphs
// must not overflow the C++ stack), count dependencies, then run nodes whose inputs are
// complete, reducing each gradient to its input's shape and summing fan-in.
#include <algorithm>
#include <cmath>

#include "chainrule/autograd.h"
#include "chainrule/ops.h"

namespace chainrule {

namespace {

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

// What one walk knows about one node. Graphs are shared (a model's parameters by every
// thread's graph, a retained graph by every walk over it) and a hook may start a walk inside
// a walk, so none of this is stored on the node.
struct NodeTask {
    Node* node = nullptr;
    int32_t deps = 0;      // edges into this node from nodes of the walk that have not run
    int32_t capture = -1;  // autograd.grad: first capture slot fed by this node, or -1
    bool exec = false;     // apply() runs in this walk
    TensorList grads;      // summed gradient of each output
};

// The walk's nodes in discovery order, found by address through open addressing.
class TaskTable {
 public:
    size_t size() const { return tasks_.size(); }
    NodeTask& operator[](int32_t i) { return tasks_[static_cast<size_t>(i)]; }

    int32_t find(const Node* n) const {
        for (size_t s = slot_of(n);; s = (s + 1) & mask_) {
            const int32_t i = slots_[s];
            if (i < 0 || tasks_[static_cast<size_t>(i)].node == n) return i;
        }
    }
    // The task of `n`, and whether it was added by this call.
    std::pair<int32_t, bool> insert(Node* n) {
        if (2 * (tasks_.size() + 1) > slots_.size()) grow();
        size_t s = slot_of(n);
        for (; slots_[s] >= 0; s = (s + 1) & mask_) {
            if (tasks_[static_cast<size_t>(slots_[s])].node == n) return {slots_[s], false};
        }
        const auto i = static_cast<int32_t>(tasks_.size());
        slots_[s] = i;
        tasks_.emplace_back();
        tasks_.back().node = n;
        return {i, true};
    }
    void clear() {
        tasks_.clear();
        std::fill(slots_.begin(), slots_.end(), -1);
    }
    size_t capacity() const { return slots_.size(); }

 private:
    size_t slot_of(const Node* n) const {
        // Fibonacci hashing of the address: nodes are 16-byte aligned heap blocks.
        const auto a = reinterpret_cast<uintptr_t>(n) >> 4;
        return static_cast<size_t>((a * 0x9E3779B97F4A7C15ull) >> 32) & mask_;
    }
    void grow() {
        const size_t cap = slots_.empty() ? 64 : 2 * slots_.size();
        slots_.assign(cap, -1);
        mask_ = cap - 1;
        for (size_t i = 0; i < tasks_.size(); ++i) {
            size_t s = slot_of(tasks_[i].node);
            while (slots_[s] >= 0) s = (s + 1) & mask_;
            slots_[s] = static_cast<int32_t>(i);
        }
    }

    std::vector<NodeTask> tasks_;
    std::vector<int32_t> slots_;  // task index, or -1 for an empty slot
    size_t mask_ = 0;
};

struct Walk {
    struct Frame {
        int32_t task;
        size_t next;  // the next edge to follow
    };
    TaskTable table;
    std::vector<Frame> stack;
    std::vector<int32_t> ready;
    const std::vector<Capture>* caps = nullptr;

    void clear() {
        table.clear();
        stack.clear();
        ready.clear();
        caps = nullptr;
    }

    int32_t add(Node* n, bool& fresh) {
        auto [i, added] = table.insert(n);
        fresh = added;
        if (!added) return i;
        NodeTask& t = table[i];
        t.exec = caps == nullptr;
        if (caps) {
            for (size_t c = 0; c < caps->size(); ++c) {
                if ((*caps)[c].node == n) {
                    t.capture = static_cast<int32_t>(c);
                    break;
                }
            }
        }
        t.grads.resize(n->outputs.size());
        return i;
    }

    // Post-order DFS; when capturing, a node executes only if some capture lies below it.
    void discover(const std::vector<Node*>& roots) {
        for (Node* r : roots) {
            bool fresh = false;
            const int32_t ri = add(r, fresh);
            if (!fresh) continue;
            stack.push_back({ri, 0});
            while (!stack.empty()) {
                Frame& f = stack.back();
                Node* n = table[f.task].node;
                if (f.next < n->next_edges.size()) {
                    Node* c = n->next_edges[f.next++].fn.get();
                    if (c == nullptr) continue;
                    const int32_t ci = add(c, fresh);
                    ++table[ci].deps;
                    if (fresh) stack.push_back({ci, 0});
                    continue;
                }
                const int32_t ni = f.task;
                stack.pop_back();
                if (caps) {
                    for (auto& e : n->next_edges) {
                        if (!e.fn) continue;
                        const NodeTask& c = table[table.find(e.fn.get())];
                        if (c.exec || c.capture >= 0) table[ni].exec = true;
                    }
                }
            }
        }
    }

    // Marks that `n` has run: its children with no other pending parent become ready.
    void release_children(const Node* n) {
        for (const Edge& e : n->next_edges) {
            if (!e.fn) continue;
            const int32_t ci = table.find(e.fn.get());
            NodeTask& c = table[ci];
            if (--c.deps == 0 && (c.exec || c.capture >= 0)) ready.push_back(ci);
        }
    }
};

// Walks are reused per thread (a training step runs one per batch); a walk started inside a
// walk (autograd.grad in a hook) takes another one.
class WalkLease {
 public:
    WalkLease() {
        if (pool().empty()) {
            walk_ = std::make_unique<Walk>();
        } else {
            walk_ = std::move(pool().back());
            pool().pop_back();
        }
    }
    ~WalkLease() {
        walk_->clear();
        // A walk over a huge graph does not keep its memory for the thread's lifetime.
        if (walk_->table.capacity() <= 4096 && pool().size() < 4)
            pool().push_back(std::move(walk_));
    }
    WalkLease(const WalkLease&) = delete;
    WalkLease& operator=(const WalkLease&) = delete;
    Walk& operator*() { return *walk_; }

 private:
    static std::vector<std::unique_ptr<Walk>>& pool() {
        thread_local std::vector<std::unique_ptr<Walk>> p;
        return p;
    }
    std::unique_ptr<Walk> walk_;
};

void execute(const std::vector<Edge>& root_edges, const TensorList& root_grads, bool retain_graph,
             std::vector<Capture>* captures) {
    WalkLease lease;
    Walk& walk = *lease;
    walk.caps = captures;
    std::vector<Node*> roots;
    roots.reserve(root_edges.size());
    for (const Edge& e : root_edges) roots.push_back(e.fn.get());
    walk.discover(roots);
    TaskTable& table = walk.table;

    for (size_t i = 0; i < root_edges.size(); ++i) {
        NodeTask& t = table[table.find(root_edges[i].fn.get())];
        accumulate_into(t.grads[root_edges[i].input_nr], root_grads[i]);
    }
    for (Node* r : roots) {
        const int32_t ri = table.find(r);
        auto& ready = walk.ready;
        if (table[ri].deps == 0 && std::find(ready.begin(), ready.end(), ri) == ready.end()) {
            ready.push_back(ri);
        }
    }
    while (!walk.ready.empty()) {
        NodeTask& task = table[walk.ready.back()];
        walk.ready.pop_back();
        Node* n = task.node;
        TensorList grads = std::move(task.grads);
        if (std::none_of(grads.begin(), grads.end(), [](const Tensor& g) { return g.defined(); })) {
            // Nothing flowed here (every gradient was None): like PyTorch, do not run the
            // node on zeros, so leaves behind it keep grad None.
            walk.release_children(n);
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
        if (captures && task.capture >= 0) {
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
        if (!task.exec) continue;

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
            const int32_t ci = table.find(c);
            NodeTask& child = table[ci];
            if (i < outs.size() && outs[i].defined()) {
                accumulate_into(child.grads[e.input_nr],
                                fit_to_input(std::move(outs[i]), c->outputs[e.input_nr], *n, i));
            }
            if (--child.deps == 0 && (child.exec || child.capture >= 0)) walk.ready.push_back(ci);
        }
    }
}

Tensor root_gradient(const Tensor& root, const Tensor& grad, size_t i, const char* op) {
    if (!grad.defined()) {
        CR_CHECK(root.numel() == 1, RuntimeError, op,
                 ": grad can be implicitly created only for scalar outputs; got an output of "
                 "shape ",
                 shape_str(root.shape()), " (pass gradient=)");
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
        CR_CHECK(roots[i].defined() && roots[i].requires_grad(), RuntimeError, op, ": element ", i,
                 " of tensors does not require grad and does not have a grad_fn");
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
                 "grad: one of the differentiated tensors (input ", i, ") does not require grad");
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
        CR_CHECK(g.defined() || allow_unused, RuntimeError,
                 "grad: one of the differentiated "
                 "tensors (input ",
                 i,
                 ") appears to not have been used in the graph; set "
                 "allow_unused=True if this is the desired behavior");
        result.push_back(g);
    }
    return result;
}

}  // namespace chainrule
