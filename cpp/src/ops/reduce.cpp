// Reductions over dims: sum, mean, var, std, amax/amin, max/min (all and with dim), argmax/argmin,
// norm, and sum_to (the engine's one place for undoing broadcasting). The strided engine is in
// kernels/reduce/strided.h; softmax, log_softmax and logsumexp live in softmax.cpp.
#include "../kernels/reduce/strided.h"
#include "pointwise.h"

namespace chainrule {

namespace detail {

ReducePlan plan_reduce(const Tensor& x, const std::vector<bool>& mask) {
    ReducePlan p;
    for (int64_t d = 0; d < x.dim(); ++d) {
        if (mask[d]) {
            p.keep_shape.push_back(1);
            p.kept_strides.push_back(0);
            p.red_shape.push_back(x.shape()[d]);
            p.red_strides.push_back(x.strides()[d]);
            p.red_numel *= x.shape()[d];
        } else {
            p.keep_shape.push_back(x.shape()[d]);
            p.kept_strides.push_back(x.strides()[d]);
        }
    }
    return p;
}

Shape squeeze_dims(const Shape& keep_shape, const std::vector<bool>& mask) {
    Shape s;
    for (size_t d = 0; d < keep_shape.size(); ++d) {
        if (!mask[d]) s.push_back(keep_shape[d]);
    }
    return s;
}

namespace {

// out[o] = post(sum_r map(x_r)), accumulated in A (double for floats: float32 sums are then
// exact enough that the order barely matters; int64 for integers).
template <class T, class Out, class A, class Map, class Post>
struct SumOp : OpBase<SumOp<T, Out, A, Map, Post>, T> {
    using Acc = A;
    Out* out;
    Map map;
    Post post;
    SumOp(Out* o, Map m, Post p) : out(o), map(m), post(p) {}
    A init() const { return A(0); }
    void step(A& a, T v, int64_t) const { a += map(v); }
    void merge(A& a, const A& b) const { a += b; }
    void write(int64_t o, const A& a) const { out[o] = post(a); }
    void run(A& a, const T* v, int64_t stride, int64_t n, int64_t) const {
        // Eight independent lanes: the compiler vectorises them (no reassociation needed),
        // and they are combined in a fixed order.
        A lane[8] = {};
        int64_t i = 0;
        if (stride == 1) {
            for (; i + 8 <= n; i += 8) {
                for (int j = 0; j < 8; ++j) lane[j] += map(v[i + j]);
            }
        }
        for (; i < n; ++i) lane[0] += map(v[i * stride]);
        a += ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
             ((lane[4] + lane[5]) + (lane[6] + lane[7]));
    }
};
template <class T, class Out, class A, class Map, class Post>
SumOp<T, Out, A, Map, Post> make_sum_op(Out* o, Map m, Post p) {
    return SumOp<T, Out, A, Map, Post>(o, m, p);
}

// Float sums through the level's kernels (kernels/reduce): out[o] = post(sum_r x_r), or of
// x_r^2 when `squares`. Accumulated in double (float lanes over short sub-blocks, see
// reduce_kernels.h); the strided fallback steps in double.
template <class T, class Out, class Post>
struct TableSumOp : OpBase<TableSumOp<T, Out, Post>, T> {
    static constexpr bool kHasCols = true;
    using Acc = double;
    Out* out;
    Post post;
    const kernels::ReduceKernel<T>* k;
    bool squares;
    TableSumOp(Out* o, Post p, bool sq) : out(o), post(p), k(&table_of()), squares(sq) {}
    static const kernels::ReduceKernel<T>& table_of() {
        const kernels::ReduceKernels& r = kernels::kernel_table().reduce;
        if constexpr (std::is_same_v<T, float>) {
            return r.s;
        } else {
            return r.d;
        }
    }
    double init() const { return 0.0; }
    void step(double& a, T v, int64_t) const {
        const double d = static_cast<double>(v);
        a += squares ? d * d : d;
    }
    void merge(double& a, const double& b) const { a += b; }
    void write(int64_t o, const double& a) const { out[o] = post(a); }
    void run(double& a, const T* v, int64_t stride, int64_t n, int64_t) const {
        if (stride == 1) {
            a += squares ? k->sumsq(v, n) : k->sum(v, n);
            return;
        }
        for (int64_t i = 0; i < n; ++i) step(a, v[i * stride], 0);
    }
    bool cols_ok() const { return !squares; }
    void cols(double* acc, const T* x, int64_t rows, int64_t ld, int64_t n) const {
        k->colsum(acc, x, rows, ld, n);
    }
};
template <class T, class Out, class Post>
TableSumOp<T, Out, Post> make_table_sum_op(Out* o, Post p, bool squares = false) {
    return TableSumOp<T, Out, Post>(o, p, squares);
}

// Sums x over plan p into y (dtype Out chosen by the caller); each element is cast to Out
// first, as PyTorch does for sum(dtype=...).
template <class In>
void sum_into(const Tensor& x, const ReducePlan& p, const Tensor& y) {
    CR_DISPATCH_NUMERIC(y.dtype(), "sum", [&] {
        using Out = scalar_t;
        using A = std::conditional_t<std::is_floating_point_v<Out>, double, int64_t>;
        if constexpr (std::is_same_v<In, Out> && std::is_floating_point_v<In>) {
            reduce_kernel<In>(x, p, make_table_sum_op<In, Out>(y.data<Out>(), [](double a) {
                                  return static_cast<Out>(a);
                              }));
            return;
        }
        auto op = make_sum_op<In, Out, A>(
            y.data<Out>(), [](In v) { return static_cast<A>(static_cast<Out>(v)); },
            [](A a) { return static_cast<Out>(a); });
        reduce_kernel<In>(x, p, op);
    });
}

// Max (or min) of map(x_r), NaN-propagating; with indices when `idx` is set (first
// occurrence on ties, the first NaN when there is one, as in PyTorch).
template <class T, bool kMax, bool kAbs = false>
struct ExtremumOp : OpBase<ExtremumOp<T, kMax, kAbs>, T> {
    struct Acc {
        T v;
        int64_t i;
    };
    T* val;
    int64_t* idx;
    ExtremumOp(T* v, int64_t* i) : val(v), idx(i) {}
    static bool better(T v, T cur) {
        if (is_nan_v(cur)) return false;
        return is_nan_v(v) || (kMax ? v > cur : v < cur);
    }
    static T map(T v) {
        if constexpr (kAbs) {
            return static_cast<T>(std::abs(v));  // norms: |x|
        } else {
            return v;
        }
    }
    Acc init() const { return {kMax ? lowest_of<T>() : highest_of<T>(), -1}; }
    void step(Acc& a, T v, int64_t r) const {
        const T m = map(v);
        if (a.i < 0 || better(m, a.v)) a = {m, r};
    }
    void merge(Acc& a, const Acc& b) const {
        if (b.i >= 0 && (a.i < 0 || better(b.v, a.v))) a = b;
    }
    void write(int64_t o, const Acc& a) const {
        if (val) val[o] = a.v;
        if (idx) idx[o] = std::max<int64_t>(a.i, 0);
    }
    // Values only (amax, amin, max(), min()) over a contiguous float run: the level's loop.
    void run(Acc& a, const T* v, int64_t stride, int64_t n, int64_t r0) const {
        if constexpr (std::is_floating_point_v<T> && !kAbs) {
            if (idx == nullptr && stride == 1 && n > 0) {
                const auto& r = kernels::kernel_table().reduce;
                const auto& k = [&]() -> const kernels::ReduceKernel<T>& {
                    if constexpr (std::is_same_v<T, float>) {
                        return r.s;
                    } else {
                        return r.d;
                    }
                }();
                merge(a, Acc{kMax ? k.max(v, n) : k.min(v, n), r0});
                return;
            }
        }
        for (int64_t i = 0; i < n; ++i) step(a, v[i * stride], r0 + i);
    }
};

// Output of a reduction: kept (keepdim) shape, or squeezed.
Tensor finish_shape(const Tensor& y, const ReducePlan& p, const std::vector<bool>& mask,
                    bool keepdim) {
    if (keepdim) return y;
    const Shape s = squeeze_dims(p.keep_shape, mask);
    return make_view(y, s, contiguous_strides(s), 0);
}

// dy at the kept shape, broadcastable against x.
Tensor keep(const Tensor& dy, const Shape& keep_shape) { return reshape(dy, keep_shape); }

void check_nonempty(const Tensor& x, const std::vector<bool>& mask, bool all, const char* op) {
    if (all) {
        CR_CHECK(x.numel() != 0, RuntimeError, op,
                 "(): Expected reduction dim to be specified "
                 "for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
        return;
    }
    for (int64_t d = 0; d < x.dim(); ++d) {
        CR_CHECK(!mask[d] || x.shape()[d] != 0, IndexError, op, "(): Expected reduction dim ", d,
                 " to have non-zero size.");
    }
}

void check_float_reduce(const Tensor& x, const char* op, const char* what) {
    CR_CHECK(is_floating(x.dtype()), RuntimeError, op, ": ", what, "; got dtype ",
             dtype_name(x.dtype()));
}

}  // namespace
}  // namespace detail

using detail::keep;
using detail::ReducePlan;

// ---- sum -------------------------------------------------------------------
// y = sum_{reduced dims} x        dx = expand(dy, x.shape)
struct SumBackward1 final : Node {
    Shape x_shape;
    Shape keep_shape;  // dy's shape with reduced dims kept as 1
    bool all = false;  // x.sum() with no dims is SumBackward0 in PyTorch
    TensorList apply(TensorList&& g) override {
        return {expand(reshape(g[0], keep_shape), x_shape)};
    }
    std::string name() const override { return all ? "SumBackward0" : "SumBackward1"; }
};

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
    const std::vector<bool> mask = dim_mask(dims, x.dim(), "sum");
    const DType out_dtype = dtype.value_or(is_floating(x.dtype()) ? x.dtype() : DType::Int64);
    CR_CHECK(out_dtype != DType::Bool, TypeError, "sum: dtype bool is not supported");
    const ReducePlan p = detail::plan_reduce(x, mask);
    Tensor y = empty(p.keep_shape, out_dtype);
    CR_DISPATCH_ALL(x.dtype(), "sum", [&] { detail::sum_into<scalar_t>(x, p, y); });
    y = detail::finish_shape(y, p, mask, keepdim);
    if (needs_grad(x)) {
        auto node = make_node<SumBackward1>({&x});
        node->x_shape = x.shape();
        node->keep_shape = p.keep_shape;
        node->all = dims.empty();
        set_grad_fn(y, node);
    }
    return y;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
    CR_CHECK(lead >= 0, ValueError, "sum_to: cannot reduce shape ", shape_str(x.shape()), " to ",
             shape_str(shape));
    Dims dims;
    for (int64_t d = 0; d < x.dim(); ++d) {
        if (d < lead) {
            dims.push_back(d);
        } else if (shape[d - lead] == 1 && x.shape()[d] != 1) {
            dims.push_back(d);
        } else {
            CR_CHECK(shape[d - lead] == x.shape()[d], ValueError, "sum_to: cannot reduce shape ",
                     shape_str(x.shape()), " to ", shape_str(shape));
        }
    }
    if (dims.empty()) return reshape(x, shape);
    Tensor s = sum(x, dims, true);
    return lead > 0 ? reshape(s, shape) : s;
}

// ---- mean ------------------------------------------------------------------
// y = sum x / N          dx = expand(dy / N, x.shape)        (N = number of reduced elements)
struct MeanBackward1 final : Node {
    Shape x_shape, keep_shape;
    int64_t n = 1;
    bool all = false;
    TensorList apply(TensorList&& g) override {
        Tensor d = div(reshape(g[0], keep_shape), wrapped_scalar(static_cast<double>(n)));
        return {expand(d, x_shape)};
    }
    std::string name() const override { return all ? "MeanBackward0" : "MeanBackward1"; }
};

Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) {
    const std::vector<bool> mask = dim_mask(dims, x.dim(), "mean");
    CR_CHECK(is_floating(x.dtype()), RuntimeError,
             "mean(): could not infer output dtype. Input dtype must be a floating point dtype "
             "(pass dtype= to convert); got ",
             dtype_name(x.dtype()));
    const ReducePlan p = detail::plan_reduce(x, mask);
    Tensor y = empty(p.keep_shape, x.dtype());
    const double inv_n = 1.0 / static_cast<double>(p.red_numel);  // N = 0 gives nan, as PyTorch
    CR_DISPATCH_FLOAT(x.dtype(), "mean", [&] {
        using T = scalar_t;
        auto op = detail::make_table_sum_op<T, T>(
            y.data<T>(), [inv_n](double a) { return static_cast<T>(a * inv_n); });
        detail::reduce_kernel<T>(x, p, op);
    });
    y = detail::finish_shape(y, p, mask, keepdim);
    if (needs_grad(x)) {
        auto node = make_node<MeanBackward1>({&x});
        node->x_shape = x.shape();
        node->keep_shape = p.keep_shape;
        node->n = p.red_numel;
        node->all = dims.empty();
        set_grad_fn(y, node);
    }
    return y;
}

