// In-place unary math (exp_, log_, ..., pow_, clamp_min_/clamp_max_), clamp_min/clamp_max,
// detach_ and positive. Each write computes into a fresh buffer first, so a failed check
// leaves self untouched; the derivatives and node names are those of the out-of-place ops.
#include "pointwise.h"

namespace chainrule {

using detail::pointwise2;
using detail::pointwise3;

namespace {

// self = forward(self), computed out of place without history, then written back; the node
// runs Op's derivative (kernels/elementwise/formulas.h).
template <kernels::Unary Op, class Fwd>
Tensor& unary_inplace(Tensor& self, const char* op, const char* node_name, bool saves_output,
                      const Fwd& forward) {
    check_inplace(self, op);
    Tensor y;
    {
        NoGradGuard ng;
        y = forward(self.detach());
    }
    CR_CHECK(y.dtype() == self.dtype(), TypeError, op, ": result type ", dtype_name(y.dtype()),
             " can't be cast to the desired output type ", dtype_name(self.dtype()));
    std::shared_ptr<detail::UnaryBackward<Op>> node;
    if (needs_grad(self)) {
        node = std::make_shared<detail::UnaryBackward<Op>>(node_name, kernels::UnaryParams{});
        node->next_edges.push_back(gradient_edge(self));
        if (!saves_output) {
            NoGradGuard ng;
            node->saved = clone(self.detach());  // the value before the write
        }
    }
    detail::copy_cast(self, y);
    detail::finish_inplace(self, node);
    // Saved after the version bump: a later in-place change of self is caught at backward.
    if (node && saves_output) node->saved = self;
    return self;
}

}  // namespace

// ---- exp_ log_ sqrt_ neg_ abs_ relu_ sigmoid_ tanh_ sin_ cos_ -----------------
// Same math as the out-of-place ops (elementwise_unary.cpp):
// exp: dx = dy*y   log: dx = dy/x   sqrt: dx = dy/(2y)   neg: dx = -dy
// abs: dx = dy*sgn(x)   relu: dx = dy*[y > 0]   sigmoid: dx = dy*y*(1-y)
// tanh: dx = dy*(1-y^2)   sin: dx = dy*cos(x)   cos: dx = -dy*sin(x)
#define CR_UNARY_INPLACE(op, base, Name, Op, saves_output)                                \
    Tensor& op(Tensor& self) {                                                           \
        return unary_inplace<kernels::Unary::Op>(self, #op, Name, saves_output,          \
                                                 [](const Tensor& x) { return base(x); }); \
    }

CR_UNARY_INPLACE(exp_, exp, "ExpBackward0", Exp, true)
CR_UNARY_INPLACE(log_, log, "LogBackward0", Log, false)
CR_UNARY_INPLACE(sqrt_, sqrt, "SqrtBackward0", Sqrt, true)
CR_UNARY_INPLACE(neg_, neg, "NegBackward0", Neg, true)
CR_UNARY_INPLACE(abs_, abs, "AbsBackward0", Abs, false)
CR_UNARY_INPLACE(relu_, relu, "ReluBackward0", Relu, true)
CR_UNARY_INPLACE(sigmoid_, sigmoid, "SigmoidBackward0", Sigmoid, true)
CR_UNARY_INPLACE(tanh_, tanh, "TanhBackward0", Tanh, true)
CR_UNARY_INPLACE(sin_, sin, "SinBackward0", Sin, false)
CR_UNARY_INPLACE(cos_, cos, "CosBackward0", Cos, false)
#undef CR_UNARY_INPLACE

// ---- pow_ ------------------------------------------------------------------
// a = a^b in place    da = dy * b * a^(b-1)  (0 where b == 0)    db = dy * y * log(a)
// (0 where a == 0). PowBackward0 for a number exponent, PowBackward1 for a tensor.
namespace {
struct PowInplaceBackward final : Node {
    SavedTensor a, b, y;
    bool scalar_exponent = true;
    const char* nm() const { return scalar_exponent ? "PowBackward0" : "PowBackward1"; }
    TensorList apply(TensorList&& g) override {
        Tensor av = a.unpack(nm()), bv = b.unpack(nm());
        Tensor da, db;
        if (needs_input_grad(0)) {
            da = pointwise3(g[0], av, bv, [](auto dy, auto x, auto e) {
                using T = decltype(dy);
                // dy * (b * a^(b-1)), as PyTorch and pow's own backward (no inf * 0)
                return e == T(0) ? T(0) : dy * (e * std::pow(x, e - T(1)));
            });
        }
        if (needs_input_grad(1)) {
            db = pointwise3(g[0], av, y.unpack(nm()), [](auto dy, auto x, auto out) {
                using T = decltype(dy);
                return x == T(0) ? T(0) : dy * out * std::log(x);
            });
        }
        return {da, db};
    }
    std::string name() const override { return nm(); }
    void release_saved() override {
        a.reset();
        b.reset();
        y.reset();
    }
};
}  // namespace

Tensor& pow_(Tensor& self, const Tensor& exponent) {
    check_inplace(self, "pow_");
    detail::check_into(self, exponent, "pow_");
    CR_CHECK(self.dtype() != DType::Bool, TypeError, "pow_: not supported for bool tensors");
    Tensor y;
    {
        NoGradGuard ng;
        y = pow(self.detach(), exponent.detach());
    }
    std::shared_ptr<PowInplaceBackward> node;
    if (any_needs_grad({&self, &exponent})) {
        node = make_node<PowInplaceBackward>({&self, &exponent});
        node->scalar_exponent = is_wrapped_scalar(exponent);
        NoGradGuard ng;
        node->a = clone(self.detach());
        node->b = exponent;
    }
    detail::copy_cast(self, y);
    detail::finish_inplace(self, node);
    if (node && node->needs_input_grad(1)) node->y = self;
    return self;
}

// ---- clamp_min / clamp_max ---------------------------------------------------
// y = max(x, lo)         dx = dy * [x >= lo]      (ClampMinBackward0)
// y = min(x, hi)         dx = dy * [x <= hi]      (ClampMaxBackward0)
namespace {
struct ClampSideBackward final : Node {
    SavedTensor x;
    double bound = 0;
    bool is_min = true;
    TensorList apply(TensorList&& g) override {
        const double b = bound;
        Tensor xv = x.unpack(is_min ? "ClampMinBackward0" : "ClampMaxBackward0");
        if (is_min) {
            return {pointwise2(g[0], xv, [b](auto dy, auto s) {
                using T = decltype(s);
                return s >= T(b) ? dy : T(0);
            })};
        }
        return {pointwise2(g[0], xv, [b](auto dy, auto s) {
            using T = decltype(s);
            return s <= T(b) ? dy : T(0);
        })};
    }
    std::string name() const override { return is_min ? "ClampMinBackward0" : "ClampMaxBackward0"; }
    void release_saved() override { x.reset(); }
};

// max(x, bound) or min(x, bound) without history: an integer tensor stays integer for an
// integral bound and becomes float32 for a fractional one, as in PyTorch; NaN propagates.
Tensor clamp_side_values(const Tensor& x, double bound, bool is_min) {
    NoGradGuard ng;
    const bool integral = !is_floating(x.dtype()) && bound == std::floor(bound) &&
                          std::abs(bound) < 9.2e18;
    Tensor b = integral ? wrapped_scalar(static_cast<int64_t>(bound)) : wrapped_scalar(bound);
    return is_min ? maximum(x, b) : minimum(x, b);
}

Tensor clamp_side(const Tensor& x, double bound, bool is_min) {
    CR_CHECK(x.dtype() != DType::Bool, TypeError, is_min ? "clamp_min" : "clamp_max",
             ": not supported for bool tensors");
    Tensor y = clamp_side_values(x.detach(), bound, is_min);
    if (needs_grad(x)) {
        auto node = make_node<ClampSideBackward>({&x});
        node->x = x;
        node->bound = bound;
        node->is_min = is_min;
        set_grad_fn(y, node);
    }
    return y;
}

Tensor& clamp_side_(Tensor& self, double bound, bool is_min) {
    const char* op = is_min ? "clamp_min_" : "clamp_max_";
    check_inplace(self, op);
    CR_CHECK(self.dtype() != DType::Bool, TypeError, op, ": not supported for bool tensors");
    Tensor y = clamp_side_values(self.detach(), bound, is_min);
    CR_CHECK(y.dtype() == self.dtype(), TypeError, op, ": result type ", dtype_name(y.dtype()),
             " can't be cast to the desired output type ", dtype_name(self.dtype()));
    std::shared_ptr<ClampSideBackward> node;
    if (needs_grad(self)) {
        node = make_node<ClampSideBackward>({&self});
        NoGradGuard ng;
        node->x = clone(self.detach());
        node->bound = bound;
        node->is_min = is_min;
    }
    detail::copy_cast(self, y);
    detail::finish_inplace(self, node);
    return self;
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
