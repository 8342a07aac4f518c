// Loss functions: fused cross-entropy (log-softmax and NLL in one pass per row) and nll_loss,
// then the elementwise losses (mse, l1, huber, smooth_l1, kl_div, binary cross-entropy on
// probabilities and on logits) sharing one forward/backward engine. Reduction strings and
// Python warnings are handled in bindings/bind_loss.cpp.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "../kernels/vec_math.h"
#include "pointwise.h"

namespace chainrule {

Reduction reduction_from_string(const std::string& s, const char* op, bool allow_batchmean) {
    if (s == "mean") return Reduction::Mean;
    if (s == "sum") return Reduction::Sum;
    if (s == "none") return Reduction::None;
    if (allow_batchmean && s == "batchmean") return Reduction::BatchMean;
    throw ValueError(detail::cat_str(
        op, ": ", s, " is not a valid value for reduction; expected ",
        allow_batchmean ? "'none', 'batchmean', 'sum' or 'mean'" : "'none', 'mean' or 'sum'"));
}

namespace {

// Parallel sums run over fixed blocks whose partial sums are merged in order, so the bits of
// a loss never depend on the thread count.
constexpr int64_t kSumBlock = 4096;

// sum of part(b, e) (a double) over [0, n) in kSumBlock pieces; `cost` weighs one item
// against kGrain's cheap element when deciding whether threads pay.
template <class F>
double blocked_sum(int64_t n, int64_t cost, const F& part) {
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
Tensor dense(const Tensor& a, const Shape& s, DType d) {
    if (!a.defined()) return a;
    Tensor c = detail::cast_for_compute(a, d).detach();
    if (c.shape() == s && c.is_contiguous()) return c;
    NoGradGuard ng;
    return contiguous(expand(c, s));
}

// The upstream gradient of a loss as a contiguous tensor in dtype d.
Tensor dense_grad(const Tensor& g, DType d) {
    return contiguous(detail::cast_for_compute(g, d).detach());
}

double scalar_value(const Tensor& t) {
    return CR_DISPATCH_FLOAT(t.dtype(), "loss",
                             [&] { return static_cast<double>(*t.data<scalar_t>()); });
}

// torch raises at the forward when a non-differentiable argument requires grad.
void check_not_differentiable(const Tensor& t, const char* op, const char* arg) {
    CR_CHECK(!t.defined() || !needs_grad(t), RuntimeError, op, ": the derivative for '", arg,
             "' is not implemented; call .detach() on it or set requires_grad=False");
}

void check_weight_dtype(const Tensor& w, const char* op, const char* arg) {
    CR_CHECK(!w.defined() || is_floating(w.dtype()), TypeError, op, ": expected a floating-point ",
             arg, "; got dtype ", dtype_name(w.dtype()));
}

}  // namespace

// =============================================================================================
// Class-index losses: cross_entropy and nll_loss
// =============================================================================================
// The input is seen as contiguous (N, C, inner) with inner = d1 * ... * dk (1 for (N, C) and
// (C,) inputs); a "row" r = (n, j) holds the C scores of one target, at stride inner.

namespace {

struct ClassGeom {
    int64_t N = 1, C = 0, inner = 1;
    Shape out_shape;  // the shape of reduction='none'
    Shape keep_shape;  // input's shape with the class dim set to 1 (per-row values, broadcastable)
    int64_t rows() const { return N * inner; }
};

ClassGeom class_geom(const Shape& in, const char* op) {
    CR_CHECK(!in.empty(), ValueError, op,
             ": expected input of shape (C,), (N, C) or (N, C, d1, ..., dk); got shape ()");
    ClassGeom g;
    if (in.size() == 1) {
        g.C = in[0];
        g.keep_shape = {1};
        return g;
    }
    g.N = in[0];
    g.C = in[1];
    g.out_shape = {in[0]};
    g.keep_shape = in;
    g.keep_shape[1] = 1;
    for (size_t i = 2; i < in.size(); ++i) {
        g.inner *= in[i];
        g.out_shape.push_back(in[i]);
    }
    return g;
}

// Class indices: int64 of shape () or (1,) for a (C,) input, (N, d1, ..., dk) otherwise.
void check_class_target(const Tensor& input, const Tensor& target, const ClassGeom& g,
                        const char* op) {
    CR_CHECK(target.dtype() == DType::Int64, TypeError, op,
             ": expected int64 class indices as target (or floating class probabilities of the "
             "input's shape); got a ", dtype_name(target.dtype()), " target of shape ",
             shape_str(target.shape()), " for input of shape ", shape_str(input.shape()));
    if (input.dim() == 1) {
        CR_CHECK(target.dim() == 0 || (target.dim() == 1 && target.shape()[0] == 1), ValueError,
                 op, ": expected a 0-d target (one class index) for input of shape ",
                 shape_str(input.shape()), "; got target of shape ", shape_str(target.shape()));
    } else {
        CR_CHECK(target.shape() == g.out_shape, ValueError, op, ": expected target of shape ",
                 shape_str(g.out_shape), " for input of shape ", shape_str(input.shape()),
                 "; got target of shape ", shape_str(target.shape()));
    }
}

void check_class_weight(const Tensor& w, int64_t C, const char* op) {
    if (!w.defined()) return;
    check_weight_dtype(w, op, "weight");
    CR_CHECK(w.dim() == 1 && w.shape()[0] == C, ValueError, op,
             ": weight should hold one value per class, shape (", C, ",); got shape ",
             shape_str(w.shape()));
}

// Checks that every target is a class in [0, C) or ignore_index, and returns torch's mean
// denominator: the summed weight of the non-ignored targets (their count without weight).
template <class T>
double check_targets(const int64_t* y, int64_t rows, int64_t C, int64_t ignore_index, const T* w,
                     const char* op) {
    double total = 0;
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t v = y[r];
        if (v == ignore_index) continue;
        CR_CHECK(v >= 0 && v < C, IndexError, op, ": target ", v, " is out of bounds for ", C,
                 " classes; expected 0..", C - 1, " or ignore_index (", ignore_index, ")");
        total += w ? static_cast<double>(w[v]) : 1.0;
    }
    return total;
}

// The class-index and probability forms share their settings.
struct CeArgs {
    int64_t N = 1, C = 0, inner = 1;
    int64_t ignore_index = -100;
    double eps = 0;    // label smoothing
    double wsum = 0;   // sum of the class weights (C without weight)
};

// Row r's first score and its stride.
template <class T>
inline const T* row_ptr(const T* x, int64_t r, const CeArgs& a) {
    return x + (r / a.inner) * a.C * a.inner + (r % a.inner);
}

// ---- exp, log1p and select: kernels/vec_math.h ----------------------------------------------
// The row loops below use kernels::vexp_nonpositive (x - max <= 0: within 1 ulp, exactly 0
// below -87.34 so exp(-inf) = 0, NaN for NaN) and the branch-free select: plain arithmetic
// and integer masks, so the compiler vectorises them (GCC does not if-convert float compares under -ftrapping-math). double goes
// through std::exp.
using kernels::vexp;
using kernels::vexp_nonpositive;
using kernels::vlog1p;
inline float select(bool c, float a, float b) { return kernels::select(c, a, b); }
inline double select(bool c, double a, double b) { return kernels::select(c, a, b); }

// A row's logsumexp lse = m + log(sum_c exp(x_c - m)), m the row max (subtracted so exp never
// overflows). Backward gets m and log_s separately, as torch's log_softmax output keeps them:
// exp((x - m) - log_s) stays exact where a rounded lse near 3e4 would be off by 1e-3.
template <class T>
struct RowStats {
    T m = 0, log_s = 0;
    double lse() const { return static_cast<double>(m) + static_cast<double>(log_s); }
};

// A (rows, 2) tensor of T read as rows of RowStats.
template <class T>
RowStats<T>* stats_ptr(const Tensor& t) {
    static_assert(sizeof(RowStats<T>) == 2 * sizeof(T), "RowStats must be two packed T");
    return reinterpret_cast<RowStats<T>*>(t.data<T>());
}

// Contiguous rows keep 8 partial maxima and sums (vector lanes), combined in a fixed order.
template <class T, bool kUnit>
inline RowStats<T> row_stats(const T* p, int64_t C, int64_t S) {
    constexpr int kLanes = 8;
    T acc[kLanes];
    for (T& a : acc) a = -std::numeric_limits<T>::infinity();
    int64_t c = 0;
    if (kUnit) {
        for (; c + kLanes <= C; c += kLanes) {
            for (int k = 0; k < kLanes; ++k) acc[k] = select(p[c + k] > acc[k], p[c + k], acc[k]);
        }
    }
    T m = acc[0];
    for (int k = 1; k < kLanes; ++k) m = acc[k] > m ? acc[k] : m;
    for (; c < C; ++c) m = p[kUnit ? c : c * S] > m ? p[kUnit ? c : c * S] : m;
    for (T& a : acc) a = 0;
    c = 0;
    if (kUnit) {
        for (; c + kLanes <= C; c += kLanes) {
            for (int k = 0; k < kLanes; ++k) acc[k] += vexp_nonpositive(p[c + k] - m);
        }
    }
    T s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; c < C; ++c) s += vexp_nonpositive(p[kUnit ? c : c * S] - m);
    return {m, std::log(s)};
}

// ---- class indices: forward and backward kernels ------------------------------------------
// Rows of an (N, C) or (C,) input (inner == 1); K-d inputs take the column kernels below.
// loss_r = (1 - eps) w_y (lse - x_y) + eps / C * sum_c w_c (lse - x_c)   (0 where ignored)
// dx_c   = s_r [((1 - eps) w_y + eps / C * wsum) softmax_c - eps / C * w_c - (1 - eps) w_y [c = y]]
// loss: (rows,) in double, st: (rows,) row stats, x: (N, C, inner), y: (rows,), w: (C,) or null.
template <class T>
void ce_class_forward(double* loss, RowStats<T>* st, const T* x, const int64_t* y, const T* w,
                      const CeArgs& a) {
    const int64_t C = a.C;
    parallel_for(0, a.N * a.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(4 * C, 1)),
                 [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const T* p = x + r * C;  // inner == 1: contiguous rows
            const int64_t t = y[r];
            if (t == a.ignore_index || C == 0) {  // backward never reads an ignored row's stats
                st[r] = RowStats<T>{};
                loss[r] = 0;
                continue;
            }
            st[r] = row_stats<T, true>(p, C, 1);
            const double l = st[r].lse();
            const double wy = w ? static_cast<double>(w[t]) : 1.0;
            double v = wy * (l - static_cast<double>(p[t]));
            if (a.eps > 0) {
                double wx = 0;  // sum_c w_c x_c, in double: lse * wsum - wx cancels for big logits
                if (w) {
                    for (int64_t c = 0; c < C; ++c) {
                        wx += static_cast<double>(w[c]) * static_cast<double>(p[c]);
                    }
                } else {
                    for (int64_t c = 0; c < C; ++c) wx += static_cast<double>(p[c]);
                }
                v = (1 - a.eps) * v + a.eps / static_cast<double>(C) * (l * a.wsum - wx);
            }
            loss[r] = v;
        }
    });
}

