// Factories, random draws and wrapped Python scalars.
#include <cmath>

#include "pointwise.h"

namespace chainrule {

Tensor full(const Shape& shape, double value, DType dtype) {
    Tensor t = empty(shape, dtype);
    const int64_t n = t.numel();
    CR_DISPATCH_ALL(dtype, "full", [&] {
        scalar_t* p = t.data<scalar_t>();
        const auto v = static_cast<scalar_t>(value);
        parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) { std::fill(p + b, p + e, v); });
    });
    return t;
}

Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0.0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor scalar_tensor(double v, DType dtype) { return full({}, v, dtype); }

namespace {
Tensor wrapped(double v, DType d) {
    Tensor t = scalar_tensor(v, d);
    t.impl()->wrapped_number = true;
    return t;
}
}  // namespace

Tensor wrapped_scalar(double v) { return wrapped(v, DType::Float64); }
Tensor wrapped_scalar(int64_t v) {
    Tensor t = empty({}, DType::Int64);
    *t.data<int64_t>() = v;  // exact beyond 2^53
    t.impl()->wrapped_number = true;
    return t;
}
Tensor wrapped_scalar(bool v) { return wrapped(v ? 1.0 : 0.0, DType::Bool); }
bool is_wrapped_scalar(const Tensor& t) { return t.impl()->wrapped_number; }

void check_scalar_fits(double v, DType dst, const char* op) {
    if (dst != DType::Int64) return;
    // [-2^63, 2^63): the doubles whose truncation is an int64 (NaN fails both compares).
    CR_CHECK(v >= -0x1p63 && v < 0x1p63, RuntimeError, op,
             ": value cannot be converted to type int64 without overflow (got ", v, ")");
}

void check_scalar_fits(const Tensor& value, DType dst, const char* op) {
    if (dst != DType::Int64 || !value.impl()->wrapped_number || !is_floating(value.dtype())) return;
    const double v = value.dtype() == DType::Float64 ? *value.data<double>()
                                                     : static_cast<double>(*value.data<float>());
    check_scalar_fits(v, dst, op);
}

Tensor arange(double start, double end, double step, DType dtype) {
    CR_CHECK(step != 0, ValueError, "arange: step must be nonzero");
    CR_CHECK(std::isfinite(start) && std::isfinite(end), ValueError,
             "arange: unsupported range: ", start, " -> ", end);
    CR_CHECK((step > 0 && end >= start) || (step < 0 && end <= start), ValueError,
             "arange: upper bound and larger bound inconsistent with step sign; got start=", start,
             ", end=", end, ", step=", step);
    const auto n = static_cast<int64_t>(std::ceil((end - start) / step));
    Tensor t = empty({std::max<int64_t>(n, 0)}, dtype);
    CR_DISPATCH_NUMERIC(dtype, "arange", [&] {
        scalar_t* p = t.data<scalar_t>();
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(start + i * step);
    });
    return t;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
    CR_CHECK(steps >= 0, ValueError, "linspace: number of steps must be non-negative; got ", steps);
    Tensor t = empty({steps}, dtype);
    // Symmetric evaluation from both ends, as PyTorch does, so the end point is exact.
    const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
    const int64_t half = steps == 1 ? 1 : steps / 2;  // one step: just `start`, as PyTorch
    CR_DISPATCH_NUMERIC(dtype, "linspace", [&] {
        scalar_t* p = t.data<scalar_t>();
        for (int64_t i = 0; i < steps; ++i) {
            const double v = i < half ? start + step * static_cast<double>(i)
                                      : end - step * static_cast<double>(steps - i - 1);
            p[i] = static_cast<scalar_t>(v);
        }
    });
    return t;
}

Tensor eye(int64_t n, int64_t m, DType dtype) {
    CR_CHECK(n >= 0 && m >= 0, ValueError, "eye: n and m must be non-negative; got ", n, ", ", m);
    Tensor t = zeros({n, m}, dtype);
    CR_DISPATCH_ALL(dtype, "eye", [&] {
        scalar_t* p = t.data<scalar_t>();
        for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = static_cast<scalar_t>(1);
    });
    return t;
}

Tensor rand(const Shape& shape, DType dtype, Generator* gen) {
    Generator& g = gen ? *gen : default_generator();
    Tensor t = empty(shape, dtype);
    const int64_t n = t.numel();
    CR_DISPATCH_FLOAT(dtype, "rand", [&] {
        scalar_t* p = t.data<scalar_t>();
        for (int64_t i = 0; i < n; ++i) {
            if constexpr (std::is_same_v<scalar_t, float>) {
                p[i] = g.next_float();
            } else {
                p[i] = g.next_double();
            }
        }
    });
    return t;
}

Tensor randn(const Shape& shape, DType dtype, Generator* gen) {
    Generator& g = gen ? *gen : default_generator();
    Tensor t = empty(shape, dtype);
    const int64_t n = t.numel();
    CR_DISPATCH_FLOAT(dtype, "randn", [&] {
        scalar_t* p = t.data<scalar_t>();
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(g.next_normal());
    });
    return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Generator* gen) {
    CR_CHECK(high > low, ValueError, "randint: expected low < high; got low=", low,
             ", high=", high);
    Generator& g = gen ? *gen : default_generator();
    Tensor t = empty(shape, dtype);
    const int64_t n = t.numel();
    const auto range = static_cast<uint64_t>(high - low);
    CR_DISPATCH_NUMERIC(dtype, "randint", [&] {
        scalar_t* p = t.data<scalar_t>();
        for (int64_t i = 0; i < n; ++i) {
            const uint64_t r = g.next_below(range);
            p[i] = static_cast<scalar_t>(low + static_cast<int64_t>(r));
        }
    });
    return t;
}

Tensor randperm(int64_t n, DType dtype, Generator* gen) {
    CR_CHECK(n >= 0, ValueError, "randperm: n must be non-negative; got ", n);
    Generator& g = gen ? *gen : default_generator();
    std::vector<int64_t> perm(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) perm[i] = i;
    for (int64_t i = n - 1; i > 0; --i) {
        const auto j = static_cast<int64_t>(g.next_below(static_cast<uint64_t>(i + 1)));
        std::swap(perm[i], perm[j]);
    }
    Tensor t = empty({n}, dtype);
    CR_DISPATCH_NUMERIC(dtype, "randperm", [&] {
        scalar_t* p = t.data<scalar_t>();
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(perm[i]);
    });
    return t;
}

}  // namespace chainrule
