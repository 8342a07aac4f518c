// In-place fills and copies (zero_, fill_, copy_, masked_fill_, clamp_) and masked_fill.
// Arithmetic in-place ops live beside their out-of-place twins in elementwise_binary.cpp.
#include "pointwise.h"

namespace chainrule {

// ---- fill_ / zero_ -----------------------------------------------------------
// self = v               dself = 0
struct FillBackward0 final : Node {
    TensorList apply(TensorList&& g) override { return {zeros(g[0].shape(), g[0].dtype())}; }
    std::string name() const override { return "FillBackward0"; }
};

Tensor& fill_(Tensor& self, const Tensor& value) {
    // One value everywhere: an expanded self is fine (PyTorch allows it for a number, not for
    // a tensor value).
    check_inplace(self, "fill_",
                  value.impl()->wrapped_number ? InplaceOverlap::Allow : InplaceOverlap::Forbid);
    CR_CHECK(value.numel() == 1, ValueError,
             "fill_: only supports a 0-dimension value tensor; got shape ",
             shape_str(value.shape()));
    check_scalar_fits(value, self.dtype(), "fill_");
    std::shared_ptr<Node> node;
    if (needs_grad(self)) node = make_node<FillBackward0>({&self});
    Tensor v = detail::cast_for_compute(value, self.dtype());
    detail::copy_cast(self, v.dim() == 0 ? v : make_view(v, {}, {}, v.offset()));
    detail::finish_inplace(self, node);
    return self;
}

Tensor& zero_(Tensor& self) { return fill_(self, wrapped_scalar(int64_t{0})); }

// ---- copy_ -----------------------------------------------------------------
// self = src (broadcast, cast)     dself = 0     dsrc = dy (summed back to src's shape)
struct CopyBackwards final : Node {
    TensorList apply(TensorList&& g) override {
        Tensor dself = needs_input_grad(0) ? zeros(g[0].shape(), g[0].dtype()) : Tensor();
        return {dself, g[0]};
    }
    std::string name() const override { return "CopyBackwards"; }
};

Tensor& copy_(Tensor& self, const Tensor& src) {
    check_inplace(self, "copy_");
    check_scalar_fits(src, self.dtype(), "copy_");  // a Python number (from __setitem__)
    const Shape b = broadcast_shapes(self.shape(), src.shape(), "copy_");
    CR_CHECK(b == self.shape(), ValueError, "copy_: source of shape ", shape_str(src.shape()),
             " cannot be broadcast to the destination shape ", shape_str(self.shape()));
    std::shared_ptr<Node> node;
    if (any_needs_grad({&self, &src})) node = make_node<CopyBackwards>({&self, &src});
    // A source overlapping self (e.g. a transposed view of it) is copied out first.
    Tensor s = src.storage() == self.storage() ? clone(src.detach()) : src;
    detail::copy_cast(self, s);
    detail::finish_inplace(self, node);
    return self;
}

// ---- masked_fill -----------------------------------------------------------
// y = mask ? v : x       dx = mask ? 0 : dy      dv = sum(mask ? dy : 0)
struct MaskedFillBackward0 final : Node {
    SavedTensor mask;
    TensorList apply(TensorList&& g) override {
        Tensor m = mask.unpack("MaskedFillBackward0");
        Tensor zero = scalar_tensor(0.0, g[0].dtype());
        Tensor dx, dv;
        if (needs_input_grad(0)) dx = where(m, zero, g[0]);
        if (needs_input_grad(1)) dv = sum(where(m, g[0], zero));
        return {dx, dv};
    }
    std::string name() const override { return "MaskedFillBackward0"; }
    void release_saved() override { mask.reset(); }
};

namespace {
void check_mask(const Tensor& mask, const Tensor& value, const char* op) {
    CR_CHECK(mask.dtype() == DType::Bool, TypeError, op, ": expected mask of dtype bool; got ",
             dtype_name(mask.dtype()));
    CR_CHECK(value.dim() == 0, ValueError, op,
             ": only supports a 0-dimensional value tensor; got shape ", shape_str(value.shape()));
}
}  // namespace

// Out of place, x and mask broadcast against each other (as PyTorch: a (3, 1) input with a
// (1, 4) mask gives (3, 4)); the in-place form below keeps self's shape.
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
    check_mask(mask, value, "masked_fill");
    check_scalar_fits(value, x.dtype(), "masked_fill");
    const Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
    Tensor v = detail::cast_for_compute(value, x.dtype());
    Tensor y = empty(shape, x.dtype());
    CR_DISPATCH_ALL(x.dtype(), "masked_fill", [&] {
        detail::ternary_loop<scalar_t, scalar_t, bool>(
            y, x, v, mask, [](scalar_t a, scalar_t b, bool m) { return m ? b : a; });
    });
    if (any_needs_grad({&x, &value})) {
        auto node = make_node<MaskedFillBackward0>({&x, &value});
        node->mask = mask;
        set_grad_fn(y, node);
    }
    return y;
}

Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Tensor& value) {
    check_inplace(self, "masked_fill_", InplaceOverlap::Allow);  // as PyTorch (deprecated there)
    check_mask(mask, value, "masked_fill_");
    check_scalar_fits(value, self.dtype(), "masked_fill_");
    const Shape shape = broadcast_shapes(self.shape(), mask.shape(), "masked_fill_");
    CR_CHECK(shape == self.shape(), ValueError, "masked_fill_: mask of shape ",
             shape_str(mask.shape()), " cannot be broadcast to the input shape ",
             shape_str(self.shape()));
    std::shared_ptr<MaskedFillBackward0> node;
    if (any_needs_grad({&self, &value})) {
        node = make_node<MaskedFillBackward0>({&self, &value});
        node->mask = mask;
    }
    Tensor v = detail::cast_for_compute(value, self.dtype());
    if (self.has_internal_overlap()) {
        // An expanded self: write the masked elements only, so that no element writes back
        // an old value over another's fill of the same address.
        const Strides sm = kernels::broadcast_strides(mask, self.shape());
        CR_DISPATCH_ALL(self.dtype(), "masked_fill_", [&] {
            using T = scalar_t;
            const T val = *v.data<T>();
            kernels::for_each<2>(
                self.shape(), {&self.strides(), &sm},
                {static_cast<char*>(self.raw_data()), static_cast<char*>(mask.raw_data())},
                {sizeof(T), sizeof(bool)}, kGrain,
                [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
                    T* o = reinterpret_cast<T*>(p[0]);
                    const bool* m = reinterpret_cast<const bool*>(p[1]);
                    for (int64_t i = 0; i < n; ++i) {
                        if (m[i * s[1]]) o[i * s[0]] = val;
                    }
                });
        });
    } else {
        CR_DISPATCH_ALL(self.dtype(), "masked_fill_", [&] {
            detail::ternary_loop<scalar_t, scalar_t, bool>(
                self, self, v, mask, [](scalar_t a, scalar_t b, bool m) { return m ? b : a; });
        });
    }
    detail::finish_inplace(self, node);
    return self;
}