// dx: (N, C, inner); g: (rows,) upstream gradients when per_row, else `scale` for every row.
template <class T>
void ce_class_backward(T* dx, const T* x, const RowStats<T>* st, const int64_t* y, const T* w,
                       const T* g, double scale, const CeArgs& a) {
    const int64_t C = a.C;
    const T smooth = static_cast<T>(C > 0 ? a.eps / static_cast<double>(C) : 0.0);
    parallel_for(0, a.N * a.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(2 * C, 1)),
                 [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const T* p = x + r * C;  // inner == 1: contiguous rows
            T* d = dx + r * C;
            const int64_t t = y[r];
            if (t == a.ignore_index) {
                for (int64_t c = 0; c < C; ++c) d[c] = 0;
                continue;
            }
            const T s = g ? g[r] : static_cast<T>(scale);
            const double wy = w ? static_cast<double>(w[t]) : 1.0;
            const T coef =
                static_cast<T>((1 - a.eps) * wy + a.eps / static_cast<double>(C) * a.wsum);
            const T m = st[r].m, ls = st[r].log_s;
            const T sc = s * coef;
            if (a.eps > 0 && w) {  // branches hoisted out of the loops, which then vectorise
                const T ss = s * smooth;
                for (int64_t c = 0; c < C; ++c) {
                    d[c] = sc * vexp_nonpositive((p[c] - m) - ls) - ss * w[c];
                }
            } else if (a.eps > 0) {
                const T ss = s * smooth;
                for (int64_t c = 0; c < C; ++c) d[c] = sc * vexp_nonpositive((p[c] - m) - ls) - ss;
            } else {
                for (int64_t c = 0; c < C; ++c) d[c] = sc * vexp_nonpositive((p[c] - m) - ls);
            }
            d[t] -= s * static_cast<T>((1 - a.eps) * wy);
        }
    });
}

// ---- class indices over (N, C, d1, ..., dk): columns ---------------------------------------
// There a row's scores sit `inner` apart; kCols neighbouring rows (positions j of one sample n)
// are processed together so that every inner loop runs over contiguous memory and vectorises.
// Same math as the row kernels above; ignored rows get stats but no loss or gradient.
constexpr int64_t kCols = 64;

