// clamp_min/clamp_max and their in-place forms, detach_ and positive. (exp_, relu_ & co are
// wired with their out-of-place ops by unary_op_ (pointwise_unary.h), pow_ with pow.)
#include "pointwise_unary.h"

namespace chainrule {

// ---- clamp_min / clamp_max ---------------------------------------------------
// y = max(x, lo)         dx = dy * [x >= lo]      (ClampMinBackward0)
// y = min(x, hi)         dx = dy * [x <= hi]      (ClampMaxBackward0)
// clamp's formula (kernels::ew::Clamp) with the other bound infinite.
namespace {
kernels::UnaryParams side_bounds(double bound, bool is_min) {
    return is_min ? kernels::UnaryParams{bound, INFINITY, 0}
                  : kernels::UnaryParams{-INFINITY, bound, 0};
}

// An integer tensor stays integer for an integral bound and becomes float32 for a fractional
// (or NaN, infinite, huge) one, as in PyTorch.
bool integral_bound(double bound) { return bound == std::floor(bound) && std::abs(bound) < 9.2e18; }

const char* side_node(bool is_min) { return is_min ? "ClampMinBackward0" : "ClampMaxBackward0"; }

Tensor clamp_side(const Tensor& x, double bound, bool is_min) {
    const char* op = is_min ? "clamp_min" : "clamp_max";
    CR_CHECK(x.dtype() != DType::Bool, TypeError, op, ": not supported for bool tensors");
    // An integer x has no gradient, so computing on its cast loses none.
    const Tensor in = is_floating(x.dtype()) || integral_bound(bound)
                          ? x
                          : detail::cast_for_compute(x, kDefaultFloat);
    return detail::unary_op<kernels::Unary::Clamp>(in, op, side_node(is_min),
                                                   side_bounds(bound, is_min));
}

Tensor& clamp_side_(Tensor& self, double bound, bool is_min) {
    const char* op = is_min ? "clamp_min_" : "clamp_max_";
    check_inplace(self, op);
    CR_CHECK(self.dtype() != DType::Bool, TypeError, op, ": not supported for bool tensors");
    CR_CHECK(is_floating(self.dtype()) || integral_bound(bound), TypeError, op, ": result type ",
             dtype_name(kDefaultFloat), " can't be cast to the desired output type ",
             dtype_name(self.dtype()));
    return detail::unary_op_<kernels::Unary::Clamp>(self, op, side_node(is_min),
                                                    side_bounds(bound, is_min));
}
}  // namespace

Tensor clamp_min(const Tensor& x, double min) { return clamp_side(x, min, true); }
Tensor clamp_max(const Tensor& x, double max) { return clamp_side(x, max, false); }
Tensor& clamp_min_(Tensor& self, double min) { return clamp_side_(self, min, true); }
Tensor& clamp_max_(Tensor& self, double max) { return clamp_side_(self, max, false); }

// ---- detach_ / positive ------------------------------------------------------
Tensor& detach_(Tensor& self) {
    if (self.impl()->autograd) {
        AutogradMeta& m = *self.impl()->autograd;
        CR_CHECK(!(m.is_view && m.grad_fn), RuntimeError,
                 "detach_: can't detach views in-place; use detach() instead");
        m.grad_fn.reset();
        m.output_nr = 0;
        m.requires_grad = false;
        m.retains_grad = false;
    }
    return self;
}

Tensor positive(const Tensor& x) {
    CR_CHECK(x.dtype() != DType::Bool, RuntimeError,
             "positive: the `+` operator on a bool tensor is not supported");
    return x;
}

}  // namespace chainrule