// ---- var / std -------------------------------------------------------------
// y = sum (x - mean)^2 / max(N - c, 0)     dx = dy * 2 (x - mean) / (N - c)
// std: s = sqrt(var)                        dx = dy * (x - mean) / ((N - c) s)
struct VarBackward0 final : Node {
    SavedTensor x, y;  // y: std's result (undefined for var)
    Dims dims;
    Shape keep_shape;
    double n_minus_c = 0;
    bool is_std = false;
    TensorList apply(TensorList&& g) override {
        const char* nm = is_std ? "StdBackward0" : "VarBackward0";
        Tensor xv = x.unpack(nm);
        Tensor centered = sub(xv, mean(xv, dims, true));
        Tensor dy = keep(g[0], keep_shape);
        if (is_std) {
            // d std = d var / (2 std), defined as 0 where std == 0 (as PyTorch), not NaN.
            Tensor yk = keep(y.unpack(nm), keep_shape);
            dy = where(eq(yk, wrapped_scalar(0.0)), scalar_tensor(0.0, dy.dtype()),
                       div(dy, mul(yk, wrapped_scalar(2.0))));
        }
        return {mul(mul(centered, dy), wrapped_scalar(2.0 / n_minus_c))};
    }
    std::string name() const override { return is_std ? "StdBackward0" : "VarBackward0"; }
    void release_saved() override {
        x.reset();
        y.reset();
    }
};