template <class T>
void ce_class_forward_cols(double* loss, RowStats<T>* st, const T* x, const int64_t* y,
                           const T* w, const CeArgs& a) {
    const int64_t C = a.C, inner = a.inner, chunks = (inner + kCols - 1) / kCols;
    const double smooth = C > 0 ? a.eps / static_cast<double>(C) : 0.0;
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(4 * C * kCols, 1));
    parallel_for(0, a.N * chunks, grain, [&](int64_t b, int64_t e) {
        T m[kCols], s[kCols];
        double wx[kCols];
        for (int64_t q = b; q < e; ++q) {
            const int64_t n = q / chunks, j0 = (q % chunks) * kCols;
            const int64_t nc = std::min(kCols, inner - j0);
            const T* xp = x + n * C * inner + j0;
            for (int64_t j = 0; j < nc; ++j) m[j] = -std::numeric_limits<T>::infinity();
            for (int64_t c = 0; c < C; ++c) {
                const T* r = xp + c * inner;
                for (int64_t j = 0; j < nc; ++j) m[j] = select(r[j] > m[j], r[j], m[j]);
            }
            for (int64_t j = 0; j < nc; ++j) s[j] = 0;
            for (int64_t c = 0; c < C; ++c) {
                const T* r = xp + c * inner;
                for (int64_t j = 0; j < nc; ++j) s[j] += vexp_nonpositive(r[j] - m[j]);
            }
            if (a.eps > 0) {
                for (int64_t j = 0; j < nc; ++j) wx[j] = 0;
                for (int64_t c = 0; c < C; ++c) {
                    const T* r = xp + c * inner;
                    const double wc = w ? static_cast<double>(w[c]) : 1.0;
                    for (int64_t j = 0; j < nc; ++j) wx[j] += wc * static_cast<double>(r[j]);
                }
            }
            for (int64_t j = 0; j < nc; ++j) {
                const int64_t row = n * inner + j0 + j;
                st[row] = {m[j], std::log(s[j])};
                const int64_t t = y[row];
                if (t == a.ignore_index) {
                    loss[row] = 0;
                    continue;
                }
                const double l = st[row].lse();
                const double wy = w ? static_cast<double>(w[t]) : 1.0;
                double v = wy * (l - static_cast<double>(xp[t * inner + j]));
                if (a.eps > 0) v = (1 - a.eps) * v + smooth * (l * a.wsum - wx[j]);
                loss[row] = v;
            }
        }
    });
}

template <class T>
void ce_class_backward_cols(T* dx, const T* x, const RowStats<T>* st, const int64_t* y,
                            const T* w, const T* g, double scale, const CeArgs& a) {
    const int64_t C = a.C, inner = a.inner, chunks = (inner + kCols - 1) / kCols;
    const double smooth = C > 0 ? a.eps / static_cast<double>(C) : 0.0;
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(2 * C * kCols, 1));
    parallel_for(0, a.N * chunks, grain, [&](int64_t b, int64_t e) {
        T m[kCols], ls[kCols], sc[kCols], ss[kCols];
        for (int64_t q = b; q < e; ++q) {
            const int64_t n = q / chunks, j0 = (q % chunks) * kCols;
            const int64_t nc = std::min(kCols, inner - j0);
            const int64_t off = n * C * inner + j0;
            for (int64_t j = 0; j < nc; ++j) {  // per-row coefficients; 0 for ignored rows
                const int64_t row = n * inner + j0 + j;
                const int64_t t = y[row];
                const bool keep = t != a.ignore_index;
                const double s = g ? static_cast<double>(g[row]) : scale;
                const double wy = keep ? (w ? static_cast<double>(w[t]) : 1.0) : 0.0;
                sc[j] = static_cast<T>(keep ? s * ((1 - a.eps) * wy + smooth * a.wsum) : 0.0);
                ss[j] = static_cast<T>(keep ? s * smooth : 0.0);
                m[j] = st[row].m;
                ls[j] = st[row].log_s;
            }
            for (int64_t c = 0; c < C; ++c) {
                const T* r = x + off + c * inner;
                T* d = dx + off + c * inner;
                const T wc = w ? w[c] : T(1);
                for (int64_t j = 0; j < nc; ++j) {
                    d[j] = sc[j] * vexp_nonpositive((r[j] - m[j]) - ls[j]) - ss[j] * wc;
                }
            }
            for (int64_t j = 0; j < nc; ++j) {
                const int64_t row = n * inner + j0 + j;
                const int64_t t = y[row];
                if (t == a.ignore_index) continue;
                const T s = g ? g[row] : static_cast<T>(scale);
                const double wy = w ? static_cast<double>(w[t]) : 1.0;
                dx[off + t * inner + j] -= s * static_cast<T>((1 - a.eps) * wy);
            }
        }
    });
}

// ---- class probabilities: forward and backward kernels ------------------------------------
// t'_c = (1 - eps) t_c + eps / C;  A_r = sum_c w_c t'_c
// loss_r = sum_c w_c t'_c (lse - x_c) = lse A_r - sum_c w_c t'_c x_c
// dx_c = s_r (A_r softmax_c - w_c t'_c)      dt_c = s_r (1 - eps) w_c (lse - x_c)
template <class T, bool kUnit>
void ce_prob_forward(double* loss, RowStats<T>* st, const T* x, const T* tg, const T* w,
                     const CeArgs& a) {
    const int64_t S = a.inner, C = a.C;
    const double keep = 1 - a.eps, add = C > 0 ? a.eps / static_cast<double>(C) : 0.0;
    std::vector<T> ones_buf(w ? 0 : static_cast<size_t>(C), T(1));
    const T* wc = w ? w : ones_buf.data();
    parallel_for(0, a.N * a.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(4 * C, 1)),
                 [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const int64_t off = row_ptr(x, r, a) - x;
            const T* p = x + off;
            const T* q = tg + off;
            if (C == 0) {
                st[r] = RowStats<T>{};
                loss[r] = 0;
                continue;
            }
            st[r] = row_stats<T, kUnit>(p, C, S);
            const double l = st[r].lse();
            double A = 0, B = 0;
            for (int64_t c = 0; c < C; ++c) {
                const int64_t k = kUnit ? c : c * S;
                const double wt = static_cast<double>(wc[c]) * (keep * q[k] + add);
                A += wt;
                B += wt * static_cast<double>(p[k]);
            }
            loss[r] = l * A - B;
        }
    });
}

