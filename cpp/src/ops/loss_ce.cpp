// Class-index losses: the fused cross-entropy (log-softmax and NLL in one pass per row; the
// row loops are in kernels/loss/ce_rows.h, their per-ISA parts in kernels/softmax) and nll_loss.
// The elementwise losses are in loss_pointwise.cpp; reduction strings and Python warnings are
// handled in bindings/bind_loss.cpp.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "../kernels/loss/ce_rows.h"
#include "loss_common.h"

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

// The input is seen as contiguous (N, C, inner) with inner = d1 * ... * dk (1 for (N, C) and
// (C,) inputs); a "row" r = (n, j) holds the C scores of one target, at stride inner.

namespace {

struct ClassGeom {
    int64_t N = 1, C = 0, inner = 1;
    Shape out_shape;   // the shape of reduction='none'
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
             "input's shape); got a ",
             dtype_name(target.dtype()), " target of shape ", shape_str(target.shape()),
             " for input of shape ", shape_str(input.shape()));
    if (input.dim() == 1) {
        CR_CHECK(target.dim() == 0 || (target.dim() == 1 && target.shape()[0] == 1), ValueError, op,
                 ": expected a 0-d target (one class index) for input of shape ",
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

// A (rows, 2) tensor of T read as rows of RowStats.
template <class T>
RowStats<T>* stats_ptr(const Tensor& t) {
    static_assert(sizeof(RowStats<T>) == 2 * sizeof(T), "RowStats must be two packed T");
    return reinterpret_cast<RowStats<T>*>(t.data<T>());
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
                ce_prob_backward<T, decltype(unit)::value>(
                    dxp, dtp, x.data<T>(), t.data<T>(), stats_ptr<T>(st), wp, gp, rg.scale, args);
            };
            if (args.inner == 1)
                run(std::true_type{});
            else
                run(std::false_type{});
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
                 "floating-point; got dtype ",
                 dtype_name(target.dtype()), " for shape ", shape_str(target.shape()),
                 " (class indices have shape ", shape_str(g.out_shape), ")");
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
        if (g.inner == 1)
            run(std::true_type{});
        else
            run(std::false_type{});
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

}  // namespace chainrule
