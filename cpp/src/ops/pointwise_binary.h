// The one way to give a binary pointwise op (add, sub, mul, div, pow, maximum, minimum) its
// node: a formula struct with its derivatives in each operand,
//     static Tensor da(const Tensor& dy, <what it reads>...);
//     static Tensor db(const Tensor& dy, <what it reads>...);
// whose parameter types (A: the first operand, B: the second, Out: the result, Alpha: the
// op's scalar) declare what each reads. BinaryBackward<F> calls each with exactly those and
// saves exactly what the derivatives that will run (needs_input_grad) read, out of place and
// in place alike (attach_binary / inplace_binary); in place, an A read means a copy of self
// taken before the write. A derivative cannot read what its node did not save: it is only
// ever handed what it declares.
#pragma once
#include <type_traits>

#include "pointwise.h"

namespace chainrule::detail {

// The operands a binary derivative may read, as its parameter types.
struct A {
    Tensor t;
};
struct B {
    Tensor t;
};
struct Out {
    Tensor t;
};
struct Alpha {
    double v;
};

// What a derivative's signature declares it reads.
template <class Fn>
struct BinaryReads;
template <class... P>
struct BinaryReads<Tensor (*)(const Tensor&, P...)> {
    static_assert(((std::is_same_v<P, A> || std::is_same_v<P, B> || std::is_same_v<P, Out> ||
                    std::is_same_v<P, Alpha>) &&
                   ...),
                  "a binary derivative takes dy, then only A, B, Out and Alpha");
    static constexpr bool a = (std::is_same_v<P, A> || ...);
    static constexpr bool b = (std::is_same_v<P, B> || ...);
    static constexpr bool out = (std::is_same_v<P, Out> || ...);

    // f(dy, each declared operand unpacked from the node).
    template <class N>
    static Tensor call(Tensor (*f)(const Tensor&, P...), const Tensor& dy, const N& node) {
        return f(dy, node.template unpack<P>()...);
    }
};

template <class F>
using ReadsA = BinaryReads<decltype(&F::da)>;
template <class F>
using ReadsB = BinaryReads<decltype(&F::db)>;

template <class F>
struct BinaryBackward final : Node {
    BinaryBackward(const char* nm, double al) : name_(nm), alpha(al) {}
    SavedTensor a, b, out;
    const char* name_;
    double alpha;

    // Which saved tensors the derivatives that will run read.
    bool saves_a() const {
        return (needs_input_grad(0) && ReadsA<F>::a) || (needs_input_grad(1) && ReadsB<F>::a);
    }
    bool saves_b() const {
        return (needs_input_grad(0) && ReadsA<F>::b) || (needs_input_grad(1) && ReadsB<F>::b);
    }
    bool saves_out() const {
        return (needs_input_grad(0) && ReadsA<F>::out) || (needs_input_grad(1) && ReadsB<F>::out);
    }

    template <class P>
    P unpack() const {
        if constexpr (std::is_same_v<P, A>) {
            return A{a.unpack(name_)};
        } else if constexpr (std::is_same_v<P, B>) {
            return B{b.unpack(name_)};
        } else if constexpr (std::is_same_v<P, Out>) {
            return Out{out.unpack(name_)};
        } else {
            return Alpha{alpha};
        }
    }

    TensorList apply(TensorList&& g) override {
        Tensor da, db;
        if (needs_input_grad(0)) da = ReadsA<F>::call(&F::da, g[0], *this);
        if (needs_input_grad(1)) db = ReadsB<F>::call(&F::db, g[0], *this);
        return {da, db};
    }
    std::string name() const override { return name_; }
    void release_saved() override {
        a.reset();
        b.reset();
        out.reset();
    }
};

// Makes y = op(a, b) the output of a BinaryBackward<F> node, when a or b needs grad.
template <class F>
void attach_binary(Tensor& y, const Tensor& a, const Tensor& b, const char* name,
                   double alpha = 1.0) {
    if (!any_needs_grad({&a, &b})) return;
    auto node = make_node<BinaryBackward<F>>({&a, &b}, name, alpha);
    if (node->saves_a()) node->a = a;
    if (node->saves_b()) node->b = b;
    if (node->saves_out()) node->out = y;
    set_grad_fn(y, node);
}

// self = op(self, other) in place: `write` does the write (after the checks). The node reads
// self's value before the write from a copy, its value after from self.
template <class F, class W>
Tensor& inplace_binary(Tensor& self, const Tensor& other, const char* name, double alpha,
                       const W& write) {
    std::shared_ptr<BinaryBackward<F>> node;
    if (any_needs_grad({&self, &other})) {
        node = make_node<BinaryBackward<F>>({&self, &other}, name, alpha);
        if (node->saves_a()) {
            NoGradGuard ng;
            node->a = clone(self.detach());  // the value before the write
        }
        if (node->saves_b()) node->b = other;
    }
    write();
    finish_inplace(self, node);
    // Saved after the version bump: a later in-place change of self is caught at backward.
    if (node && node->saves_out()) node->out = self;
    return self;
}

}  // namespace chainrule::detail