// dx, dt: (N, C, inner) or null.
template <class T, bool kUnit>
void ce_prob_backward(T* dx, T* dt, const T* x, const T* tg, const RowStats<T>* st, const T* w,
                      const T* g, double scale, const CeArgs& a) {
    const int64_t S = a.inner, C = a.C;
    const T keep = static_cast<T>(1 - a.eps);
    const T add = static_cast<T>(C > 0 ? a.eps / static_cast<double>(C) : 0.0);
    std::vector<T> ones_buf(w ? 0 : static_cast<size_t>(C), T(1));
    const T* ones = ones_buf.data();
    parallel_for(0, a.N * a.inner, std::max<int64_t>(1, kGrain / std::max<int64_t>(4 * C, 1)),
                 [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
            const int64_t off = row_ptr(x, r, a) - x;
            const T* p = x + off;
            const T* q = tg + off;
            const T s = g ? g[r] : static_cast<T>(scale);
            const T m = st[r].m, ls = st[r].log_s;
            // The weight is read through wc (w or ones), keeping branches out of the loops.
            const T* wc = w ? w : ones;
            if (dx) {
                double A = 0;
                for (int64_t c = 0; c < C; ++c) {
                    A += static_cast<double>(wc[c]) * (keep * q[kUnit ? c : c * S] + add);
                }
                const T sA = s * static_cast<T>(A);
                for (int64_t c = 0; c < C; ++c) {
                    const int64_t k = kUnit ? c : c * S;
                    dx[off + k] = sA * vexp_nonpositive((p[k] - m) - ls) -
                                  s * wc[c] * (keep * q[k] + add);
                }
            }
            if (dt) {
                const T sk = s * keep;
                for (int64_t c = 0; c < C; ++c) {
                    const int64_t k = kUnit ? c : c * S;
                    dt[off + k] = sk * wc[c] * ((m - p[k]) + ls);
                }
            }
        }
    });
}

// The reduction of per-row losses: none -> a tensor of out_shape, else a 0-d tensor.
Tensor reduce_rows(const std::vector<double>& loss, const Shape& out_shape, DType d, Reduction r,
                   double denom) {
    if (r == Reduction::None) {
        Tensor out = empty(out_shape, d);
        CR_DISPATCH_FLOAT(d, "loss", [&] {
            scalar_t* o = out.data<scalar_t>();
            for (size_t i = 0; i < loss.size(); ++i) o[i] = static_cast<scalar_t>(loss[i]);
        });
        return out;
    }
    const auto n = static_cast<int64_t>(loss.size());
    const double total = blocked_sum(n, 1, [&](int64_t b, int64_t e) {
        double s = 0;
        for (int64_t i = b; i < e; ++i) s += loss[static_cast<size_t>(i)];
        return s;
    });
    return scalar_tensor(r == Reduction::Sum ? total : total / denom, d);
}

// Per-row upstream gradient (reduction='none') as a contiguous (rows,) tensor, or the common
// scale g / denom of every row.
struct RowGrad {
    Tensor per_row;
    double scale = 0;
};

RowGrad row_grad(const Tensor& g, DType d, Reduction r, double denom) {
    RowGrad rg;
    if (r == Reduction::None) {
        rg.per_row = dense_grad(g, d);
    } else {
        rg.scale = scalar_value(g) / (r == Reduction::Sum ? 1.0 : denom);
    }
    return rg;
}

}  // namespace

// ---- cross_entropy ----------------------------------------------------------------------------
// Fused log_softmax + nll_loss (torch's composite ends in NllLossBackward0; this is one node).
// Forward keeps only the per-row logsumexp; backward rebuilds softmax from it. Math above.
struct CrossEntropyLossBackward0 final : Node {
    SavedTensor input, target, weight, stats;  // stats: (rows, 2) = (row max, log sum exp)
    CeArgs args;
    Reduction reduction = Reduction::Mean;
    double denom = 1;
    bool prob = false;  // class probabilities (else class indices)
    Shape keep_shape;
    DType dtype = DType::Float32;