namespace {
Tensor var_impl(const Tensor& x, const Dims& dims, double correction, bool keepdim, bool is_std) {
    const char* op = is_std ? "std" : "var";
    const std::vector<bool> mask = dim_mask(dims, x.dim(), op);
    detail::check_float_reduce(x, op, "std and var only support floating point dtypes");
    const ReducePlan p = detail::plan_reduce(x, mask);
    const double n_minus_c = static_cast<double>(p.red_numel) - correction;
    Tensor y;
    {
        // Two passes: the mean, then the squared deviations summed in double, where float32
        // data beyond ~1e19 (whose squares overflow float) and below ~1e-19 (whose squares
        // vanish) still give PyTorch's variance; std's square root is taken in double too.
        NoGradGuard ng;
        Tensor centered = sub(x, mean(x, dims, true));
        const ReducePlan pc = detail::plan_reduce(centered, mask);
        y = empty(pc.keep_shape, x.dtype());
        const double denom = std::max(n_minus_c, 0.0);
        CR_DISPATCH_FLOAT(x.dtype(), op, [&] {
            using T = scalar_t;
            auto post = [denom, is_std](double a) {
                const double v = a / denom;
                return static_cast<T>(is_std ? std::sqrt(v) : v);
            };
            detail::reduce_kernel<T>(centered, pc,
                                     detail::make_table_sum_op<T, T>(y.data<T>(), post, true));
        });
        y = detail::finish_shape(y, pc, mask, keepdim);
    }
    if (needs_grad(x)) {
        auto node = make_node<VarBackward0>({&x});
        node->x = x;
        if (is_std) node->y = y.detach();
        node->dims = dims;
        node->keep_shape = p.keep_shape;
        node->n_minus_c = n_minus_c;
        node->is_std = is_std;
        set_grad_fn(y, node);
    }
    return y;
}
}  // namespace

