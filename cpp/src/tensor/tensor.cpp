// Tensor construction, geometry queries and the autograd accessors of a tensor.
#include "chainrule/tensor.h"

#include "chainrule/autograd.h"
#include "chainrule/ops.h"

namespace chainrule {

int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }

bool Tensor::is_contiguous() const {
    int64_t expected = 1;
    const auto& sh = shape();
    const auto& st = strides();
    for (size_t i = sh.size(); i-- > 0;) {
        if (sh[i] == 1) continue;
        if (sh[i] == 0) return true;
        if (st[i] != expected) return false;
        expected *= sh[i];
    }
    return true;
}

bool Tensor::has_internal_overlap() const {
    const auto& sh = shape();
    const auto& st = strides();
    bool zero_stride = false;
    for (size_t i = 0; i < sh.size(); ++i) {
        if (sh[i] == 0) return false;  // no elements at all
        zero_stride = zero_stride || (st[i] == 0 && sh[i] > 1);
    }
    return zero_stride;
}

bool Tensor::requires_grad() const {
    const auto* m = impl_->autograd ? &*impl_->autograd : nullptr;
    return m != nullptr && (m->requires_grad || m->grad_fn != nullptr);
}

void Tensor::set_requires_grad(bool r) {
    if (!is_leaf()) {
        CR_CHECK(r, RuntimeError,
                 "requires_grad: you can only change requires_grad flags of leaf variables; "
                 "use .detach() to get a tensor without history");
        return;
    }
    CR_CHECK(!r || is_floating(dtype()), RuntimeError,
             "requires_grad: only tensors of floating point dtype can require gradients; got ",
             dtype_name(dtype()));
    if (!r && !impl_->autograd) return;
    AutogradMeta& m = impl_->meta();
    m.requires_grad = r;
    // Made here, not on first use: graphs built on several threads at once read the leaf's
    // accumulator, and a lazily created one would be two, each summing into .grad unlocked.
    if (r && !m.grad_accumulator) m.grad_accumulator = std::make_shared<AccumulateGrad>(impl_);
}

void Tensor::set_data(const Tensor& src) {
    TensorImpl* impl = impl_.get();
    const bool same_meta = impl->shape == src.shape() && impl->dtype == src.dtype();
    impl->storage = src.storage();
    impl->shape = src.shape();
    impl->strides = src.strides();
    impl->offset = src.offset();
    impl->dtype = src.dtype();
    // The accumulator reduces gradients to the shape and dtype it was made for.
    if (!same_meta && impl->autograd && impl->autograd->grad_accumulator) {
        impl->autograd->grad_accumulator = std::make_shared<AccumulateGrad>(impl_);
    }
}

bool Tensor::is_leaf() const { return !impl_->autograd || !impl_->autograd->grad_fn; }

Tensor Tensor::grad() const { return impl_->autograd ? Tensor(impl_->autograd->grad) : Tensor(); }

void Tensor::set_grad(const Tensor& g) {
    if (g.defined()) {
        CR_CHECK(g.shape() == shape(), RuntimeError, "grad: assigned grad has shape ",
                 shape_str(g.shape()), " but the tensor has shape ", shape_str(shape()));
        CR_CHECK(g.dtype() == dtype(), RuntimeError, "grad: assigned grad has dtype ",
                 dtype_name(g.dtype()), " but the tensor has dtype ", dtype_name(dtype()));
    }
    if (!g.defined() && !impl_->autograd) return;
    impl_->meta().grad = g.impl_ptr();
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
    static const std::shared_ptr<Node> none;
    return impl_->autograd ? impl_->autograd->grad_fn : none;
}

void Tensor::retain_grad() {
    CR_CHECK(requires_grad(), RuntimeError,
             "retain_grad: can't retain_grad on a tensor that has requires_grad=False");
    if (is_leaf()) return;  // leaves keep their grad anyway
    auto& m = impl_->meta();
    if (m.retains_grad) return;
    m.retains_grad = true;
    m.grad_fn->retained.emplace_back(m.output_nr, impl_);
}