    TensorList apply(TensorList&& g) override {
        const char* nm = "CrossEntropyLossBackward0";
        const Tensor xin = input.unpack(nm), st = stats.unpack(nm);
        const Tensor x = dense(xin, xin.shape(), dtype);
        const Tensor w = weight.defined() ? dense(weight.unpack(nm), {args.C}, dtype) : Tensor();
        const RowGrad rg = row_grad(g[0], dtype, reduction, denom);
        TensorList out(next_edges.size());
        if (!prob) {
            const Tensor y = contiguous(target.unpack(nm));
            out[0] = empty(x.shape(), dtype);
            CR_DISPATCH_FLOAT(dtype, nm, [&] {
                using T = scalar_t;
                const T* gp = rg.per_row.defined() ? rg.per_row.data<T>() : nullptr;
                const T* wp = w.defined() ? w.data<T>() : nullptr;
                if (args.inner == 1) {
                    ce_class_backward<T>(out[0].data<T>(), x.data<T>(), stats_ptr<T>(st),
                                               y.data<int64_t>(), wp, gp, rg.scale, args);
                } else {
                    ce_class_backward_cols<T>(out[0].data<T>(), x.data<T>(), stats_ptr<T>(st),
                                              y.data<int64_t>(), wp, gp, rg.scale, args);
                }
            });
            return out;
        }
        const Tensor t = dense(target.unpack(nm), x.shape(), dtype);
        const bool want_x = needs_input_grad(0), want_t = needs_input_grad(1);
        if (want_x) out[0] = empty(x.shape(), dtype);
        if (want_t) out[1] = empty(x.shape(), dtype);
        CR_DISPATCH_FLOAT(dtype, nm, [&] {
            using T = scalar_t;
            const T* gp = rg.per_row.defined() ? rg.per_row.data<T>() : nullptr;
            const T* wp = w.defined() ? w.data<T>() : nullptr;
            T* dxp = want_x ? out[0].data<T>() : nullptr;
            T* dtp = want_t ? out[1].data<T>() : nullptr;
            auto run = [&](auto unit) {
                ce_prob_backward<T, decltype(unit)::value>(dxp, dtp, x.data<T>(), t.data<T>(),
                                                           stats_ptr<T>(st), wp, gp,
                                                           rg.scale, args);
            };
            if (args.inner == 1) run(std::true_type{}); else run(std::false_type{});
        });
        if (next_edges.size() > 2 && needs_input_grad(2)) {
            // dweight_c = sum over rows of s_r t'_rc (lse_r - x_rc), from ops (rarely needed).
            Tensor tp = args.eps > 0 ? add(mul(t, wrapped_scalar(1 - args.eps)),
                                           wrapped_scalar(args.eps / static_cast<double>(args.C)))
                                     : t;
            const Tensor m = reshape(select(st, 1, 0), keep_shape);
            const Tensor ls = reshape(select(st, 1, 1), keep_shape);
            Tensor term = mul(tp, add(sub(m, x), ls));
            term = rg.per_row.defined() ? mul(term, reshape(rg.per_row, keep_shape))
                                        : mul(term, wrapped_scalar(rg.scale));
            if (x.dim() == 1) {
                out[2] = term;
            } else {
                Dims dims{0};
                for (int64_t i = 2; i < x.dim(); ++i) dims.push_back(i);
                out[2] = sum(term, dims);
            }
        }
        return out;
    }
    std::string name() const override { return "CrossEntropyLossBackward0"; }
    void release_saved() override {
        input.reset();
        target.reset();
        weight.reset();
        stats.reset();
    }
};

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                     int64_t ignore_index, Reduction reduction, double label_smoothing) {
    const char* op = "cross_entropy";
    CR_CHECK(reduction != Reduction::BatchMean, ValueError, op,
             ": batchmean is not a valid value for reduction; expected 'none', 'mean' or 'sum'");
    detail::check_floating(input, op);
    const ClassGeom g = class_geom(input.shape(), op);
    check_class_weight(weight, g.C, op);
    CR_CHECK(label_smoothing <= 1.0, ValueError, op,
             ": label_smoothing must be between 0.0 and 1.0; got ", label_smoothing);
    const bool prob = target.shape() == input.shape();
    CeArgs a;
    a.N = g.N;
    a.C = g.C;
    a.inner = g.inner;
    a.ignore_index = ignore_index;
    a.eps = label_smoothing > 0 ? label_smoothing : 0.0;  // torch ignores a negative smoothing

    if (prob) {
        CR_CHECK(is_floating(target.dtype()), TypeError, op,
                 ": a target of the input's shape holds class probabilities and must be "
                 "floating-point; got dtype ", dtype_name(target.dtype()), " for shape ",
                 shape_str(target.shape()), " (class indices have shape ", shape_str(g.out_shape),
                 ")");
        CR_CHECK(ignore_index < 0, ValueError, op,
                 ": ignore_index is not supported for class-probability targets; got ignore_index=",
                 ignore_index);
    } else {
        check_class_target(input, target, g, op);
        check_not_differentiable(weight, op, "weight");
    }
    DType d = input.dtype();
    if (prob) d = promote_types(d, target.dtype());
    if (prob && weight.defined()) d = promote_types(d, weight.dtype());
    const Tensor x = dense(input, input.shape(), d);
    const Tensor w = dense(weight, {g.C}, d);
    const Tensor y = prob ? dense(target, input.shape(), d) : contiguous(target);
    const int64_t rows = g.rows();

    std::vector<double> loss(static_cast<size_t>(rows));
    Tensor stats = empty({rows, 2}, d);  // per row: (max, log sum exp), read as RowStats
    double denom = 1;
    CR_DISPATCH_FLOAT(d, op, [&] {
        using T = scalar_t;
        const T* wp = w.defined() ? w.data<T>() : nullptr;
        a.wsum = static_cast<double>(g.C);
        if (wp) {
            a.wsum = 0;
            for (int64_t c = 0; c < g.C; ++c) a.wsum += static_cast<double>(wp[c]);
        }
        if (!prob) denom = check_targets<T>(y.data<int64_t>(), rows, g.C, ignore_index, wp, op);
        auto run = [&](auto unit) {
            constexpr bool kUnit = decltype(unit)::value;
            if (prob) {
                ce_prob_forward<T, kUnit>(loss.data(), stats_ptr<T>(stats), x.data<T>(),
                                          y.data<T>(), wp, a);
            } else if (kUnit) {
                ce_class_forward<T>(loss.data(), stats_ptr<T>(stats), x.data<T>(),
                                          y.data<int64_t>(), wp, a);
            } else {
                ce_class_forward_cols<T>(loss.data(), stats_ptr<T>(stats), x.data<T>(),
                                         y.data<int64_t>(), wp, a);
            }
        };
        if (g.inner == 1) run(std::true_type{}); else run(std::false_type{});
    });
    if (prob) {
        denom = input.numel() == 0 ? std::numeric_limits<double>::quiet_NaN()
                                   : static_cast<double>(rows);
    }
    Tensor out = reduce_rows(loss, g.out_shape, d, reduction, denom);

    const bool w_edge = prob && weight.defined();
    if (any_needs_grad({&input, &target}) || (w_edge && needs_grad(weight))) {
        auto node = make_node<CrossEntropyLossBackward0>({&input, &target});
        if (w_edge) node->next_edges.push_back(gradient_edge(weight));
        node->input = input;
        node->target = target;
        node->weight = weight;
        node->stats = stats;
        node->args = a;
        node->reduction = reduction;
        node->denom = denom;
        node->prob = prob;
        node->keep_shape = g.keep_shape;
        node->dtype = d;
        set_grad_fn(out, node);
    }
    return out;
}

// ---- nll_loss ---------------------------------------------------------------------------------
// loss_r = -w_y x_{r, y} (0 where ignored); mean divides by the summed weight of the targets.
// dx_{r, c} = -s_r w_y [c = y]
struct NllLossBackward0 final : Node {
    SavedTensor target, weight;
    CeArgs args;
    Reduction reduction = Reduction::Mean;
    double denom = 1;
    Shape shape;
    DType dtype = DType::Float32;

    TensorList apply(TensorList&& g) override {
        const char* nm = "NllLossBackward0";
        const Tensor y = contiguous(target.unpack(nm));
        const Tensor w = weight.defined() ? dense(weight.unpack(nm), {args.C}, dtype) : Tensor();
        const RowGrad rg = row_grad(g[0], dtype, reduction, denom);
        Tensor dx = zeros(shape, dtype);
        CR_DISPATCH_FLOAT(dtype, nm, [&] {
            using T = scalar_t;
            const int64_t* yp = y.data<int64_t>();
            const T* gp = rg.per_row.defined() ? rg.per_row.data<T>() : nullptr;
            const T* wp = w.defined() ? w.data<T>() : nullptr;
            T* d = dx.data<T>();
            for (int64_t r = 0; r < args.N * args.inner; ++r) {
                const int64_t t = yp[r];
                if (t == args.ignore_index) continue;
                const T s = gp ? gp[r] : static_cast<T>(rg.scale);
                d[(r / args.inner) * args.C * args.inner + t * args.inner + r % args.inner] =
                    -s * (wp ? wp[t] : T(1));
            }
        });
        return {dx};
    }
    std::string name() const override { return "NllLossBackward0"; }
    void release_saved() override {
        target.reset();
        weight.reset();
    }
};

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                int64_t ignore_index, Reduction reduction) {
    const char* op = "nll_loss";
    CR_CHECK(reduction != Reduction::BatchMean, ValueError, op,
             ": batchmean is not a valid value for reduction; expected 'none', 'mean' or 'sum'");
    detail::check_floating(input, op);
    const ClassGeom g = class_geom(input.shape(), op);
    check_class_weight(weight, g.C, op);
    check_class_target(input, target, g, op);
    check_not_differentiable(weight, op, "weight");
    const DType d = input.dtype();
    const Tensor x = dense(input, input.shape(), d);
    const Tensor w = dense(weight, {g.C}, d);
    const Tensor y = contiguous(target);
    const int64_t rows = g.rows();
    std::vector<double> loss(static_cast<size_t>(rows));
    double denom = 1;
    CR_DISPATCH_FLOAT(d, op, [&] {
        using T = scalar_t;
        const T* wp = w.defined() ? w.data<T>() : nullptr;
        const T* xp = x.data<T>();
        const int64_t* yp = y.data<int64_t>();
        denom = check_targets<T>(yp, rows, g.C, ignore_index, wp, op);
        for (int64_t r = 0; r < rows; ++r) {
            const int64_t t = yp[r];
            if (t == ignore_index) {
                loss[r] = 0;
                continue;
            }
            const T v = xp[(r / g.inner) * g.C * g.inner + t * g.inner + r % g.inner];
            loss[r] = -static_cast<double>(v) * (wp ? static_cast<double>(wp[t]) : 1.0);
        }
    });
    Tensor out = reduce_rows(loss, g.out_shape, d, reduction, denom);
    if (needs_grad(input)) {
        auto node = make_node<NllLossBackward0>({&input});
        node->target = target;
        node->weight = weight;
        node->args.N = g.N;
        node->args.C = g.C;
        node->args.inner = g.inner;
        node->args.ignore_index = ignore_index;
        node->reduction = reduction;
        node->denom = denom;
        node->shape = input.shape();
        node->dtype = d;
        set_grad_fn(out, node);
    }
    return out;
}

