// The one way to define a unary pointwise op (math, activations, their in-place forms): a
// formula struct kernels::ew::Name (kernels/elementwise/formulas.h: forward, derivative, the
// dtypes it takes, and, through the derivative's parameter types, what the derivative reads)
// with its entry kernels::Unary::Name in the per-ISA table, and then
//     y = unary_op<Unary::Name>(x, "op", "NameBackward0", params);
//     unary_op_<Unary::Name>(self, "op_", "NameBackward0", params);
// Everything else follows from the formula: the forward's dtypes, the node's saved tensor
// (the input, the output or nothing, exactly what the derivative reads: kSaves), and in place
// when to take a copy of the input before overwriting it. No op names a saved tensor itself.
#pragma once
#include "pointwise.h"

namespace chainrule::detail {

// The formula struct (kernels::ew::Name) of each table op.
template <kernels::Unary Op>
struct UnaryFormula;
#define CR_UNARY_FORMULA(Name)                  \
    template <>                                 \
    struct UnaryFormula<kernels::Unary::Name> { \
        using type = kernels::ew::Name;         \
    };
CR_ELEMENTWISE_UNARY(CR_UNARY_FORMULA)
#undef CR_UNARY_FORMULA

template <kernels::Unary Op>
using formula_t = typename UnaryFormula<Op>::type;

// out = fwd(a) elementwise over a's shape, in T; out is contiguous (fresh, or a itself for an
// in-place op).
template <kernels::Unary Op, class T>
void unary_map(const Tensor& out, const Tensor& a, const kernels::UnaryParams& p) {
    if constexpr (kHasElementwiseTable<T>) {
        if (a.shape() == out.shape() && a.is_contiguous() && out.is_contiguous()) {
            const auto k = elementwise_table<T>().unary[static_cast<int>(Op)];
            const T* x = a.template data<T>();
            T* o = out.template data<T>();
            parallel_for(0, out.numel(), kGrain,
                         [&](int64_t lo, int64_t hi) { k(x + lo, o + lo, hi - lo, p); });
            return;
        }
    }
    // Captures the params, not the struct: a lambda of this header may not hold a member of
    // an unnamed-namespace type (-Wsubobject-linkage).
    using F = formula_t<Op>;
    unary_loop<T, T>(out, a, [p](T v) { return F(p).template fwd<T>(v); });
}

// dx = the derivative at (dy, s) for a unary table op, no history; s is what the formula
// reads (the saved input or output), or dy itself when it reads nothing.
template <kernels::Unary Op>
Tensor unary_grad(const Tensor& dy, const Tensor& s, const kernels::UnaryParams& p) {
    if (dy.dtype() == s.dtype() && is_floating(s.dtype()) && dy.shape() == s.shape() &&
        dy.is_contiguous() && s.is_contiguous()) {
        Tensor out = empty(s.shape(), s.dtype());
        CR_DISPATCH_FLOAT(s.dtype(), "backward", [&] {
            const auto k = elementwise_table<scalar_t>().unary_backward[static_cast<int>(Op)];
            const scalar_t* g = dy.data<scalar_t>();
            const scalar_t* v = s.data<scalar_t>();
            scalar_t* o = out.data<scalar_t>();
            parallel_for(0, out.numel(), kGrain,
                         [&](int64_t lo, int64_t hi) { k(g + lo, v + lo, o + lo, hi - lo, p); });
        });
        return out;
    }
    using F = formula_t<Op>;
    return pointwise2(dy, s, [p](auto g, auto v) { return kernels::ew::derivative(F(p), g, v); });
}

// The node of a unary table op: dx = derivative(dy, saved). `saved` holds what the formula
// declares (kSaves) and stays empty when that is nothing.
template <kernels::Unary Op>
struct UnaryBackward final : Node {
    static constexpr kernels::Saves kSaves = kernels::ew::kSaves<formula_t<Op>>;
    UnaryBackward(const char* nm, const kernels::UnaryParams& p) : name_(nm), params(p) {}
    SavedTensor saved;
    TensorList apply(TensorList&& g) override {
        if constexpr (kSaves == kernels::Saves::None) {
            return {unary_grad<Op>(g[0], g[0], params)};
        } else {
            return {unary_grad<Op>(g[0], saved.unpack(name_), params)};
        }
    }
    std::string name() const override { return name_; }
    void release_saved() override { saved.reset(); }
    const char* name_;
    kernels::UnaryParams params;
};

// y = Op's forward of x in the dtypes of the formula's domain, with a node when x needs grad.
template <kernels::Unary Op>
Tensor unary_op(const Tensor& x, const char* op, const char* node_name,
                const kernels::UnaryParams& p = {}) {
    using kernels::Domain;
    using kernels::Saves;
    using F = formula_t<Op>;
    Tensor y;
    if constexpr (F::domain == Domain::Promote) {
        const DType d = is_floating(x.dtype()) ? x.dtype() : kDefaultFloat;
        Tensor in = cast_for_compute(x, d);
        y = empty(x.shape(), d);
        CR_DISPATCH_FLOAT(d, op, [&] { unary_map<Op, scalar_t>(y, in, p); });
    } else if constexpr (F::domain == Domain::Floating) {
        check_floating(x, op);
        y = empty(x.shape(), x.dtype());
        CR_DISPATCH_FLOAT(x.dtype(), op, [&] { unary_map<Op, scalar_t>(y, x, p); });
    } else {
        y = empty(x.shape(), x.dtype());
        CR_DISPATCH_NUMERIC(x.dtype(), op, [&] { unary_map<Op, scalar_t>(y, x, p); });
    }
    if (needs_grad(x)) {
        auto node = std::make_shared<UnaryBackward<Op>>(node_name, p);
        node->next_edges.push_back(gradient_edge(x));
        if constexpr (UnaryBackward<Op>::kSaves == Saves::Input) node->saved = x;
        if constexpr (UnaryBackward<Op>::kSaves == Saves::Output) node->saved = y;
        set_grad_fn(y, node);
    }
    return y;
}

// self = Op's forward of self, in place. The node saves what the formula reads: the output
// after the write, or a copy of the input taken before it (the write destroys the input).
// A dtype the result cannot be stored in (exp_ of an int64 tensor) is rejected up front, so
// a failed check leaves self untouched.
template <kernels::Unary Op>
Tensor& unary_op_(Tensor& self, const char* op, const char* node_name,
                  const kernels::UnaryParams& p = {}) {
    using kernels::Domain;
    using kernels::Saves;
    using F = formula_t<Op>;
    constexpr Saves saves = UnaryBackward<Op>::kSaves;
    check_inplace(self, op);
    if constexpr (F::domain == Domain::Promote) {
        CR_CHECK(is_floating(self.dtype()), TypeError, op, ": result type ",
                 dtype_name(kDefaultFloat), " can't be cast to the desired output type ",
                 dtype_name(self.dtype()));
    } else if constexpr (F::domain == Domain::Floating) {
        check_floating(self, op);
    }
    std::shared_ptr<UnaryBackward<Op>> node;
    if (needs_grad(self)) {
        node = std::make_shared<UnaryBackward<Op>>(node_name, p);
        node->next_edges.push_back(gradient_edge(self));
        if constexpr (saves == Saves::Input) {
            NoGradGuard ng;
            node->saved = clone(self.detach());  // the value before the write
        }
    }
    // Elementwise, so writing each element over its own input is safe (check_inplace has
    // ruled out elements sharing memory).
    if constexpr (F::domain == Domain::Numeric) {
        CR_DISPATCH_NUMERIC(self.dtype(), op, [&] { unary_map<Op, scalar_t>(self, self, p); });
    } else {
        CR_DISPATCH_FLOAT(self.dtype(), op, [&] { unary_map<Op, scalar_t>(self, self, p); });
    }
    finish_inplace(self, node);
    // Saved after the version bump: a later in-place change of self is caught at backward.
    if constexpr (saves == Saves::Output) {
        if (node) node->saved = self;
    }
    return self;
}

}  // namespace chainrule::detail
