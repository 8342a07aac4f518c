// Private to the loss files (loss_ce.cpp: cross_entropy, nll_loss; loss_pointwise.cpp: the
// elementwise losses): argument helpers, densifying inputs, the blocked deterministic sum and
// the upstream-gradient form. Everything is in an unnamed namespace (one copy per file).
#pragma once
#include <cmath>
#include <vector>

#include "pointwise.h"

namespace chainrule {
namespace {

// Parallel sums run over fixed blocks whose partial sums are merged in order, so the bits of
// a loss never depend on the thread count.
constexpr int64_t kSumBlock = 4096;

// sum of part(b, e) (a double) over [0, n) in kSumBlock pieces; `cost` weighs one item
// against kGrain's cheap element when deciding whether threads pay.
template <class F>
inline double blocked_sum(int64_t n, int64_t cost, const F& part) {
    const int64_t nb = (n + kSumBlock - 1) / kSumBlock;
    if (nb <= 1) return n > 0 ? part(0, n) : 0.0;
    std::vector<double> parts(static_cast<size_t>(nb));
    const int64_t grain = std::max<int64_t>(1, kGrain / (kSumBlock * std::max<int64_t>(cost, 1)));
    parallel_for(0, nb, grain, [&](int64_t b, int64_t e) {
        for (int64_t k = b; k < e; ++k) {
            parts[k] = part(k * kSumBlock, std::min(n, (k + 1) * kSumBlock));
        }
    });
    double s = 0;
    for (double p : parts) s += p;
    return s;
}

// `a` (undefined stays undefined) as a contiguous tensor of dtype d and shape s, without history.
inline Tensor dense(const Tensor& a, const Shape& s, DType d) {
    if (!a.defined()) return a;
    Tensor c = detail::cast_for_compute(a, d).detach();
    if (c.shape() == s && c.is_contiguous()) return c;
    NoGradGuard ng;
    return contiguous(expand(c, s));
}

// The upstream gradient of a loss as a contiguous tensor in dtype d.
inline Tensor dense_grad(const Tensor& g, DType d) {
    return contiguous(detail::cast_for_compute(g, d).detach());
}

inline double scalar_value(const Tensor& t) {
    return CR_DISPATCH_FLOAT(t.dtype(), "loss",
                             [&] { return static_cast<double>(*t.data<scalar_t>()); });
}

// torch raises at the forward when a non-differentiable argument requires grad.
inline void check_not_differentiable(const Tensor& t, const char* op, const char* arg) {
    CR_CHECK(!t.defined() || !needs_grad(t), RuntimeError, op, ": the derivative for '", arg,
             "' is not implemented; call .detach() on it or set requires_grad=False");
}

inline void check_weight_dtype(const Tensor& w, const char* op, const char* arg) {
    CR_CHECK(!w.defined() || is_floating(w.dtype()), TypeError, op, ": expected a floating-point ",
             arg, "; got dtype ", dtype_name(w.dtype()));
}

// Per-row upstream gradient (reduction='none') as a contiguous (rows,) tensor, or the common
// scale g / denom of every row.
struct RowGrad {
    Tensor per_row;
    double scale = 0;
};

inline RowGrad row_grad(const Tensor& g, DType d, Reduction r, double denom) {
    RowGrad rg;
    if (r == Reduction::None) {
        rg.per_row = dense_grad(g, d);
    } else {
        rg.scale = scalar_value(g) / (r == Reduction::Sum ? 1.0 : denom);
    }
    return rg;
}

}  // namespace
}  // namespace chainrule