Tensor var(const Tensor& x, const Dims& dims, double correction, bool keepdim) {
    return var_impl(x, dims, correction, keepdim, false);
}
Tensor std(const Tensor& x, const Dims& dims, double correction, bool keepdim) {
    return var_impl(x, dims, correction, keepdim, true);
}

// ---- amax / amin / max() / min() ---------------------------------------------
// y = max_{reduced} x     dx = dy * [x == y] / count([x == y])   (ties share the gradient)
struct AmaxBackward0 final : Node {
    SavedTensor x, y;
    Dims dims;
    Shape keep_shape;
    std::string nm;
    TensorList apply(TensorList&& g) override {
        Tensor xv = x.unpack(nm.c_str()), yv = keep(y.unpack(nm.c_str()), keep_shape);
        Tensor hit = eq(xv, yv);
        Tensor count = sum(hit, dims, true);
        return {mul(hit, div(keep(g[0], keep_shape), count))};
    }
    std::string name() const override { return nm; }
    void release_saved() override {
        x.reset();
        y.reset();
    }
};

namespace {
Tensor extremum_reduce(const Tensor& x, const Dims& dims, bool keepdim, bool is_max, const char* op,
                       const char* node_name, bool all) {
    const std::vector<bool> mask = dim_mask(dims, x.dim(), op);
    const ReducePlan p = detail::plan_reduce(x, mask);
    detail::check_nonempty(x, mask, all || (dims.empty() && x.numel() == 0), op);
    Tensor y = empty(p.keep_shape, x.dtype());
    CR_DISPATCH_ALL(x.dtype(), op, [&] {
        using T = scalar_t;
        if (is_max) {
            detail::reduce_kernel<T>(x, p, detail::ExtremumOp<T, true>(y.data<T>(), nullptr));
        } else {
            detail::reduce_kernel<T>(x, p, detail::ExtremumOp<T, false>(y.data<T>(), nullptr));
        }
    });
    y = detail::finish_shape(y, p, mask, keepdim);
    if (needs_grad(x)) {
        auto node = make_node<AmaxBackward0>({&x});
        node->x = x;
        node->y = y.detach();
        node->dims = dims;
        node->keep_shape = p.keep_shape;
        node->nm = node_name;
        set_grad_fn(y, node);
    }
    return y;
}
}  // namespace

Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) {
    return extremum_reduce(x, dims, keepdim, true, "amax", "AmaxBackward0", false);
}
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) {
    return extremum_reduce(x, dims, keepdim, false, "amin", "AminBackward0", false);
}
Tensor max_all(const Tensor& x) {
    return extremum_reduce(x, {}, false, true, "max", "MaxBackward1", true);
}
Tensor min_all(const Tensor& x) {
    return extremum_reduce(x, {}, false, false, "min", "MinBackward1", true);
}