namespace {
int64_t next_hook_id() {
    static int64_t id = 0;
    return ++id;
}
}  // namespace

int64_t Tensor::register_hook(TensorHook hook) {
    CR_CHECK(requires_grad(), RuntimeError,
             "register_hook: cannot register a hook on a tensor that doesn't require gradient");
    const int64_t id = next_hook_id();
    auto& m = impl_->meta();
    if (m.grad_fn) {
        m.grad_fn->pre_hooks.emplace_back(m.output_nr, id, std::move(hook));
    } else {
        m.hooks.emplace_back(id, std::move(hook));
    }
    return id;
}

void Tensor::remove_hook(int64_t id) {
    if (!impl_->autograd) return;
    auto& m = *impl_->autograd;
    if (m.grad_fn) {
        auto& hs = m.grad_fn->pre_hooks;
        for (auto it = hs.begin(); it != hs.end(); ++it) {
            if (std::get<1>(*it) == id) {
                hs.erase(it);
                return;
            }
        }
    }
    for (auto it = m.hooks.begin(); it != m.hooks.end(); ++it) {
        if (it->first == id) {
            m.hooks.erase(it);
            return;
        }
    }
}

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
    run_backward({*this}, {gradient}, retain_graph);
}

Tensor Tensor::detach() const {
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = impl_->storage;
    impl->shape = impl_->shape;
    impl->strides = impl_->strides;
    impl->offset = impl_->offset;
    impl->dtype = impl_->dtype;
    return Tensor(std::move(impl));
}

Tensor Tensor::alias() const { return detach(); }

Tensor empty(const Shape& shape, DType dtype) {
    // The byte count must fit in 63 bits: a wrapped product would allocate a tiny buffer
    // that later writes overrun.
    int64_t bytes = static_cast<int64_t>(itemsize(dtype));
    bool overflow = false, has_zero = false;
    for (int64_t d : shape) {
        CR_CHECK(d >= 0, ValueError, "empty: negative dimension ", d, " in shape ",
                 shape_str(shape));
        overflow |= __builtin_mul_overflow(bytes, d, &bytes);
        has_zero |= d == 0;
    }
    CR_CHECK(!overflow || has_zero, RuntimeError, "empty: shape ", shape_str(shape), " of ",
             dtype_name(dtype), " needs more than 2^63 bytes");
    if (overflow) bytes = 0;
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = Storage::allocate(static_cast<size_t>(bytes));
    impl->shape = shape;
    impl->strides = contiguous_strides(shape);
    impl->dtype = dtype;
    return Tensor(std::move(impl));
}

Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.dtype()); }
Tensor empty_like(const Tensor& t, DType dtype) { return empty(t.shape(), dtype); }

Tensor make_view(const Tensor& base, Shape shape, Strides strides, int64_t offset) {
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = base.storage();
    impl->shape = std::move(shape);
    impl->strides = std::move(strides);
    impl->offset = offset;
    impl->dtype = base.dtype();
    return Tensor(std::move(impl));
}

Tensor from_blob(void* data, Shape shape, Strides strides, DType dtype, std::shared_ptr<void> owner,
                 bool writable) {
    // The storage spans the elements reachable from `data` (strides may be negative only
    // at the binding layer, which rejects them).
    int64_t extent = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
        if (shape[i] == 0) {
            extent = 0;
            break;
        }
        extent += (shape[i] - 1) * strides[i];
    }
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = Storage::borrow(data, static_cast<size_t>(extent) * itemsize(dtype),
                                    std::move(owner), writable);
    impl->shape = std::move(shape);
    impl->strides = std::move(strides);
    impl->dtype = dtype;
    return Tensor(std::move(impl));
}

}  // namespace chainrule
