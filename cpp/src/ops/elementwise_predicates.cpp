// Predicates and whole-tensor comparisons: isnan, isinf, isfinite, any, all, isclose,
// allclose, equal. Bool results; none is differentiable.
#include <cmath>

#include "pointwise.h"

namespace chainrule {

namespace {
template <class F>
Tensor float_predicate(const Tensor& x, const char* op, bool integer_value, const F& f) {
    if (!is_floating(x.dtype())) return full(x.shape(), integer_value ? 1.0 : 0.0, DType::Bool);
    Tensor out = empty(x.shape(), DType::Bool);
    CR_DISPATCH_FLOAT(x.dtype(), op, [&] { detail::unary_loop<bool, scalar_t>(out, x, f); });
    return out;
}
void check_dims(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
    for (int64_t d : dims) wrap_dim(d, std::max<int64_t>(x.dim(), 1), op);
}
}  // namespace

// ---- isnan / isinf / isfinite ------------------------------------------------
// Integer and bool tensors are never NaN or infinite.
Tensor isnan(const Tensor& x) {
    return float_predicate(x, "isnan", false, [](auto v) { return v != v; });
}
Tensor isinf(const Tensor& x) {
    return float_predicate(x, "isinf", false, [](auto v) { return std::isinf(v); });
}
Tensor isfinite(const Tensor& x) {
    return float_predicate(x, "isfinite", true, [](auto v) { return std::isfinite(v); });
}

// ---- any / all ---------------------------------------------------------------
// any = count(x != 0) > 0, all = count(x == 0) == 0, over dims (all dims when empty).
// NaN counts as true, as in PyTorch.
Tensor any(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
    check_dims(x, dims, "any");
    NoGradGuard ng;
    Tensor nonzero = ne(x, wrapped_scalar(int64_t{0}));
    return gt(sum(nonzero, dims, keepdim, DType::Int64), wrapped_scalar(int64_t{0}));
}

Tensor all(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
    check_dims(x, dims, "all");
    NoGradGuard ng;
    Tensor zero = eq(x, wrapped_scalar(int64_t{0}));
    return eq(sum(zero, dims, keepdim, DType::Int64), wrapped_scalar(int64_t{0}));
}

// ---- isclose / allclose ------------------------------------------------------
// |a - b| <= atol + rtol * |b|, or a == b (so equal infinities are close), or both NaN when
// equal_nan. Operands must share a dtype, as in PyTorch.
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
    CR_CHECK(a.dtype() == b.dtype(), TypeError,
             "isclose: expected both tensors to have the same "
             "dtype; got ",
             dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
    CR_CHECK(rtol >= 0 && atol >= 0, ValueError,
             "isclose: rtol and atol must be non-negative; "
             "got rtol=",
             rtol, ", atol=", atol);
    const Shape shape = broadcast_shapes(a.shape(), b.shape(), "isclose");
    Tensor out = empty(shape, DType::Bool);
    CR_DISPATCH_ALL(a.dtype(), "isclose", [&] {
        detail::binary_loop<bool, scalar_t>(out, a, b, [=](scalar_t x, scalar_t y) {
            if (x == y) return true;
            if constexpr (std::is_floating_point_v<scalar_t>) {
                if (x != x || y != y) return equal_nan && x != x && y != y;
                const scalar_t err = std::abs(x - y);
                return std::isfinite(err) && err <= static_cast<scalar_t>(atol) +
                                                        std::abs(static_cast<scalar_t>(rtol) * y);
            } else {
                const double err = std::abs(static_cast<double>(x) - static_cast<double>(y));
                return err <= atol + std::abs(rtol * static_cast<double>(y));
            }
        });
    });
    return out;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
    Tensor c = all(isclose(a, b, rtol, atol, equal_nan));
    return *c.data<bool>();
}

// ---- equal -------------------------------------------------------------------
// True when both have the same shape and the same values (NaN is not equal to NaN).
bool equal(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) return false;
    NoGradGuard ng;
    Tensor c = all(eq(a, b));
    return *c.data<bool>();
}

}  // namespace chainrule