// ---- clamp_ ----------------------------------------------------------------
// Same derivative as clamp: dx = dy * [lo <= x <= hi], with the mask taken before writing.
Tensor& clamp_(Tensor& self, std::optional<double> min, std::optional<double> max) {
    check_inplace(self, "clamp_");
    CR_CHECK(min || max, ValueError, "clamp_: at least one of 'min' or 'max' must not be None");
    std::shared_ptr<MaskedFillBackward0> node;
    if (needs_grad(self)) {
        Tensor x = self.detach();
        Tensor outside = logical_not(logical_and(ge(x, wrapped_scalar(min.value_or(-INFINITY))),
                                                 le(x, wrapped_scalar(max.value_or(INFINITY)))));
        Tensor none_value = scalar_tensor(0.0, self.dtype());
        node = make_node<MaskedFillBackward0>({&self, &none_value});
        node->mask = outside;
    }
    Tensor y = clamp(self.detach(), min, max);
    // An integer self with a float bound (fractional, NaN, infinite, beyond int64): a float
    // result that self cannot hold, as clamp_min_ / clamp_max_ refuse.
    CR_CHECK(y.dtype() == self.dtype(), TypeError, "clamp_: result type ", dtype_name(y.dtype()),
             " can't be cast to the desired output type ", dtype_name(self.dtype()));
    detail::copy_cast(self, y);
    detail::finish_inplace(self, node);
    return self;
}

}  // namespace chainrule