// ---- max(dim) / min(dim) / argmax / argmin -------------------------------------
// (y, i) = max_{dim} x     dx = dy at the returned index i, 0 elsewhere
struct MaxBackward0 final : Node {
    SavedTensor indices;  // at the kept shape
    Shape x_shape;
    int64_t dim = 0;
    bool is_max = true;
    TensorList apply(TensorList&& g) override {
        const char* nm = is_max ? "MaxBackward0" : "MinBackward0";
        Tensor idx = indices.unpack(nm);
        Tensor dy = reshape(g[0], idx.shape());
        if (x_shape.empty()) return {dy};
        Shape pos_shape(x_shape.size(), 1);
        pos_shape[dim] = x_shape[dim];
        Tensor pos =
            reshape(arange(0, static_cast<double>(x_shape[dim]), 1, DType::Int64), pos_shape);
        return {expand(mul(eq(pos, idx), dy), x_shape)};
    }
    std::string name() const override { return is_max ? "MaxBackward0" : "MinBackward0"; }
    void release_saved() override { indices.reset(); }
};

namespace {
// Runs the index-tracking reduction; values may be null (argmax).
std::pair<Tensor, Tensor> arg_reduce(const Tensor& x, const std::vector<bool>& mask,
                                     bool want_values, bool is_max, const char* op) {
    const ReducePlan p = detail::plan_reduce(x, mask);
    Tensor vals = want_values ? empty(p.keep_shape, x.dtype()) : Tensor();
    Tensor idx = empty(p.keep_shape, DType::Int64);
    CR_DISPATCH_ALL(x.dtype(), op, [&] {
        using T = scalar_t;
        T* vp = want_values ? vals.data<T>() : nullptr;
        if (is_max) {
            detail::reduce_kernel<T>(x, p, detail::ExtremumOp<T, true>(vp, idx.data<int64_t>()));
        } else {
            detail::reduce_kernel<T>(x, p, detail::ExtremumOp<T, false>(vp, idx.data<int64_t>()));
        }
    });
    return {vals, idx};
}

std::pair<Tensor, Tensor> extremum_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
    const char* op = is_max ? "max" : "min";
    const int64_t d = wrap_dim(dim, x.dim(), op);
    const std::vector<bool> mask = dim_mask({d}, x.dim(), op);
    const ReducePlan p = detail::plan_reduce(x, mask);
    detail::check_nonempty(x, mask, false, op);
    auto [vals, idx] = arg_reduce(x, mask, true, is_max, op);
    Tensor kept_idx = idx;
    vals = detail::finish_shape(vals, p, mask, keepdim);
    idx = detail::finish_shape(idx, p, mask, keepdim);
    if (needs_grad(x)) {
        auto node = make_node<MaxBackward0>({&x});
        node->indices = kept_idx;
        node->x_shape = x.shape();
        node->dim = d;
        node->is_max = is_max;
        set_grad_fn(vals, node);
    }
    return {vals, idx};
}

