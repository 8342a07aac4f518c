// Rounding division (floor_divide, remainder, div with rounding_mode), bitwise ops on
// int64/bool and logical_xor. Integer division by zero raises, as in PyTorch.
#include <cmath>
#include <type_traits>

#include "pointwise.h"

namespace chainrule {

using detail::cast_for_compute;

namespace {

// Integer division by zero is an error (checked before any kernel runs).
void check_int_divisor(const Tensor& b, DType d, const char* op) {
    if (is_floating(d)) return;
    NoGradGuard ng;
    Tensor zero = any(eq(b, wrapped_scalar(int64_t{0})));
    CR_CHECK(!*zero.data<bool>(), RuntimeError, op,
             ": ZeroDivisionError (integer division by "
             "zero)");
}

// -a with wraparound: the quotient by -1 (INT64_MIN / -1 traps on x86, SIGFPE; PyTorch's
// floor division gives INT64_MIN back, its remainder 0).
template <class T>
T negate_wrapping(T a) {
    return static_cast<T>(-static_cast<std::make_unsigned_t<T>>(a));
}

// floor(a / b), PyTorch's div_floor: exact for floats where floor(a / b) would round wrong.
template <class T>
T floor_div(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
        if (b == T(0)) return a / b;
        const T mod = std::fmod(a, b);
        T div = (a - mod) / b;
        if (mod != T(0) && (b < T(0)) != (mod < T(0))) div -= T(1);
        if (div == T(0)) return std::copysign(T(0), a / b);
        T fl = std::floor(div);
        if (div - fl > T(0.5)) fl += T(1);
        return fl;
    } else {
        if (b == T(-1)) return negate_wrapping(a);
        if ((a < 0) != (b < 0)) {
            const T q = a / b, r = a % b;
            return r != 0 ? q - 1 : q;
        }
        return a / b;
    }
}

template <class T>
T python_mod(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
        T m = std::fmod(a, b);
        if (m != T(0) && (b < T(0)) != (m < T(0))) m += b;
        return m;
    } else {
        if (b == T(-1)) return T(0);  // INT64_MIN % -1 traps
        T m = a % b;
        if (m != 0 && (m < 0) != (b < 0)) m += b;
        return m;
    }
}

DType division_type(const Tensor& a, const Tensor& b, const char* op) {
    const DType d = detail::result_type(a, b);
    CR_CHECK(d != DType::Bool, TypeError, op, ": not supported for bool tensors");
    return d;
}

Tensor floor_divide_values(const Tensor& a, const Tensor& b, DType d) {
    return detail::binary_forward(a, b, "floor_divide", d, std::nullopt, [](auto x, auto z) {
        if constexpr (std::is_same_v<decltype(x), bool>) {
            return x;  // not reached: bool rejected above
        } else {
            return floor_div(x, z);
        }
    });
}

}  // namespace

// ---- floor_divide ------------------------------------------------------------
// y = floor(a / b)       NOTE: PyTorch defines no derivative; backward raises, as there.
struct NotImplementedBackward final : Node {
    explicit NotImplementedBackward(const char* o) : op(o) {}
    TensorList apply(TensorList&&) override {
        throw RuntimeError(std::string(op) + ": the derivative for " + op + " is not implemented");
    }
    std::string name() const override { return "NotImplemented"; }
    const char* op;
};

Tensor floor_divide(const Tensor& a, const Tensor& b) {
    const DType d = division_type(a, b, "floor_divide");
    check_int_divisor(b, d, "floor_divide");
    Tensor y = floor_divide_values(a, b, d);
    if (any_needs_grad({&a, &b})) {
        set_grad_fn(y, make_node<NotImplementedBackward>({&a, &b}, "floor_divide"));
    }
    return y;
}

// ---- remainder ---------------------------------------------------------------
// y = a - floor(a / b) * b  (the sign of b, as Python's %)
// da = dy        db = -dy * floor(a / b)
struct RemainderBackward final : Node {
    SavedTensor a, b;
    bool scalar_other = true;
    TensorList apply(TensorList&& g) override {
        Tensor db;
        if (needs_input_grad(1)) {
            Tensor av = a.unpack(nm()), bv = b.unpack(nm());
            const DType d = promote_types(av.dtype(), bv.dtype());
            db = neg(mul(g[0], floor_divide_values(av, bv, d)));
        }
        return {g[0], db};
    }
    const char* nm() const { return scalar_other ? "RemainderBackward0" : "RemainderBackward1"; }
    std::string name() const override { return nm(); }
    void release_saved() override {
        a.reset();
        b.reset();
    }
};

