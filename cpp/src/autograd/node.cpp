// Nodes, edges, saved tensors and the bookkeeping ops use to attach history.
#include <atomic>

#include "chainrule/autograd.h"
#include "chainrule/ops.h"

namespace chainrule {

namespace {
std::atomic<uint64_t> g_sequence{0};
}

Node::Node() : sequence_nr(g_sequence.fetch_add(1, std::memory_order_relaxed)) {}

Node::~Node() {
    // Destroying a long chain recursively would overflow the stack (a 100,000-deep graph is
    // legal), so the last owner of each upstream node hands it to a loop instead.
    thread_local std::vector<std::shared_ptr<Node>> pending;
    thread_local bool draining = false;
    for (auto& e : next_edges) {
        if (e.fn && e.fn.use_count() == 1) pending.push_back(std::move(e.fn));
    }
    if (draining) return;
    draining = true;
    while (!pending.empty()) {
        std::shared_ptr<Node> n = std::move(pending.back());
        pending.pop_back();
        n.reset();
    }
    draining = false;
}

SavedTensor::SavedTensor(const Tensor& t) {
    if (!t.defined()) return;
    data_ = t.detach();
    saved_version_ = t.version();
}

Tensor SavedTensor::unpack(const char* op) const {
    CR_CHECK(!released_, RuntimeError, op,
             ": trying to backward through the graph a second time (or directly access saved "
             "tensors after they have already been freed); saved intermediate values of the "
             "graph are freed when you call .backward() or autograd.grad(). Specify "
             "retain_graph=True if you need to backward through the graph a second time");
    if (data_.defined()) {
        CR_CHECK(data_.version() == saved_version_, RuntimeError, op,
                 ": one of the variables needed for gradient computation has been modified by "
                 "an inplace operation: a tensor of shape ",
                 shape_str(data_.shape()), " is at version ", data_.version(),
                 "; expected version ", saved_version_, " instead");
    }
    return data_;
}

AccumulateGrad::AccumulateGrad(const std::shared_ptr<TensorImpl>& l) : leaf(l) {
    outputs.push_back({l->shape, l->dtype});
}

TensorList AccumulateGrad::apply(TensorList&& grads) {
    std::shared_ptr<TensorImpl> owner = leaf.lock();
    if (!owner) return {};
    Tensor g = std::move(grads[0]);
    auto& m = owner->meta();
    for (auto& [id, hook] : m.hooks) {
        Tensor r = hook(g);
        if (r.defined()) g = r;
    }
    NoGradGuard no_grad;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!m.grad) {
        // Steal a fresh contiguous gradient; copy anything that may be aliased elsewhere.
        const bool owned = g.impl_ptr().use_count() == 1 && g.storage().use_count() == 1;
        m.grad = (owned && g.is_contiguous()) ? g.impl_ptr() : clone(g).impl_ptr();
    } else {
        Tensor acc(m.grad);
        add_(acc, g);
    }
    return {};
}

bool any_needs_grad(std::initializer_list<const Tensor*> ts) {
    if (!grad_enabled()) return false;
    for (const Tensor* t : ts) {
        if (t->defined() && t->requires_grad()) return true;
    }
    return false;
}

Edge gradient_edge(const Tensor& t) {
    if (!t.defined() || !t.requires_grad()) return {};
    auto& m = t.impl()->meta();
    if (m.grad_fn) return {m.grad_fn, m.output_nr};
    if (!m.grad_accumulator) {  // set_requires_grad makes it; a leaf made otherwise gets it here
        m.grad_accumulator = std::make_shared<AccumulateGrad>(t.impl_ptr());
    }
    return {m.grad_accumulator, 0};
}

std::shared_ptr<Node> collect_edges(std::shared_ptr<Node> node, const TensorList& inputs) {
    node->next_edges.reserve(inputs.size());
    for (const Tensor& t : inputs) node->next_edges.push_back(gradient_edge(t));
    return node;
}

void set_grad_fn(Tensor& out, const std::shared_ptr<Node>& node, uint32_t output_nr) {
    if (node->outputs.size() <= output_nr) node->outputs.resize(output_nr + 1);
    node->outputs[output_nr] = {out.shape(), out.dtype()};
    auto& m = out.impl()->meta();
    m.grad_fn = node;
    m.output_nr = output_nr;
}

void check_inplace(const Tensor& self, const char* op, InplaceOverlap overlap) {
    CR_CHECK(self.storage()->writable(), RuntimeError, op,
             ": the tensor is read-only (it wraps a non-writable NumPy array)");
    if (grad_enabled() && self.requires_grad()) {
        CR_CHECK(!self.is_leaf(), RuntimeError, op,
                 ": a leaf Variable that requires grad is being used in an in-place operation; "
                 "wrap it in `with cr.no_grad():` or operate on a clone");
        CR_CHECK(!self.impl()->autograd->is_view, RuntimeError, op,
                 ": in-place operations on a view of a tensor that requires grad are not "
                 "supported; use the out-of-place op or .clone() first");
    }
    // Several elements at one address: threads (and vector lanes) would write them in any
    // order, each reading a value another may have changed.
    CR_CHECK(overlap == InplaceOverlap::Allow || !self.has_internal_overlap(), RuntimeError, op,
             ": unsupported operation: more than one element of the written-to tensor refers to "
             "a single memory location (shape ",
             shape_str(self.shape()), ", strides ", shape_str(self.strides()),
             "). Please clone() the tensor before performing the operation.");
}

void rebase_history(Tensor& self, const std::shared_ptr<Node>& node) {
    // The previous history of self is already the node's first edge; self now stands for the
    // node's output, so retain_grad and hooks registered before refer to the old value.
    auto& m = self.impl()->meta();
    m.retains_grad = false;
    set_grad_fn(self, node, 0);
}

}  // namespace chainrule