// =============================================================================================
// Elementwise losses
// =============================================================================================

namespace {


// Each loss gives its value f and partials dx, dt at one element (x: input, t: target); p is
// its parameter (delta, beta) and pw the element's pos_weight (BCE with logits only). The
// engine multiplies by the element's weight, the upstream gradient and 1 / denominator.
struct Mse {
    static constexpr const char* kOp = "mse_loss";
    static constexpr const char* kNode = "MseLossBackward0";
    template <class T> static T f(T x, T t, T, T) { return (x - t) * (x - t); }
    template <class T> static T dx(T x, T t, T, T) { return T(2) * (x - t); }
    template <class T> static T dt(T x, T t, T, T) { return T(-2) * (x - t); }
};

// NOTE: the gradient at x == t is 0 (torch's sign of the difference), and 0 at nan as in torch.
struct L1 {
    static constexpr const char* kOp = "l1_loss";
    static constexpr const char* kNode = "L1LossBackward0";
    template <class T> static T sgn(T d) { return static_cast<T>(d > 0) - static_cast<T>(d < 0); }
    template <class T> static T f(T x, T t, T, T) { return std::abs(x - t); }
    template <class T> static T dx(T x, T t, T, T) { return sgn(x - t); }
    template <class T> static T dt(T x, T t, T, T) { return -sgn(x - t); }
};

// |d| < delta: d^2 / 2, else delta (|d| - delta / 2); the slope is +-delta from |d| = delta on.
struct Huber {
    static constexpr const char* kOp = "huber_loss";
    static constexpr const char* kNode = "HuberLossBackward0";
    template <class T> static T f(T x, T t, T p, T) {
        const T z = std::abs(x - t);
        return select(z < p, T(0.5) * z * z, p * (z - T(0.5) * p));
    }
    template <class T> static T dx(T x, T t, T p, T) {
        const T d = x - t;
        return select(d <= -p, -p, select(d >= p, p, d));
    }
    template <class T> static T dt(T x, T t, T p, T pw) { return -dx(x, t, p, pw); }
};

// |d| < beta: d^2 / (2 beta), else |d| - beta / 2 (beta = 0 is l1_loss, chosen by the caller).
struct SmoothL1 {
    static constexpr const char* kOp = "smooth_l1_loss";
    static constexpr const char* kNode = "SmoothL1LossBackward0";
    template <class T> static T f(T x, T t, T p, T) {
        const T z = std::abs(x - t);
        return select(z < p, T(0.5) * z * z / p, z - T(0.5) * p);
    }
    template <class T> static T dx(T x, T t, T p, T) {
        const T d = x - t;
        return select(d <= -p, T(-1), select(d >= p, T(1), d / p));
    }
    template <class T> static T dt(T x, T t, T p, T pw) { return -dx(x, t, p, pw); }
};

// f = xlogy(t, t) - t x. NOTE: dt = log t + t / t - x, nan at t = 0 exactly as torch's
// autograd of xlogy gives it.
struct KlDiv {
    static constexpr const char* kOp = "kl_div";
    static constexpr const char* kNode = "KlDivBackward0";
    template <class T> static T xlogy(T a, T b) {
        if (std::isnan(b)) return b;
        return a == 0 ? T(0) : a * std::log(b);
    }
    template <class T> static T f(T x, T t, T, T) { return xlogy(t, t) - t * x; }
    template <class T> static T dx(T, T t, T, T) { return -t; }
    template <class T> static T dt(T x, T t, T, T) { return xlogy(T(t != 0), t) + t / t - x; }
};

// log_target: f = exp(t) (t - x).
struct KlDivLogTarget {
    static constexpr const char* kOp = "kl_div";
    static constexpr const char* kNode = "KlDivBackward0";
    template <class T> static T f(T x, T t, T, T) { return vexp(t) * (t - x); }
    template <class T> static T dx(T, T t, T, T) { return -vexp(t); }
    template <class T> static T dt(T x, T t, T, T) {
        const T e = vexp(t);
        return e * (t - x) + e;
    }
};

// f = (t - 1) max(log(1 - x), -100) - t max(log x, -100)
// dx = (x - t) / max(x (1 - x), 1e-12)      dt = -logit(x)
struct Bce {
    static constexpr const char* kOp = "binary_cross_entropy";
    static constexpr const char* kNode = "BinaryCrossEntropyBackward0";
    template <class T> static T f(T x, T t, T, T) {
        const T l1 = vlog1p(-x), l0 = kernels::vlog(x);  // max(., -100) keeping NaN
        return (t - T(1)) * select(l1 < T(-100), T(-100), l1) -
               t * select(l0 < T(-100), T(-100), l0);
    }
    template <class T> static T dx(T x, T t, T, T) {
        return (x - t) / std::max((T(1) - x) * x, T(1e-12));
    }
    template <class T> static T dt(T x, T, T, T) { return -std::log(x / (T(1) - x)); }
};

// Stable in e = exp(-|x|) <= 1: log_sigmoid(x) = min(x, 0) - log1p(e), sigmoid(x) = 1 / (1 + e)
// for x >= 0 and e / (1 + e) below, so nothing overflows for any logit.
// f = (1 - t) x - (1 + (pw - 1) t) log_sigmoid(x)
// dx = (pw t + 1 - t) sigmoid(x) - pw t      dt = log_sigmoid(-x) - pw log_sigmoid(x)  (-x, pw = 1)
template <bool kPosWeight>
struct BceLogits {
    static constexpr const char* kOp = "binary_cross_entropy_with_logits";
    static constexpr const char* kNode = "BinaryCrossEntropyWithLogitsBackward0";
    template <class T> static T softplus_neg_abs(T x) {  // log1p(exp(-|x|))
        return vlog1p(vexp_nonpositive(-std::abs(x)));
    }
    template <class T> static T f(T x, T t, T, T pw) {
        const T lw = kPosWeight ? (pw - T(1)) * t + T(1) : T(1);
        return (T(1) - t) * x - lw * (select(x < 0, x, T(0)) - softplus_neg_abs(x));
    }
    template <class T> static T dx(T x, T t, T, T pw) {
        const T e = vexp_nonpositive(-std::abs(x));
        const T sig = select(x >= 0, T(1), e) / (T(1) + e);
        if (!kPosWeight) return sig - t;
        const T pt = pw * t;
        return (pt + T(1) - t) * sig - pt;
    }
    template <class T> static T dt(T x, T, T, T pw) {
        if (!kPosWeight) return -x;
        const T sp = softplus_neg_abs(x);
        return (select(x > 0, -x, T(0)) - sp) - pw * (select(x < 0, x, T(0)) - sp);
    }
};

// Operands of an elementwise loss, contiguous at the loss's shape in its dtype.
struct PwArgs {
    Tensor x, t, w, pw;
};

// The raw pointers a kernel reads; pw points at x when absent (only BceLogits<true> reads it,
// and the dead loads of the other losses vanish once inlined).
template <class T>
struct PwPtrs {
    const T *x, *t, *w, *pw;
    explicit PwPtrs(const PwArgs& a)
        : x(a.x.data<T>()), t(a.t.data<T>()), w(a.w.defined() ? a.w.data<T>() : nullptr),
          pw(a.pw.defined() ? a.pw.data<T>() : x) {}
};

// o[i - b] = w_i f(x_i, t_i) for i in [b, e): the loop the compiler vectorises.
template <class L, bool kW, class T>
void pw_values(T* o, const PwPtrs<T>& a, int64_t b, int64_t e, T p) {
    for (int64_t i = b; i < e; ++i) {
        const T l = L::f(a.x[i], a.t[i], p, a.pw[i]);
        o[i - b] = kW ? l * a.w[i] : l;
    }
}

// Sum of v[0, n) in double, over 8 lanes combined in a fixed order.
template <class T>
double lane_sum(const T* v, int64_t n) {
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; ++k) acc[k] += static_cast<double>(v[i + k]);
    }
    double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < n; ++i) s += static_cast<double>(v[i]);
    return s;
}