Tensor remainder(const Tensor& a, const Tensor& b) {
    const DType d = division_type(a, b, "remainder");
    check_int_divisor(b, d, "remainder");
    Tensor y = detail::binary_forward(a, b, "remainder", d, std::nullopt, [](auto x, auto z) {
        if constexpr (std::is_same_v<decltype(x), bool>) {
            return x;
        } else {
            return python_mod(x, z);
        }
    });
    if (is_wrapped_scalar(a) && needs_grad(b)) {
        // number % tensor: PyTorch has no derivative for remainder(Scalar, Tensor)
        set_grad_fn(y, make_node<NotImplementedBackward>({&a, &b}, "remainder"));
    } else if (any_needs_grad({&a, &b})) {
        auto node = make_node<RemainderBackward>({&a, &b});
        node->scalar_other = is_wrapped_scalar(b);
        if (node->needs_input_grad(1)) {
            node->a = a;
            node->b = b;
        }
        set_grad_fn(y, node);
    }
    return y;
}

// ---- div(rounding_mode=) -----------------------------------------------------
// y = trunc(a / b) or floor(a / b)     da = 0     db = 0    (integer inputs stay integer)
struct DivBackward2 final : Node {
    TensorList apply(TensorList&& g) override {
        Tensor z = zeros(g[0].shape(), g[0].dtype());
        return {needs_input_grad(0) ? z : Tensor(), needs_input_grad(1) ? z : Tensor()};
    }
    std::string name() const override { return "DivBackward2"; }
};

Tensor div_rounding(const Tensor& a, const Tensor& b, const std::optional<std::string>& mode) {
    if (!mode) return div(a, b);
    CR_CHECK(*mode == "trunc" || *mode == "floor", ValueError,
             "div: expected rounding_mode to be one of None, 'trunc', or 'floor'; got '", *mode,
             "'");
    const DType d = division_type(a, b, "div");
    check_int_divisor(b, d, "div");
    Tensor y = *mode == "floor"
                   ? floor_divide_values(a, b, d)
                   : detail::binary_forward(a, b, "div", d, std::nullopt, [](auto x, auto z) {
                         using T = decltype(x);
                         if constexpr (std::is_floating_point_v<T>) {
                             return std::trunc(x / z);
                         } else if constexpr (std::is_same_v<T, bool>) {
                             return x;
                         } else {
                             return z == T(-1) ? negate_wrapping(x) : x / z;
                         }
                     });
    if (any_needs_grad({&a, &b})) set_grad_fn(y, make_node<DivBackward2>({&a, &b}));
    return y;
}

// ---- bitwise ops (int64 and bool; no gradient) -------------------------------
namespace {
DType bitwise_type(const Tensor& a, const Tensor& b, const char* op) {
    const DType d = detail::result_type(a, b);
    CR_CHECK(!is_floating(d), TypeError, op,
             ": only integer and bool tensors are supported; "
             "got ",
             dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
    return d;
}
}  // namespace

Tensor bitwise_not(const Tensor& x) {
    CR_CHECK(!is_floating(x.dtype()), TypeError,
             "bitwise_not: ~ is only implemented on integer "
             "and bool tensors; got ",
             dtype_name(x.dtype()));
    if (x.dtype() == DType::Bool) return logical_not(x);
    Tensor y = empty(x.shape(), x.dtype());
    detail::unary_loop<int64_t, int64_t>(y, x, [](int64_t v) { return ~v; });
    return y;
}

#define CR_BITWISE(name, expr)                                                           \
    Tensor name(const Tensor& a, const Tensor& b) {                                      \
        const DType d = bitwise_type(a, b, #name);                                       \
        return detail::binary_forward(a, b, #name, d, std::nullopt, [](auto x, auto z) { \
            using T = decltype(x);                                                       \
            if constexpr (std::is_floating_point_v<T>) {                                 \
                return x; /* not reached: floats rejected above */                       \
            } else {                                                                     \
                return static_cast<T>(expr);                                             \
            }                                                                            \
        });                                                                              \
    }
CR_BITWISE(bitwise_and, x& z)
CR_BITWISE(bitwise_or, x | z)
CR_BITWISE(bitwise_xor, x ^ z)
#undef CR_BITWISE

Tensor logical_xor(const Tensor& a, const Tensor& b) {
    return detail::binary_forward(
        a, b, "logical_xor", detail::result_type(a, b), DType::Bool,
        [](auto x, auto z) { return static_cast<bool>(x) != static_cast<bool>(z); });
}

}  // namespace chainrule
