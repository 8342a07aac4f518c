// The Tensor handle: shape, strides and offset over a shared Storage, plus autograd metadata.
// Math lives in ops.h; the graph machinery in autograd.h.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chainrule/dtype.h"
#include "chainrule/errors.h"
#include "chainrule/shape.h"
#include "chainrule/storage.h"

namespace chainrule {

class Tensor;
struct Node;
struct TensorImpl;

using TensorHook = std::function<Tensor(const Tensor&)>;  // returns undefined to keep grad

struct AutogradMeta {
    bool requires_grad = false;  // set on leaves only; non-leaves require grad via grad_fn
    bool retains_grad = false;
    std::shared_ptr<TensorImpl> grad;
    std::shared_ptr<Node> grad_fn;
    uint32_t output_nr = 0;
    // Leaves: one accumulator for the tensor's lifetime, so that building a graph does not
    // allocate one per op. It refers back to the leaf weakly (no cycle).
    std::shared_ptr<Node> grad_accumulator;
    std::vector<std::pair<int64_t, TensorHook>> hooks;  // leaves' hooks (id, fn)
    bool is_view = false;  // shares storage with a base tensor that has autograd history
};

struct TensorImpl {
    std::shared_ptr<Storage> storage;
    Shape shape;
    Strides strides;
    int64_t offset = 0;  // in elements
    DType dtype = DType::Float32;
    bool wrapped_number = false;  // a Python scalar lifted to a 0-d tensor (type promotion)
    std::optional<AutogradMeta> autograd;  // created on first use, in place (no allocation)

    AutogradMeta& meta() {
        if (!autograd) autograd.emplace();
        return *autograd;
    }
};

class Tensor {
 public:
    Tensor() = default;
    explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

    bool defined() const { return impl_ != nullptr; }
    TensorImpl* impl() const { return impl_.get(); }
    const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
    bool same(const Tensor& o) const { return impl_ == o.impl_; }

    // ---- metadata
    const Shape& shape() const { return impl_->shape; }
    const Strides& strides() const { return impl_->strides; }
    int64_t offset() const { return impl_->offset; }
    DType dtype() const { return impl_->dtype; }
    int64_t dim() const { return static_cast<int64_t>(impl_->shape.size()); }
    int64_t numel() const { return numel_of(impl_->shape); }
    int64_t size(int64_t d) const;
    bool is_contiguous() const;
    // Whether two of its elements certainly share memory (a dim of stride 0 and size > 1, as an
    // expand gives): an in-place write to it would race with itself. O(ndim).
    bool has_internal_overlap() const;
    const std::shared_ptr<Storage>& storage() const { return impl_->storage; }
    // Pointer to element 0 (storage base + offset).
    template <class T>
    T* data() const {
        return static_cast<T*>(impl_->storage->data()) + impl_->offset;
    }
    void* raw_data() const {
        return static_cast<char*>(impl_->storage->data()) + impl_->offset * itemsize(dtype());
    }
    uint32_t version() const { return impl_->storage->version(); }
    void bump_version() const { impl_->storage->bump_version(); }

    // ---- autograd
    bool requires_grad() const;
    void set_requires_grad(bool r);  // leaves only
    bool is_leaf() const;
    Tensor grad() const;
    void set_grad(const Tensor& g);
    const std::shared_ptr<Node>& grad_fn() const;
    uint32_t output_nr() const { return impl_->autograd ? impl_->autograd->output_nr : 0; }
    void retain_grad();
    bool retains_grad() const { return impl_->autograd && impl_->autograd->retains_grad; }
    int64_t register_hook(TensorHook hook);
    void remove_hook(int64_t id);
    void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;

    // Rebinds the data (storage, geometry, dtype) and keeps the autograd identity: the idiom
    // `p.data = new_values`.
    void set_data(const Tensor& src);

    // Same storage, no history, not requiring grad.
    Tensor detach() const;
    // A new impl aliasing this one's storage and view (history not copied).
    Tensor alias() const;

 private:
    std::shared_ptr<TensorImpl> impl_;
};

// ---- construction
Tensor empty(const Shape& shape, DType dtype = kDefaultFloat);
Tensor empty_like(const Tensor& t);  // contiguous, same shape and dtype
Tensor empty_like(const Tensor& t, DType dtype);
// A view onto `base`'s storage with the given geometry (no checks; callers validate).
Tensor make_view(const Tensor& base, Shape shape, Strides strides, int64_t offset);
// Wraps external memory; strides in elements.
Tensor from_blob(void* data, Shape shape, Strides strides, DType dtype, std::shared_ptr<void> owner,
                 bool writable);

}  // namespace chainrule