Tensor arg_extremum(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max) {
    const char* op = is_max ? "argmax" : "argmin";
    CR_CHECK(x.dtype() != DType::Bool, RuntimeError, op, "(): does not support bool input");
    Dims dims;
    if (dim) dims.push_back(wrap_dim(*dim, x.dim(), op));
    const std::vector<bool> mask = dim_mask(dims, x.dim(), op);
    const ReducePlan p = detail::plan_reduce(x, mask);
    if (!dim) {
        CR_CHECK(x.numel() != 0, IndexError, op,
                 "(): Expected reduction dim to be specified for input.numel() == 0.");
    } else {
        detail::check_nonempty(x, mask, false, op);
    }
    Tensor idx = arg_reduce(x, mask, false, is_max, op).second;
    return detail::finish_shape(idx, p, mask, keepdim);
}
}  // namespace

std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim) {
    return extremum_dim(x, dim, keepdim, true);
}
std::pair<Tensor, Tensor> min_dim(const Tensor& x, int64_t dim, bool keepdim) {
    return extremum_dim(x, dim, keepdim, false);
}
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
    return arg_extremum(x, dim, keepdim, true);
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
    return arg_extremum(x, dim, keepdim, false);
}

// ---- norm --------------------------------------------------------------------
// y = (sum |x|^p)^(1/p)      dx = dy * sgn(x) |x|^(p-1) / y^(p-1)   (0 where y == 0)
// p = 2: dx = dy * x / y;  p = 1: dx = dy * sgn(x);  p = 0: dx = 0
// p = +-inf: y = max/min |x|, dx = dy * sgn(x) [|x| == y] / count   (ties share)
struct LinalgVectorNormBackward0 final : Node {
    SavedTensor x, y;
    Dims dims;
    Shape keep_shape;
    double p = 2;
    TensorList apply(TensorList&& g) override {
        const char* nm = "LinalgVectorNormBackward0";
        Tensor xv = x.unpack(nm), yv = keep(y.unpack(nm), keep_shape);
        Tensor dy = keep(g[0], keep_shape);
        const double pp = p;
        if (std::isinf(pp)) {
            Tensor hit = eq(abs(xv), yv);
            Tensor count = sum(hit, dims, true);
            return {mul(mul(sign(xv), hit), div(dy, count))};
        }
        if (pp == 0) return {zeros(xv.shape(), xv.dtype())};
        if (pp == 1) return {mul(sign(xv), dy)};
        // In terms of |x| / y, which stays in range where |x|^(p-1) and y^(p-1) (or dy / y for
        // subnormal y) do not.
        return {detail::pointwise3(xv, dy, yv, [pp](auto v, auto d, auto n) {
            using T = decltype(v);
            if (pp == 2) return n == 0 ? T(0) : (v / n) * d;
            const T sg = v > 0 ? T(1) : (v < 0 ? T(-1) : T(0));
            // 0 at x == 0 (|x|^(p-1) is infinite there for p < 1: PyTorch masks it)
            if (v == 0 || n == 0) return T(0);
            return sg * std::pow(std::abs(v) / n, static_cast<T>(pp - 1)) * d;
        })};
    }
    std::string name() const override { return "LinalgVectorNormBackward0"; }
    void release_saved() override {
        x.reset();
        y.reset();
    }
};

