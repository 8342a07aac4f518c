// The computation graph (Node, Edge, SavedTensor), grad mode and the backward engine.
// Nodes compute fresh gradients for their inputs; only the engine accumulates them.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "chainrule/inline_list.h"
#include "chainrule/tensor.h"

namespace chainrule {

using TensorList = std::vector<Tensor>;

struct Edge {
    std::shared_ptr<Node> fn;  // null: the input does not require grad
    uint32_t input_nr = 0;     // which output of `fn` this edge feeds
    bool valid() const { return fn != nullptr; }
};

// What the engine needs to know about a node's output to zero-fill, reduce and cast grads.
struct OutputMeta {
    Shape shape;
    DType dtype = DType::Float32;
};

// A tensor kept for backward, with the storage version it had when saved.
class SavedTensor {
 public:
    SavedTensor() = default;
    explicit SavedTensor(const Tensor& t);
    SavedTensor& operator=(const Tensor& t) { return *this = SavedTensor(t); }
    // Throws RuntimeError naming `op` when the tensor was modified in place since saving,
    // or when the graph was freed.
    Tensor unpack(const char* op) const;
    void reset() {
        data_ = Tensor();
        released_ = true;
    }
    bool defined() const { return data_.defined(); }

 private:
    Tensor data_;
    uint32_t saved_version_ = 0;
    bool released_ = false;
};

struct Node : std::enable_shared_from_this<Node> {
    Node();
    virtual ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // grads[i] is the gradient of output i (zero-filled by the engine when missing).
    // Returns one gradient per next_edge; undefined where the edge is invalid or not needed.
    virtual TensorList apply(TensorList&& grads) = 0;
    virtual std::string name() const = 0;
    // Frees saved tensors once backward no longer needs them (retain_graph=False).
    virtual void release_saved() {}

    bool needs_input_grad(size_t i) const { return i < next_edges.size() && next_edges[i].valid(); }

    InlineList<Edge, 2> next_edges;
    InlineList<OutputMeta, 1> outputs;
    uint64_t sequence_nr;

    // Hooks registered on non-leaf outputs: (output_nr, id, fn), run before apply().
    std::vector<std::tuple<uint32_t, int64_t, TensorHook>> pre_hooks;
    // Non-leaf outputs that called retain_grad(): (output_nr, tensor).
    std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained;
    // Nothing here changes during backward: what a walk learns about a node (dependencies,
    // gradient buffers) lives in the walk, since several threads may walk graphs that share
    // nodes at once (a model's parameters, a graph kept with retain_graph).
};

// Sink node of a leaf: hooks, then accumulation into leaf.grad. The leaf owns it; a graph
// that outlives the leaf drops the gradient, which nothing could read any more. Backward
// passes on several threads may finish into the same leaf: the sum is taken under a lock.
struct AccumulateGrad final : Node {
    explicit AccumulateGrad(const std::shared_ptr<TensorImpl>& leaf);
    TensorList apply(TensorList&& grads) override;
    std::string name() const override { return "AccumulateGrad"; }
    std::weak_ptr<TensorImpl> leaf;

 private:
    std::mutex mutex_;
};

// ---- grad mode (thread-local, as in PyTorch)
bool grad_enabled();
void set_grad_enabled(bool enabled);
struct NoGradGuard {
    NoGradGuard() : prev_(grad_enabled()) { set_grad_enabled(false); }
    ~NoGradGuard() { set_grad_enabled(prev_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
    bool prev_;
};

bool anomaly_enabled();
void set_anomaly_enabled(bool enabled);

// ---- building the graph (used by every op)
inline bool needs_grad(const Tensor& t) { return grad_enabled() && t.requires_grad(); }
bool any_needs_grad(std::initializer_list<const Tensor*> ts);
Edge gradient_edge(const Tensor& t);  // invalid edge when t does not require grad

// Creates node N with one edge per input (invalid edges for inputs without grad).
template <class N, class... Args>
std::shared_ptr<N> make_node(std::initializer_list<const Tensor*> inputs, Args&&... args) {
    auto node = std::make_shared<N>(std::forward<Args>(args)...);
    node->next_edges.reserve(inputs.size());
    for (const Tensor* t : inputs) node->next_edges.push_back(gradient_edge(*t));
    return node;
}
std::shared_ptr<Node> collect_edges(std::shared_ptr<Node> node, const TensorList& inputs);
// Makes `out` the output_nr-th output of node (records its meta for the engine).
void set_grad_fn(Tensor& out, const std::shared_ptr<Node>& node, uint32_t output_nr = 0);
// In-place ops: `self` gets `node` as its new history, after the checks PyTorch makes. A
// self whose elements share memory (an expanded view) is refused unless the op writes one
// value per location whatever the order (PyTorch allows fill_ with a number, masked_fill_
// and index_put_ there): Allow.
enum class InplaceOverlap { Forbid, Allow };
void check_inplace(const Tensor& self, const char* op,
                   InplaceOverlap overlap = InplaceOverlap::Forbid);
void rebase_history(Tensor& self, const std::shared_ptr<Node>& node);

// ---- running backward
// Accumulates d(roots)/d(leaves) into leaves' .grad.
void run_backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph);
// Returns d(outputs)/d(inputs) without touching .grad; undefined where unused.
TensorList run_grad(const TensorList& outputs, const TensorList& grad_outputs,
                    const TensorList& inputs, bool retain_graph, bool allow_unused);

}  // namespace chainrule