template <class L, bool kW, class T>
Tensor pw_forward(const PwArgs& args, const Shape& shape, Reduction r, T p, double denom) {
    const int64_t n = numel_of(shape);
    const PwPtrs<T> a(args);
    if (r == Reduction::None) {
        Tensor out = empty(shape, dtype_of<T>::value);
        T* o = out.data<T>();
        parallel_for(0, n, kGrain / 4,
                     [&](int64_t b, int64_t e) { pw_values<L, kW, T>(o + b, a, b, e, p); });
        return out;
    }
    // Per block: values into a buffer (vectorised), then their lane sum.
    const double total = blocked_sum(n, 4, [&](int64_t b, int64_t e) {
        T buf[kSumBlock];
        pw_values<L, kW, T>(buf, a, b, e, p);
        return lane_sum(buf, e - b);
    });
    return scalar_tensor(r == Reduction::Sum ? total : total / denom, dtype_of<T>::value);
}

// d[i] = g_i w_i (df/dx or df/dt)(x_i, t_i), g_i = g[i] (kG) or the common scale.
template <class L, bool kTarget, bool kW, bool kG, class T>
void pw_grad(T* d, const PwPtrs<T>& a, const T* g, T scale, T p, int64_t n) {
    parallel_for(0, n, kGrain / 4, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            T s = kG ? g[i] : scale;
            if (kW) s *= a.w[i];
            d[i] = s * (kTarget ? L::dt(a.x[i], a.t[i], p, a.pw[i])
                                : L::dx(a.x[i], a.t[i], p, a.pw[i]));
        }
    });
}

template <class L, bool kTarget, class T>
void pw_grad_dispatch(T* d, const PwPtrs<T>& a, const T* g, T scale, T p, int64_t n) {
    if (a.w && g) pw_grad<L, kTarget, true, true, T>(d, a, g, scale, p, n);
    if (a.w && !g) pw_grad<L, kTarget, true, false, T>(d, a, g, scale, p, n);
    if (!a.w && g) pw_grad<L, kTarget, false, true, T>(d, a, g, scale, p, n);
    if (!a.w && !g) pw_grad<L, kTarget, false, false, T>(d, a, g, scale, p, n);
}

template <class L>
struct PointwiseLossBackward final : Node {
    SavedTensor input, target, weight, pos_weight;
    Shape shape;
    DType dtype = DType::Float32;
    Reduction reduction = Reduction::Mean;
    double p = 0, denom = 1;

    TensorList apply(TensorList&& g) override {
        const char* nm = L::kNode;
        const PwArgs a{dense(input.unpack(nm), shape, dtype),
                       dense(target.unpack(nm), shape, dtype),
                       dense(weight.unpack(nm), shape, dtype),
                       dense(pos_weight.unpack(nm), shape, dtype)};
        const bool want_x = needs_input_grad(0), want_t = needs_input_grad(1);
        Tensor dx = want_x ? empty(shape, dtype) : Tensor();
        Tensor dt = want_t ? empty(shape, dtype) : Tensor();
        const RowGrad rg = row_grad(g[0], dtype, reduction, denom);
        const int64_t n = numel_of(shape);
        CR_DISPATCH_FLOAT(dtype, nm, [&] {
            using T = scalar_t;
            const PwPtrs<T> ptrs(a);
            const T* gp = rg.per_row.defined() ? rg.per_row.data<T>() : nullptr;
            const T scale = static_cast<T>(rg.scale), pp = static_cast<T>(p);
            if (want_x) pw_grad_dispatch<L, false, T>(dx.data<T>(), ptrs, gp, scale, pp, n);
            if (want_t) pw_grad_dispatch<L, true, T>(dt.data<T>(), ptrs, gp, scale, pp, n);
        });
        return {dx, dt};
    }
    std::string name() const override { return L::kNode; }
    void release_saved() override {
        input.reset();
        target.reset();
        weight.reset();
        pos_weight.reset();
    }
};

