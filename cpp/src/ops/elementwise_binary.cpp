// Binary pointwise ops with broadcasting: forward and derivative of each, side by side.
// Gradients come back at the broadcast shape; the engine reduces them (sum_to).
// add/sub/mul/div on contiguous float operands (same shape, a scalar, a bias row or a column)
// run the per-ISA kernels of kernels/elementwise/ (arith_forward in pointwise.h).
#include "pointwise.h"

namespace chainrule {

using detail::arith_forward;
using detail::binary_loop;
using kernels::Binary;
using detail::cast_for_compute;
using detail::pointwise2;
using detail::binary_forward;
using detail::pointwise3;

namespace {

Tensor scaled(const Tensor& g, double alpha) {
    return alpha == 1.0 ? g : mul(g, wrapped_scalar(alpha));
}

}  // namespace

// ---- add / sub -------------------------------------------------------------
// y = a + alpha*b        da = dy        db = alpha*dy
struct AddBackward0 final : Node {
    double alpha = 1.0;
    TensorList apply(TensorList&& g) override {
        return {g[0], needs_input_grad(1) ? scaled(g[0], alpha) : Tensor()};
    }
    std::string name() const override { return "AddBackward0"; }
};

// y = a - alpha*b        da = dy        db = -alpha*dy
struct SubBackward0 final : Node {
    double alpha = 1.0;
    const char* nm = "SubBackward0";  // RsubBackward1 for `number - tensor`, as PyTorch
    TensorList apply(TensorList&& g) override {
        return {g[0], needs_input_grad(1) ? scaled(g[0], -alpha) : Tensor()};
    }
    std::string name() const override { return nm; }
};

Tensor add(const Tensor& a, const Tensor& b, double alpha) {
    const DType d = detail::result_type(a, b);
    Tensor y = alpha == 1.0
                   ? arith_forward(a, b, "add", d, Binary::Add, alpha,
                                   [](auto x, auto z) { return x + z; })
                   : CR_DISPATCH_ALL(d, "add", [&] {
                         const auto al = static_cast<scalar_t>(alpha);
                         return arith_forward(a, b, "add", d, Binary::Add, alpha,
                                              [al](auto x, auto z) { return x + al * z; });
                     });
    if (any_needs_grad({&a, &b})) {
        auto node = make_node<AddBackward0>({&a, &b});
        node->alpha = alpha;
        set_grad_fn(y, node);
    }
    return y;
}

void check_alpha(DType result, bool alpha_is_float, bool alpha_is_bool, const char* op) {
    CR_CHECK(!alpha_is_bool || result == DType::Bool, TypeError, op,
             ": a bool alpha is only supported for bool results; got ", dtype_name(result));
    CR_CHECK(!alpha_is_float || is_floating(result), TypeError, op,
             ": for integral input tensors, alpha must not be a floating point number; got ",
             dtype_name(result), " tensors");
}

DType arith_result_type(const Tensor& a, const Tensor& b) { return detail::result_type(a, b); }

namespace {
// As PyTorch: no `-` with a bool operand (a tensor or a Python bool), whatever the result.
void check_sub_bool(const Tensor& a, const Tensor& b, const char* op) {
    CR_CHECK(a.dtype() != DType::Bool || b.dtype() != DType::Bool, TypeError, op,
             ": subtraction with two bool tensors is not supported; use logical_xor or ~");
    CR_CHECK(a.dtype() != DType::Bool && b.dtype() != DType::Bool, TypeError, op,
             ": subtraction with a bool tensor is not supported; to invert a mask use ~ or "
             "logical_not");
}
}  // namespace

Tensor sub(const Tensor& a, const Tensor& b, double alpha) {
    check_sub_bool(a, b, "sub");
    const DType d = detail::result_type(a, b);
    Tensor y = CR_DISPATCH_NUMERIC(d, "sub", [&] {
        const auto al = static_cast<scalar_t>(alpha);
        return arith_forward(a, b, "sub", d, Binary::Sub, alpha,
                             [al](auto x, auto z) { return x - al * z; });
    });
    if (any_needs_grad({&a, &b})) {
        auto node = make_node<SubBackward0>({&a, &b});
        node->alpha = alpha;
        if (is_wrapped_scalar(a)) node->nm = "RsubBackward1";
        set_grad_fn(y, node);
    }
    return y;
}

Tensor& add_(Tensor& self, const Tensor& other, double alpha) {
    check_inplace(self, "add_");
    detail::check_into(self, other, "add_");
    std::shared_ptr<AddBackward0> node;
    if (any_needs_grad({&self, &other})) {
        node = make_node<AddBackward0>({&self, &other});
        node->alpha = alpha;
    }
    CR_DISPATCH_ALL(self.dtype(), "add_", [&] {
        const auto al = static_cast<scalar_t>(alpha);
        detail::arith_into(self, other, "add_", Binary::Add, alpha,
                           [al](auto x, auto z) { return x + al * z; });
    });
    detail::finish_inplace(self, node);
    return self;
}

Tensor& sub_(Tensor& self, const Tensor& other, double alpha) {
    check_inplace(self, "sub_");
    detail::check_into(self, other, "sub_");
    check_sub_bool(self, other, "sub_");
    std::shared_ptr<SubBackward0> node;
    if (any_needs_grad({&self, &other})) {
        node = make_node<SubBackward0>({&self, &other});
        node->alpha = alpha;
    }
    CR_DISPATCH_ALL(self.dtype(), "sub_", [&] {
        const auto al = static_cast<scalar_t>(alpha);
        detail::arith_into(self, other, "sub_", Binary::Sub, alpha,
                           [al](auto x, auto z) { return x - al * z; });
    });
    detail::finish_inplace(self, node);
    return self;
}

// ---- mul -------------------------------------------------------------------
// y = a * b              da = dy * b        db = dy * a
struct MulBackward0 final : Node {
    SavedTensor a, b;
    TensorList apply(TensorList&& g) override {
        Tensor da, db;
        if (needs_input_grad(0)) da = mul(g[0], b.unpack("MulBackward0"));
        if (needs_input_grad(1)) db = mul(g[0], a.unpack("MulBackward0"));
        return {da, db};
    }
    std::string name() const override { return "MulBackward0"; }
    void release_saved() override {
        a.reset();
        b.reset();
    }
};

Tensor mul(const Tensor& a, const Tensor& b) {
    const DType d = detail::result_type(a, b);
    Tensor y = arith_forward(a, b, "mul", d, Binary::Mul, 1.0, [](auto x, auto z) { return x * z; });
    if (any_needs_grad({&a, &b})) {
        auto node = make_node<MulBackward0>({&a, &b});
        if (node->needs_input_grad(0)) node->b = b;
        if (node->needs_input_grad(1)) node->a = a;
        set_grad_fn(y, node);
    }
    return y;
}

Tensor& mul_(Tensor& self, const Tensor& other) {
    check_inplace(self, "mul_");
    detail::check_into(self, other, "mul_");
    std::shared_ptr<MulBackward0> node;
    if (any_needs_grad({&self, &other})) {
        node = make_node<MulBackward0>({&self, &other});
        if (node->needs_input_grad(0)) node->b = other;
        if (node->needs_input_grad(1)) node->a = clone(self.detach());  // the value before
    }
    detail::arith_into(self, other, "mul_", Binary::Mul, 1.0, [](auto x, auto z) { return x * z; });
    detail::finish_inplace(self, node);
    return self;
}

// ---- div -------------------------------------------------------------------
// y = a / b              da = dy / b        db = -dy * a / b^2
struct DivBackward0 final : Node {
    SavedTensor a, b;
    TensorList apply(TensorList&& g) override {
        Tensor bv = b.unpack("DivBackward0");
        Tensor da, db;
        if (needs_input_grad(0)) da = div(g[0], bv);
        if (needs_input_grad(1)) {
            db = pointwise3(g[0], a.unpack("DivBackward0"), bv,
                            // (x / z) / z, as PyTorch: z * z under- or overflows for
                            // |z| beyond 1e+-19 (float) where the quotients stay in range
                            [](auto dy, auto x, auto z) { return -dy * ((x / z) / z); });
        }
        return {da, db};
    }
    const char* nm = "DivBackward0";  // MulBackward0 for `number / tensor` (PyTorch's name)
    std::string name() const override { return nm; }
    void release_saved() override {
        a.reset();
        b.reset();
    }
};

Tensor div(const Tensor& a, const Tensor& b) {
    DType d = detail::result_type(a, b);
    if (!is_floating(d)) d = kDefaultFloat;  // true division
    Tensor y = arith_forward(a, b, "div", d, Binary::Div, 1.0, [](auto x, auto z) { return x / z; });
    if (any_needs_grad({&a, &b})) {
        auto node = make_node<DivBackward0>({&a, &b});
        node->b = b;
        if (node->needs_input_grad(1)) node->a = a;
        if (is_wrapped_scalar(a)) node->nm = "MulBackward0";
        set_grad_fn(y, node);
    }
    return y;
}

Tensor& div_(Tensor& self, const Tensor& other) {
    check_inplace(self, "div_");
    detail::check_into(self, other, "div_");
    CR_CHECK(is_floating(self.dtype()), TypeError, "div_: result type float32 can't be cast to "
             "the desired output type ", dtype_name(self.dtype()));
    std::shared_ptr<DivBackward0> node;
    if (any_needs_grad({&self, &other})) {
        node = make_node<DivBackward0>({&self, &other});
        node->b = other;
        if (node->needs_input_grad(1)) node->a = clone(self.detach());
    }
    detail::arith_into(self, other, "div_", Binary::Div, 1.0, [](auto x, auto z) { return x / z; });
    detail::finish_inplace(self, node);
    return self;
}

// ---- pow -------------------------------------------------------------------
// y = a^b    da = dy * b * a^(b-1)  (0 where b == 0)    db = dy * y * log(a)  (0 where a == 0
// and b >= 0, as in PyTorch, so that 0^b stays differentiable in b)
struct PowBackward0 final : Node {
    SavedTensor a, b, y;
    TensorList apply(TensorList&& g) override {
        Tensor av = a.unpack("PowBackward0"), bv = b.unpack("PowBackward0");
        Tensor da, db;
        if (needs_input_grad(0)) {
            da = pointwise3(g[0], av, bv, [](auto dy, auto x, auto e) {
                using T = decltype(dy);
                if (e == T(2)) return dy * (e * x);  // x^1 is x: skip the libm call (x.pow(2))
                // dy * (b * a^(b-1)), as PyTorch: a huge b times an underflowed a^(b-1) is
                // 0, where (dy * b) could overflow first and give inf * 0 = NaN
                return e == T(0) ? T(0) : dy * (e * std::pow(x, e - T(1)));
            });
        }
        if (needs_input_grad(1)) {
            db = pointwise3(g[0], av, y.unpack("PowBackward0"), [](auto dy, auto x, auto out) {
                using T = decltype(dy);
                return x == T(0) ? T(0) : dy * out * std::log(x);
            });
            // The exponent's sign matters only at a == 0, where PyTorch gives 0 for b >= 0.
        }
        return {da, db};
    }
    // PowBackward0: tensor ** number, 1: tensor ** tensor, 2: number ** tensor (PyTorch's).
    const char* nm = "PowBackward0";
    std::string name() const override { return nm; }
    void release_saved() override {
        a.reset();
        b.reset();
        y.reset();
    }
};

Tensor pow(const Tensor& a, const Tensor& b) {
    const DType d = detail::result_type(a, b);
    CR_CHECK(d != DType::Bool, TypeError, "pow: not supported for bool tensors");
    Tensor y;
    if (d == DType::Int64) {
        // As PyTorch: a negative Python-number exponent is an error; a tensor exponent's
        // negative entries give 1 / x^|e| truncated (1, -1 or 0), which the kernel computes.
        const bool negative_number = is_wrapped_scalar(b) && b.dtype() == DType::Int64 &&
                                     b.data<int64_t>()[0] < 0;
        CR_CHECK(!negative_number, RuntimeError,
                 "pow: integers to negative integer powers are not allowed");
        y = binary_forward(a, b, "pow", d, std::nullopt, [](auto x, auto e) {
            using T = decltype(x);
            if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
                if (e < 0) return T(x == 1 ? 1 : (x == -1 ? ((e & 1) ? -1 : 1) : 0));
                T r = 1, base = x;
                for (auto k = e; k > 0; k >>= 1) {
                    if (k & 1) r *= base;
                    base *= base;
                }
                return r;
            } else {
                return x;  // not reached: d is int64 here
            }
        });
    } else {
        y = binary_forward(a, b, "pow", d, std::nullopt, [](auto x, auto e) {
            using T = decltype(x);
            if constexpr (std::is_floating_point_v<T>) {
                if (e == T(2)) return x * x;
                return std::pow(x, e);
            } else {
                return x;  // not reached: d is floating here
            }
        });
    }
    if (any_needs_grad({&a, &b})) {
        auto node = make_node<PowBackward0>({&a, &b});
        node->nm = is_wrapped_scalar(a)   ? "PowBackward2"
                   : is_wrapped_scalar(b) ? "PowBackward0"
                                          : "PowBackward1";
        node->a = a;
        node->b = b;
        if (node->needs_input_grad(1)) node->y = y;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- maximum / minimum -----------------------------------------------------
// y = max(a, b)   da = dy * ([a > b] + [a == b]/2)   db = dy * ([b > a] + [a == b]/2)
struct MaximumBackward0 final : Node {
    SavedTensor a, b;
    bool is_max = true;
    TensorList apply(TensorList&& g) override {
        const char* nm = is_max ? "MaximumBackward0" : "MinimumBackward0";
        Tensor av = a.unpack(nm), bv = b.unpack(nm);
        const bool mx = is_max;
        auto share = [mx](auto dy, auto x, auto z) {
            using T = decltype(dy);
            if (x == z) return dy / T(2);
            return (mx ? x > z : x < z) ? dy : T(0);
        };
        Tensor da, db;
        if (needs_input_grad(0)) da = pointwise3(g[0], av, bv, share);
        if (needs_input_grad(1)) db = pointwise3(g[0], bv, av, share);
        return {da, db};
    }
    std::string name() const override { return is_max ? "MaximumBackward0" : "MinimumBackward0"; }
    void release_saved() override {
        a.reset();
        b.reset();
    }
};

namespace {
Tensor extremum(const Tensor& a, const Tensor& b, bool is_max) {
    const char* op = is_max ? "maximum" : "minimum";
    const DType d = detail::result_type(a, b);
    // NaN propagates, as in PyTorch.
    Tensor y = is_max ? binary_forward(a, b, op, d, std::nullopt,
                                       [](auto x, auto z) { return (x != x || x > z) ? x : z; })
                      : binary_forward(a, b, op, d, std::nullopt,
                                       [](auto x, auto z) { return (x != x || x < z) ? x : z; });
    if (any_needs_grad({&a, &b})) {
        auto node = make_node<MaximumBackward0>({&a, &b});
        node->is_max = is_max;
        node->a = a;
        node->b = b;
        set_grad_fn(y, node);
    }
    return y;
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return extremum(a, b, true); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extremum(a, b, false); }

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
    CR_CHECK(cond.dtype() == DType::Bool, TypeError,
             "where: expected a bool condition; got dtype ", dtype_name(cond.dtype()));
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
#define CR_COMPARISON(name, expr)                                                       \
    Tensor name(const Tensor& a, const Tensor& b) {                                     \
        return binary_forward(a, b, #name, detail::result_type(a, b), DType::Bool,      \
                              [](auto x, auto z) { return expr; });                     \
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
        detail::unary_loop<bool, scalar_t>(out, a, [](scalar_t x) { return !static_cast<bool>(x); });
    });
    return out;
}

}  // namespace chainrule
