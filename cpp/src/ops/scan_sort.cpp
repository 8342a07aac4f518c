// Scans and sorting along one dim: cumsum, sort, argsort, topk. Each works on a contiguous
// copy viewed as (outer, n, inner) lanes; the lane loops are in kernels/scan_sort/lanes.h.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "../kernels/scan_sort/lanes.h"
#include "lanes.h"
#include "pointwise.h"

namespace chainrule {

namespace detail {
Tensor scatter_into_zeros(const Shape& shape, int64_t d, const Tensor& index, const Tensor& src) {
    Tensor out = zeros(shape, src.dtype());
    Tensor idx = contiguous(index), s = contiguous(src);
    const Lanes lo = lanes_of(shape, d), li = lanes_of(idx.shape(), d);
    const int64_t* ip = idx.data<int64_t>();
    CR_DISPATCH_ALL(src.dtype(), "scatter", [&] {
        scalar_t* o = out.data<scalar_t>();
        const scalar_t* sp = s.data<scalar_t>();
        for (int64_t a = 0; a < li.outer; ++a) {
            for (int64_t i = 0; i < li.n; ++i) {
                for (int64_t j = 0; j < li.inner; ++j) {
                    const int64_t p = (a * li.n + i) * li.inner + j;
                    o[(a * lo.n + ip[p]) * lo.inner + j] = sp[p];
                }
            }
        }
    });
    return out;
}
}  // namespace detail

namespace {

using detail::Lanes;
using detail::lanes_of;

// Running sums along `d` (backwards when reverse), in x's dtype; x contiguous.
Tensor scan_sum(const Tensor& x, int64_t d, bool reverse) {
    Tensor xc = contiguous(x);
    Tensor y = empty(xc.shape(), xc.dtype());
    const Lanes l = lanes_of(xc.shape(), d);
    CR_DISPATCH_NUMERIC(xc.dtype(), "cumsum", [&] {
        kernels::scan_lanes(xc.data<scalar_t>(), y.data<scalar_t>(), l.outer, l.n, l.inner,
                            reverse);
    });
    return y;
}

}  // namespace

// ---- cumsum ------------------------------------------------------------------
// y[i] = sum_{k <= i} x[k]     dx[k] = sum_{i >= k} dy[i]  (a reversed cumsum)
struct CumsumBackward0 final : Node {
    int64_t dim = 0;
    TensorList apply(TensorList&& g) override { return {scan_sum(g[0], dim, true)}; }
    std::string name() const override { return "CumsumBackward0"; }
};

Tensor cumsum(const Tensor& x, int64_t dim, std::optional<DType> dtype) {
    const int64_t d = wrap_dim(dim, x.dim(), "cumsum");
    const DType out = dtype.value_or(is_floating(x.dtype()) ? x.dtype() : DType::Int64);
    CR_CHECK(out != DType::Bool, TypeError, "cumsum: dtype bool is not supported");
    Tensor y = scan_sum(detail::cast_for_compute(x.detach(), out), x.dim() == 0 ? 0 : d, false);
    if (x.dim() == 0) y = make_view(y, {}, {}, y.offset());
    if (is_floating(out) && needs_grad(x)) {
        auto node = make_node<CumsumBackward0>({&x});
        node->dim = x.dim() == 0 ? 0 : d;
        set_grad_fn(y, node);
    }
    return y;
}

namespace {

// Sorted positions of each lane of xc (contiguous): the first k values and their indices.
template <class T>
void sort_lanes(const Tensor& xc, int64_t d, bool descending, int64_t k, Tensor& values,
                Tensor& indices, bool partial) {
    const Lanes l = lanes_of(xc.shape(), d);
    kernels::sort_lanes(xc.data<T>(), values.data<T>(), indices.data<int64_t>(), l.outer, l.n,
                        l.inner, descending, k, partial);
}

std::pair<Tensor, Tensor> sort_impl(const Tensor& x, int64_t d, bool descending, int64_t k,
                                    bool partial, const char* op) {
    Tensor xc = contiguous(x.detach());
    Shape shape = x.shape();
    if (!shape.empty()) shape[d] = k;
    // A 0-d result holds one element whatever k (PyTorch: topk(0) of a 0-d tensor is the
    // tensor, index 0); it must be written, not left as it was allocated.
    if (shape.empty()) k = 1;
    Tensor values = empty(shape, x.dtype()), indices = empty(shape, DType::Int64);
    CR_DISPATCH_ALL(x.dtype(), op,
                    [&] { sort_lanes<scalar_t>(xc, d, descending, k, values, indices, partial); });
    return {values, indices};
}

// dx = zeros(x.shape).scatter(dim, indices, dvalues)
struct SortLikeBackward final : Node {
    explicit SortLikeBackward(const char* nm) : name_(nm) {}
    Shape x_shape;
    int64_t dim = 0;
    SavedTensor indices;
    TensorList apply(TensorList&& g) override {
        Tensor idx = indices.unpack(name_);
        if (x_shape.empty()) return {g[0]};
        return {detail::scatter_into_zeros(x_shape, dim, idx, g[0])};
    }
    std::string name() const override { return name_; }
    void release_saved() override { indices.reset(); }
    const char* name_;
};

void attach_sort_node(const Tensor& x, Tensor& values, const Tensor& indices, int64_t d,
                      const char* name) {
    if (!needs_grad(x)) return;
    auto node = make_node<SortLikeBackward>({&x}, name);
    node->x_shape = x.shape();
    node->dim = d;
    node->indices = indices;
    set_grad_fn(values, node);
}

}  // namespace

// ---- sort / argsort ------------------------------------------------------------
// values = x[perm], indices = perm     dx = zeros.scatter(dim, indices, dvalues)
std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending) {
    const int64_t d = x.dim() == 0 ? 0 : wrap_dim(dim, x.dim(), "sort");
    if (x.dim() == 0) wrap_dim(dim, 0, "sort");
    const int64_t n = x.dim() == 0 ? 1 : x.shape()[d];
    auto r = sort_impl(x, d, descending, n, false, "sort");
    attach_sort_node(x, r.first, r.second, d, "SortBackward0");
    return r;
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending) {
    NoGradGuard ng;
    return sort(x, dim, descending).second;
}

// ---- topk ------------------------------------------------------------------------
// The k largest (or smallest) along dim, in order     dx = zeros.scatter(dim, indices, dvalues)
std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
    const int64_t d = wrap_dim(dim, x.dim(), "topk");
    CR_CHECK(x.dtype() != DType::Bool, TypeError, "topk: bool tensors are not supported");
    const int64_t n = x.dim() == 0 ? 1 : x.shape()[d];
    CR_CHECK(k >= 0 && k <= n, IndexError, "topk: selected index k out of range; got k=", k,
             " for dimension ", d, " of size ", n);
    (void)sorted;  // the result is always sorted, which sorted=False allows
    auto r = sort_impl(x, d, largest, k, true, "topk");
    attach_sort_node(x, r.first, r.second, d, "TopkBackward0");
    return r;
}

}  // namespace chainrule