Tensor norm(const Tensor& x, double p, const Dims& dims, bool keepdim) {
    const std::vector<bool> mask = dim_mask(dims, x.dim(), "norm");
    detail::check_float_reduce(x, "norm",
                               "linalg.vector_norm expects a floating point tensor as input");
    const ReducePlan p_ = detail::plan_reduce(x, mask);
    if (std::isinf(p)) {
        CR_CHECK(x.numel() != 0 || !dims.empty(), RuntimeError,
                 "norm: cannot compute the inf norm on an empty tensor because the operation "
                 "does not have an identity");
        for (int64_t d = 0; d < x.dim(); ++d) {
            CR_CHECK(!mask[d] || x.shape()[d] != 0, RuntimeError,
                     "norm: cannot compute the inf norm on the dimension ", d,
                     " because this dimension is empty and the operation does not have an "
                     "identity");
        }
    }
    Tensor y = empty(p_.keep_shape, x.dtype());
    CR_DISPATCH_FLOAT(x.dtype(), "norm", [&] {
        using T = scalar_t;
        T* out = y.data<T>();
        auto cast = [](double a) { return static_cast<T>(a); };
        if (std::isinf(p)) {
            if (p > 0) {
                detail::reduce_kernel<T>(x, p_, detail::ExtremumOp<T, true, true>(out, nullptr));
            } else {
                detail::reduce_kernel<T>(x, p_, detail::ExtremumOp<T, false, true>(out, nullptr));
            }
        } else if (p == 2) {
            detail::reduce_kernel<T>(
                x, p_,
                detail::make_table_sum_op<T, T>(
                    out, [](double a) { return static_cast<T>(std::sqrt(a)); }, true));
        } else if (p == 1) {
            detail::reduce_kernel<T>(
                x, p_,
                detail::make_sum_op<T, T, double>(
                    out, [](T v) { return static_cast<double>(std::abs(v)); }, cast));
        } else if (p == 0) {
            detail::reduce_kernel<T>(x, p_,
                                     detail::make_sum_op<T, T, double>(
                                         out, [](T v) { return v != 0 ? 1.0 : 0.0; }, cast));
        } else {
            detail::reduce_kernel<T>(
                x, p_,
                detail::make_sum_op<T, T, double>(
                    out, [p](T v) { return std::pow(std::abs(static_cast<double>(v)), p); },
                    [p](double a) { return static_cast<T>(std::pow(a, 1.0 / p)); }));
        }
    });
    y = detail::finish_shape(y, p_, mask, keepdim);
    if (needs_grad(x)) {
        auto node = make_node<LinalgVectorNormBackward0>({&x});
        node->x = x;
        node->y = y.detach();
        node->dims = dims;
        node->keep_shape = p_.keep_shape;
        node->p = p;
        set_grad_fn(y, node);
    }
    return y;
}

}  // namespace chainrule
