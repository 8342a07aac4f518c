// Binary pointwise ops with broadcasting. Each differentiable one is a formula struct: its
// forward (fwd, and into for the in-place form) and its derivative in each operand (da, db),
// whose parameter types declare what it reads (A, B, Out, Alpha: pointwise_binary.h, which
// derives the node's saving from them). Gradients come back at the broadcast shape; the
// engine reduces them (sum_to).
// add/sub/mul/div on contiguous float operands (same shape, a scalar, a bias row or a column)
// run the per-ISA kernels of kernels/elementwise/ (arith_forward in pointwise.h).
#include "pointwise_binary.h"

namespace chainrule {

using detail::A;
using detail::Alpha;
using detail::arith_forward;
using detail::B;
using detail::binary_forward;
using detail::binary_loop;
using detail::cast_for_compute;
using detail::Out;
using detail::pointwise2;
using detail::pointwise3;
using kernels::Binary;

namespace {

Tensor scaled(const Tensor& g, double alpha) {
    return alpha == 1.0 ? g : mul(g, wrapped_scalar(alpha));
}

// y = F::fwd(a, b) with F's node when a or b needs grad.
template <class F>
Tensor binary_op(const Tensor& a, const Tensor& b, const char* node_name, double alpha = 1.0) {
    Tensor y = F::fwd(a, b, alpha);
    detail::attach_binary<F>(y, a, b, node_name, alpha);
    return y;
}

// self = F::fwd(self, other) in place (F::into), after the in-place checks.
template <class F>
Tensor& binary_op_(Tensor& self, const Tensor& other, const char* op, const char* node_name,
                   double alpha = 1.0) {
    return detail::inplace_binary<F>(self, other, node_name, alpha,
                                     [&] { F::into(self, other, op, alpha); });
}

// ---- add / sub -------------------------------------------------------------
// y = a + alpha*b        da = dy        db = alpha*dy
struct Add {
    static Tensor fwd(const Tensor& a, const Tensor& b, double alpha) {
        const DType d = detail::result_type(a, b);
        if (alpha == 1.0) {
            return arith_forward(a, b, "add", d, Binary::Add, alpha,
                                 [](auto x, auto z) { return x + z; });
        }
        return CR_DISPATCH_ALL(d, "add", [&] {
            const auto al = static_cast<scalar_t>(alpha);
            return arith_forward(a, b, "add", d, Binary::Add, alpha,
                                 [al](auto x, auto z) { return x + al * z; });
        });
    }
    static void into(const Tensor& self, const Tensor& other, const char* op, double alpha) {
        CR_DISPATCH_ALL(self.dtype(), op, [&] {
            const auto al = static_cast<scalar_t>(alpha);
            detail::arith_into(self, other, op, Binary::Add, alpha,
                               [al](auto x, auto z) { return x + al * z; });
        });
    }
    static Tensor da(const Tensor& dy) { return dy; }
    static Tensor db(const Tensor& dy, Alpha alpha) { return scaled(dy, alpha.v); }
};

// y = a - alpha*b        da = dy        db = -alpha*dy
struct Sub {
    static Tensor fwd(const Tensor& a, const Tensor& b, double alpha) {
        const DType d = detail::result_type(a, b);
        return CR_DISPATCH_NUMERIC(d, "sub", [&] {
            const auto al = static_cast<scalar_t>(alpha);
            return arith_forward(a, b, "sub", d, Binary::Sub, alpha,
                                 [al](auto x, auto z) { return x - al * z; });
        });
    }
    static void into(const Tensor& self, const Tensor& other, const char* op, double alpha) {
        CR_DISPATCH_ALL(self.dtype(), op, [&] {
            const auto al = static_cast<scalar_t>(alpha);
            detail::arith_into(self, other, op, Binary::Sub, alpha,
                               [al](auto x, auto z) { return x - al * z; });
        });
    }
    static Tensor da(const Tensor& dy) { return dy; }
    static Tensor db(const Tensor& dy, Alpha alpha) { return scaled(dy, -alpha.v); }
};

// As PyTorch: no `-` with a bool operand (a tensor or a Python bool), whatever the result.
void check_sub_bool(const Tensor& a, const Tensor& b, const char* op) {
    CR_CHECK(a.dtype() != DType::Bool || b.dtype() != DType::Bool, TypeError, op,
             ": subtraction with two bool tensors is not supported; use logical_xor or ~");
    CR_CHECK(a.dtype() != DType::Bool && b.dtype() != DType::Bool, TypeError, op,
             ": subtraction with a bool tensor is not supported; to invert a mask use ~ or "
             "logical_not");
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, double alpha) {
    return binary_op<Add>(a, b, "AddBackward0", alpha);
}

void check_alpha(DType result, bool alpha_is_float, bool alpha_is_bool, const char* op) {
    CR_CHECK(!alpha_is_bool || result == DType::Bool, TypeError, op,
             ": a bool alpha is only supported for bool results; got ", dtype_name(result));
    CR_CHECK(!alpha_is_float || is_floating(result), TypeError, op,
             ": for integral input tensors, alpha must not be a floating point number; got ",
             dtype_name(result), " tensors");
}

DType arith_result_type(const Tensor& a, const Tensor& b) { return detail::result_type(a, b); }

Tensor sub(const Tensor& a, const Tensor& b, double alpha) {
    check_sub_bool(a, b, "sub");
    // RsubBackward1 for `number - tensor`, as PyTorch
    return binary_op<Sub>(a, b, is_wrapped_scalar(a) ? "RsubBackward1" : "SubBackward0", alpha);
}

Tensor& add_(Tensor& self, const Tensor& other, double alpha) {
    check_inplace(self, "add_");
    detail::check_into(self, other, "add_");
    return binary_op_<Add>(self, other, "add_", "AddBackward0", alpha);
}

Tensor& sub_(Tensor& self, const Tensor& other, double alpha) {
    check_inplace(self, "sub_");
    detail::check_into(self, other, "sub_");
    check_sub_bool(self, other, "sub_");
    return binary_op_<Sub>(self, other, "sub_", "SubBackward0", alpha);
}

// ---- mul -------------------------------------------------------------------
// y = a * b              da = dy * b        db = dy * a
namespace {
struct Mul {
    static Tensor fwd(const Tensor& a, const Tensor& b, double) {
        return arith_forward(a, b, "mul", detail::result_type(a, b), Binary::Mul, 1.0,
                             [](auto x, auto z) { return x * z; });
    }
    static void into(const Tensor& self, const Tensor& other, const char* op, double) {
        detail::arith_into(self, other, op, Binary::Mul, 1.0, [](auto x, auto z) { return x * z; });
    }
    static Tensor da(const Tensor& dy, B b) { return mul(dy, b.t); }
    static Tensor db(const Tensor& dy, A a) { return mul(dy, a.t); }
};
}  // namespace

Tensor mul(const Tensor& a, const Tensor& b) { return binary_op<Mul>(a, b, "MulBackward0"); }

Tensor& mul_(Tensor& self, const Tensor& other) {
    check_inplace(self, "mul_");
    detail::check_into(self, other, "mul_");
    return binary_op_<Mul>(self, other, "mul_", "MulBackward0");
}

// ---- div -------------------------------------------------------------------
// y = a / b              da = dy / b        db = -dy * a / b^2
namespace {
struct Div {
    static Tensor fwd(const Tensor& a, const Tensor& b, double) {
        DType d = detail::result_type(a, b);
        if (!is_floating(d)) d = kDefaultFloat;  // true division
        return arith_forward(a, b, "div", d, Binary::Div, 1.0,
                             [](auto x, auto z) { return x / z; });
    }
    static void into(const Tensor& self, const Tensor& other, const char* op, double) {
        detail::arith_into(self, other, op, Binary::Div, 1.0, [](auto x, auto z) { return x / z; });
    }
    static Tensor da(const Tensor& dy, B b) { return div(dy, b.t); }
    static Tensor db(const Tensor& dy, A a, B b) {
        // (x / z) / z, as PyTorch: z * z under- or overflows for |z| beyond 1e+-19 (float)
        // where the quotients stay in range
        return pointwise3(dy, a.t, b.t, [](auto g, auto x, auto z) { return -g * ((x / z) / z); });
    }
};
}  // namespace

Tensor div(const Tensor& a, const Tensor& b) {
    // MulBackward0 for `number / tensor` (PyTorch's name)
    return binary_op<Div>(a, b, is_wrapped_scalar(a) ? "MulBackward0" : "DivBackward0");
}

Tensor& div_(Tensor& self, const Tensor& other) {
    check_inplace(self, "div_");
    detail::check_into(self, other, "div_");
    CR_CHECK(is_floating(self.dtype()), TypeError,
             "div_: result type float32 can't be cast to "
             "the desired output type ",
             dtype_name(self.dtype()));
    return binary_op_<Div>(self, other, "div_", "DivBackward0");
}

// ---- pow -------------------------------------------------------------------
// y = a^b    da = dy * b * a^(b-1)  (0 where b == 0)    db = dy * y * log(a)  (0 where a == 0
// and b >= 0, as in PyTorch, so that 0^b stays differentiable in b)
namespace {
struct Pow {
    static Tensor fwd(const Tensor& a, const Tensor& b, double);
    static void into(const Tensor& self, const Tensor& other, const char*, double) {
        Tensor y;
        {
            NoGradGuard ng;
            y = fwd(self.detach(), other.detach(), 1.0);
        }
        detail::copy_cast(self, y);
    }
    static Tensor da(const Tensor& dy, A a, B b) {
        return pointwise3(dy, a.t, b.t, [](auto g, auto x, auto e) {
            using T = decltype(g);
            if (e == T(2)) return g * (e * x);  // x^1 is x: skip the libm call (x.pow(2))
            // dy * (b * a^(b-1)), as PyTorch: a huge b times an underflowed a^(b-1) is
            // 0, where (dy * b) could overflow first and give inf * 0 = NaN
            return e == T(0) ? T(0) : g * (e * std::pow(x, e - T(1)));
        });
    }
    // The exponent's sign matters only at a == 0, where PyTorch gives 0 for b >= 0.
    static Tensor db(const Tensor& dy, A a, Out y) {
        return pointwise3(dy, a.t, y.t, [](auto g, auto x, auto out) {
            using T = decltype(g);
            return x == T(0) ? T(0) : g * out * std::log(x);
        });
    }
};

Tensor Pow::fwd(const Tensor& a, const Tensor& b, double) {
    const DType d = detail::result_type(a, b);
    if (d == DType::Int64) {
        // As PyTorch: a negative Python-number exponent is an error; a tensor exponent's
        // negative entries give 1 / x^|e| truncated (1, -1 or 0), which the kernel computes.
        const bool negative_number =
            is_wrapped_scalar(b) && b.dtype() == DType::Int64 && b.data<int64_t>()[0] < 0;
        CR_CHECK(!negative_number, RuntimeError,
                 "pow: integers to negative integer powers are not allowed");
        return binary_forward(a, b, "pow", d, std::nullopt, [](auto x, auto e) {
            using T = decltype(x);
            if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
                if (e < 0) return T(x == 1 ? 1 : (x == -1 ? ((e & 1) ? -1 : 1) : 0));
                // Unsigned products wrap where signed ones would overflow (undefined
                // behaviour, found by UBSan); the bits are PyTorch's two's-complement result.
                using U = std::make_unsigned_t<T>;
                U r = 1, base = static_cast<U>(x);
                for (auto k = e; k > 0; k >>= 1) {
                    if (k & 1) r *= base;
                    base *= base;
                }
                return static_cast<T>(r);
            } else {
                return x;  // not reached: d is int64 here
            }
        });
    }
    return binary_forward(a, b, "pow", d, std::nullopt, [](auto x, auto e) {
        using T = decltype(x);
        if constexpr (std::is_floating_point_v<T>) {
            if (e == T(2)) return x * x;
            return std::pow(x, e);
        } else {
            return x;  // not reached: d is floating here
        }
    });
}
}  // namespace

Tensor pow(const Tensor& a, const Tensor& b) {
    CR_CHECK(detail::result_type(a, b) != DType::Bool, TypeError,
             "pow: not supported for bool tensors");
    // PowBackward0: tensor ** number, 1: tensor ** tensor, 2: number ** tensor (PyTorch's).
    const char* name = is_wrapped_scalar(a)   ? "PowBackward2"
                       : is_wrapped_scalar(b) ? "PowBackward0"
                                              : "PowBackward1";
    return binary_op<Pow>(a, b, name);
}

// a = a^b in place: the same formula; the node reads a's value before the write from a copy.
Tensor& pow_(Tensor& self, const Tensor& exponent) {
    check_inplace(self, "pow_");
    detail::check_into(self, exponent, "pow_");
    CR_CHECK(self.dtype() != DType::Bool, TypeError, "pow_: not supported for bool tensors");
    return binary_op_<Pow>(self, exponent, "pow_",
                           is_wrapped_scalar(exponent) ? "PowBackward0" : "PowBackward1");
}

// ---- maximum / minimum -----------------------------------------------------
// y = max(a, b)   da = dy * ([a > b] + [a == b]/2)   db = dy * ([b > a] + [a == b]/2)
// NaN propagates, as in PyTorch.
namespace {
template <bool kMax>
struct Extremum {
    static Tensor fwd(const Tensor& a, const Tensor& b, double) {
        const char* op = kMax ? "maximum" : "minimum";
        return binary_forward(
            a, b, op, detail::result_type(a, b), std::nullopt,
            [](auto x, auto z) { return (x != x || (kMax ? x > z : x < z)) ? x : z; });
    }
    // dy where `mine` wins, half of it at a tie
    static Tensor share(const Tensor& dy, const Tensor& mine, const Tensor& other) {
        return pointwise3(dy, mine, other, [](auto g, auto x, auto z) {
            using T = decltype(g);
            if (x == z) return g / T(2);
            return (kMax ? x > z : x < z) ? g : T(0);
        });
    }
    static Tensor da(const Tensor& dy, A a, B b) { return share(dy, a.t, b.t); }
    static Tensor db(const Tensor& dy, A a, B b) { return share(dy, b.t, a.t); }
};
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
    return binary_op<Extremum<true>>(a, b, "MaximumBackward0");
}
Tensor minimum(const Tensor& a, const Tensor& b) {
    return binary_op<Extremum<false>>(a, b, "MinimumBackward0");
}

// ---- where -----------------------------------------------------------------
// y = cond ? a : b       da = cond ? dy : 0         db = cond ? 0 : dy
struct WhereBackward0 final : Node {
    SavedTensor cond;
    TensorList apply(TensorList&& g) override {
        Tensor c = cond.unpack("WhereBackward0");
        Tensor zero = scalar_tensor(0.0, g[0].dtype());
        Tensor da, db;
        if (needs_input_grad(0)) da = where(c, g[0], zero);
        if (needs_input_grad(1)) db = where(c, zero, g[0]);
        return {da, db};
    }
    std::string name() const override { return "WhereBackward0"; }
    void release_saved() override { cond.reset(); }
};

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
    CR_CHECK(cond.dtype() == DType::Bool, TypeError, "where: expected a bool condition; got dtype ",
             dtype_name(cond.dtype()));
    const DType d = detail::result_type(a, b);
    const Shape shape =
        broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
    Tensor x = cast_for_compute(a, d), z = cast_for_compute(b, d);
    Tensor y = empty(shape, d);
    CR_DISPATCH_ALL(d, "where", [&] {
        detail::ternary_loop<scalar_t, scalar_t, bool>(
            y, x, z, cond, [](scalar_t p, scalar_t q, bool c) { return c ? p : q; });
    });
    if (any_needs_grad({&a, &b})) {
        auto node = make_node<WhereBackward0>({&a, &b});
        node->cond = cond;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- comparisons and logical ops (bool results, no gradient) ----------------
#define CR_COMPARISON(name, expr)                                                  \
    Tensor name(const Tensor& a, const Tensor& b) {                                \
        return binary_forward(a, b, #name, detail::result_type(a, b), DType::Bool, \
                              [](auto x, auto z) { return expr; });                \
    }
CR_COMPARISON(eq, x == z)
CR_COMPARISON(ne, x != z)
CR_COMPARISON(lt, x < z)
CR_COMPARISON(le, x <= z)
CR_COMPARISON(gt, x > z)
CR_COMPARISON(ge, x >= z)
CR_COMPARISON(logical_and, static_cast<bool>(x) && static_cast<bool>(z))
CR_COMPARISON(logical_or, static_cast<bool>(x) || static_cast<bool>(z))
#undef CR_COMPARISON

Tensor logical_not(const Tensor& a) {
    Tensor out = empty(a.shape(), DType::Bool);
    CR_DISPATCH_ALL(a.dtype(), "logical_not", [&] {
        detail::unary_loop<bool, scalar_t>(out, a,
                                           [](scalar_t x) { return !static_cast<bool>(x); });
    });
    return out;
}

}  // namespace chainrule