// input and target (and weight, pos_weight when given) broadcast together; computed in the
// result type of input and target. Weights are not differentiable (as in torch).
template <class L>
Tensor pointwise_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                      const Tensor& pos_weight, Reduction r, double p) {
    const char* op = L::kOp;
    detail::check_floating(input, op);
    CR_CHECK(target.dtype() != DType::Bool, TypeError, op,
             ": expected a floating-point target; got dtype bool");
    check_weight_dtype(weight, op, "weight");
    check_weight_dtype(pos_weight, op, "pos_weight");
    check_not_differentiable(weight, op, "weight");
    check_not_differentiable(pos_weight, op, "pos_weight");
    Shape shape = broadcast_shapes(input.shape(), target.shape(), op);
    if (weight.defined()) shape = broadcast_shapes(shape, weight.shape(), op);
    if (pos_weight.defined()) shape = broadcast_shapes(shape, pos_weight.shape(), op);
    const DType d = detail::result_type(input, target);
    double denom = static_cast<double>(numel_of(shape));
    if (r == Reduction::BatchMean) {
        denom = input.dim() > 0 ? static_cast<double>(input.shape()[0]) : 1.0;
    }
    const PwArgs a{dense(input, shape, d), dense(target, shape, d), dense(weight, shape, d),
                   dense(pos_weight, shape, d)};
    Tensor out = CR_DISPATCH_FLOAT(d, op, [&] {
        using T = scalar_t;
        const T pp = static_cast<T>(p);
        return weight.defined() ? pw_forward<L, true, T>(a, shape, r, pp, denom)
                                : pw_forward<L, false, T>(a, shape, r, pp, denom);
    });
    if (any_needs_grad({&input, &target})) {
        auto node = make_node<PointwiseLossBackward<L>>({&input, &target});
        node->input = input;
        node->target = target;
        node->weight = weight;
        node->pos_weight = pos_weight;
        node->shape = shape;
        node->dtype = d;
        node->reduction = r;
        node->p = p;
        node->denom = denom;
        set_grad_fn(out, node);
    }
    return out;
}

void check_no_batchmean(Reduction r, const char* op) {
    CR_CHECK(r != Reduction::BatchMean, ValueError, op,
             ": batchmean is not a valid value for reduction; expected 'none', 'mean' or 'sum'");
}

// torch's weighted regression losses, composed from ops: loss * weight, then sum / sum(weight)
// (mse, l1) or mean (huber) for reduction='mean'.
Tensor weighted(const Tensor& loss, const Tensor& input, const Tensor& weight, Reduction r,
                bool mean_by_weight, const char* op) {
    CR_CHECK(weight.shape() == input.shape(), ValueError, op,
             ": weight must have the input's shape ", shape_str(input.shape()), "; got ",
             shape_str(weight.shape()));
    Tensor wl = mul(loss, weight);
    if (r == Reduction::None) return wl;
    if (r == Reduction::Sum) return sum(wl);
    return mean_by_weight ? div(sum(wl), sum(weight)) : mean(wl);
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction,
                const Tensor& weight) {
    check_no_batchmean(reduction, "mse_loss");
    if (weight.defined()) {
        return weighted(pointwise_loss<Mse>(input, target, {}, {}, Reduction::None, 0), input,
                        weight, reduction, true, "mse_loss");
    }
    return pointwise_loss<Mse>(input, target, {}, {}, reduction, 0);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction,
               const Tensor& weight) {
    check_no_batchmean(reduction, "l1_loss");
    if (weight.defined()) {
        return weighted(pointwise_loss<L1>(input, target, {}, {}, Reduction::None, 0), input,
                        weight, reduction, true, "l1_loss");
    }
    return pointwise_loss<L1>(input, target, {}, {}, reduction, 0);
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta,
                  const Tensor& weight) {
    check_no_batchmean(reduction, "huber_loss");
    CR_CHECK(delta > 0, ValueError, "huber_loss: delta must be positive; got ", delta);
    if (weight.defined()) {
        return weighted(pointwise_loss<Huber>(input, target, {}, {}, Reduction::None, delta),
                        input, weight, reduction, false, "huber_loss");
    }
    return pointwise_loss<Huber>(input, target, {}, {}, reduction, delta);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction,
                      double beta) {
    check_no_batchmean(reduction, "smooth_l1_loss");
    CR_CHECK(beta >= 0, ValueError, "smooth_l1_loss: beta must be non-negative; got ", beta);
    if (beta == 0) return pointwise_loss<L1>(input, target, {}, {}, reduction, 0);
    return pointwise_loss<SmoothL1>(input, target, {}, {}, reduction, beta);
}

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
    CR_CHECK(is_floating(target.dtype()), TypeError,
             "kl_div: expected a floating-point target; got dtype ", dtype_name(target.dtype()));
    if (log_target) return pointwise_loss<KlDivLogTarget>(input, target, {}, {}, reduction, 0);
    return pointwise_loss<KlDiv>(input, target, {}, {}, reduction, 0);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                            Reduction reduction) {
    const char* op = "binary_cross_entropy";
    check_no_batchmean(reduction, op);
    CR_CHECK(target.shape() == input.shape(), ValueError, op, ": target shape ",
             shape_str(target.shape()), " must match input shape ", shape_str(input.shape()));
    detail::check_floating(input, op);
    CR_CHECK(is_floating(target.dtype()), TypeError, op,
             ": expected a floating-point target; got dtype ", dtype_name(target.dtype()));
    if (weight.defined()) {
        const Shape b = broadcast_shapes(input.shape(), weight.shape(), op);
        CR_CHECK(b == input.shape(), ValueError, op, ": weight of shape ",
                 shape_str(weight.shape()), " does not broadcast to the input's shape ",
                 shape_str(input.shape()));
    }
    // Values outside [0, 1] (and nan) have no log-likelihood: reject them before computing.
    for (const Tensor* t : {&input, &target}) {
        const Tensor c = dense(*t, t->shape(), t->dtype());
        const bool ok = CR_DISPATCH_FLOAT(c.dtype(), op, [&] {
            const scalar_t* v = c.data<scalar_t>();
            for (int64_t i = 0; i < c.numel(); ++i) {
                if (!(v[i] >= 0 && v[i] <= 1)) return false;
            }
            return true;
        });
        CR_CHECK(ok, ValueError, op, ": all elements of ", t == &input ? "input" : "target",
                 " should be between 0 and 1");
    }
    return pointwise_loss<Bce>(input, target, weight, {}, reduction, 0);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& weight, const Tensor& pos_weight,
                                        Reduction reduction) {
    const char* op = "binary_cross_entropy_with_logits";
    check_no_batchmean(reduction, op);
    CR_CHECK(target.shape() == input.shape(), ValueError, op, ": target shape ",
             shape_str(target.shape()), " must match input shape ", shape_str(input.shape()));
    if (pos_weight.defined()) {
        return pointwise_loss<BceLogits<true>>(input, target, weight, pos_weight, reduction, 0);
    }
    return pointwise_loss<BceLogits<false>>(input, target, weight, {}, reduction, 0);
}

}  // namespace chainrule
