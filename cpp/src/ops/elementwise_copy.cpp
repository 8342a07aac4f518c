// Copies and dtype conversions: copy_cast (the kernel), to_dtype, clone, contiguous.
#include "pointwise.h"

namespace chainrule {

namespace detail {
namespace {
// One instantiation per (destination, source) pair; a function of its own so that the
// inner dispatch's scalar_t does not shadow the outer one.
template <class D>
void copy_into(const Tensor& dst, const Tensor& src) {
    CR_DISPATCH_ALL(src.dtype(), "copy", [&] {
        unary_loop<D, scalar_t>(dst, src, [](scalar_t v) { return static_cast<D>(v); });
    });
}
}  // namespace

void copy_cast(const Tensor& dst, const Tensor& src) {
    CR_DISPATCH_ALL(dst.dtype(), "copy", [&] { copy_into<scalar_t>(dst, src); });
}
}  // namespace detail

// ---- to_dtype --------------------------------------------------------------
// y = cast(x)            dx = dy (the engine casts it back to x's dtype)
struct ToCopyBackward0 final : Node {
    TensorList apply(TensorList&& g) override { return {g[0]}; }
    std::string name() const override { return "ToCopyBackward0"; }
};

Tensor to_dtype(const Tensor& x, DType dtype) {
    if (x.dtype() == dtype) return x;
    Tensor y = empty(x.shape(), dtype);
    detail::copy_cast(y, x);
    if (is_floating(dtype) && needs_grad(x)) set_grad_fn(y, make_node<ToCopyBackward0>({&x}));
    return y;
}

// ---- clone -----------------------------------------------------------------
// y = x (a contiguous copy)    dx = dy
struct CloneBackward0 final : Node {
    TensorList apply(TensorList&& g) override { return {g[0]}; }
    std::string name() const override { return "CloneBackward0"; }
};

Tensor clone(const Tensor& x) {
    Tensor y = empty(x.shape(), x.dtype());
    detail::copy_cast(y, x);
    if (needs_grad(x)) set_grad_fn(y, make_node<CloneBackward0>({&x}));
    return y;
}

Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }

}  // namespace chainrule
