// Selection and scatter: unbind (views), masked_select, nonzero, repeat_interleave and
// scatter / scatter_. Indexing by index tensors is in shape_index.cpp.
#include <algorithm>
#include <cmath>

#include "../kernels/shape/scatter.h"
#include "lanes.h"
#include "pointwise.h"

namespace chainrule {

// ---- unbind ------------------------------------------------------------------
// y_i = x.select(dim, i) (views)      dx = stack([dy_0, ..., dy_{n-1}], dim)
struct UnbindBackward0 final : Node {
    int64_t dim = 0;
    TensorList apply(TensorList&& g) override { return {stack(g, dim)}; }
    std::string name() const override { return "UnbindBackward0"; }
};

std::vector<Tensor> unbind(const Tensor& x, int64_t dim) {
    CR_CHECK(x.dim() > 0, IndexError, "unbind: dimension specified as ", dim,
             " but tensor has no dimensions");
    const int64_t d = wrap_dim(dim, x.dim(), "unbind");
    const int64_t n = x.shape()[d];
    Shape shape = x.shape();
    Strides strides = x.strides();
    const int64_t step = strides[d];
    shape.erase(shape.begin() + d);
    strides.erase(strides.begin() + d);
    std::shared_ptr<UnbindBackward0> node;
    if (needs_grad(x) && n > 0) {
        node = make_node<UnbindBackward0>({&x});
        node->dim = d;
    }
    std::vector<Tensor> out;
    out.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        Tensor y = make_view(x, shape, strides, x.offset() + i * step);
        if (node) {
            set_grad_fn(y, node, static_cast<uint32_t>(i));
            y.impl()->meta().is_view = true;
        }
        out.push_back(std::move(y));
    }
    return out;
}

// ---- masked_select -----------------------------------------------------------
// y = x[mask] (1-D, row-major over the broadcast shape)
// dx = zeros(broadcast shape) with dy written at the mask's positions (summed back to x)
namespace {
Tensor broadcast_contiguous(const Tensor& t, const Shape& shape) {
    return contiguous(t.shape() == shape ? t : expand(t, shape));
}
}  // namespace

struct MaskedSelectBackward0 final : Node {
    SavedTensor mask;  // contiguous, at the broadcast shape
    TensorList apply(TensorList&& g) override {
        Tensor m = mask.unpack("MaskedSelectBackward0");
        Tensor dy = contiguous(g[0]);
        Tensor dx = zeros(m.shape(), dy.dtype());
        const bool* mp = m.data<bool>();
        const int64_t n = m.numel();
        CR_DISPATCH_FLOAT(dy.dtype(), "masked_select", [&] {
            const scalar_t* src = dy.data<scalar_t>();
            scalar_t* dst = dx.data<scalar_t>();
            for (int64_t i = 0, k = 0; i < n; ++i) {
                if (mp[i]) dst[i] = src[k++];
            }
        });
        return {dx};
    }
    std::string name() const override { return "MaskedSelectBackward0"; }
    void release_saved() override { mask.reset(); }
};

Tensor masked_select(const Tensor& x, const Tensor& mask) {
    CR_CHECK(mask.dtype() == DType::Bool, TypeError,
             "masked_select: expected mask of dtype bool; got ", dtype_name(mask.dtype()));
    const Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_select");
    Tensor m = broadcast_contiguous(mask.detach(), shape);
    Tensor xc = broadcast_contiguous(x.detach(), shape);
    const bool* mp = m.data<bool>();
    const int64_t n = m.numel();
    const int64_t count = std::count(mp, mp + n, true);
    Tensor y = empty({count}, x.dtype());
    CR_DISPATCH_ALL(x.dtype(), "masked_select", [&] {
        const scalar_t* src = xc.data<scalar_t>();
        scalar_t* dst = y.data<scalar_t>();
        for (int64_t i = 0, k = 0; i < n; ++i) {
            if (mp[i]) dst[k++] = src[i];
        }
    });
    if (needs_grad(x)) {
        auto node = make_node<MaskedSelectBackward0>({&x});
        node->mask = m;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- nonzero -----------------------------------------------------------------
// (n, ndim) int64 coordinates of the nonzero elements (NaN counts), in row-major order.
Tensor nonzero(const Tensor& x) {
    Tensor xc = contiguous(x.detach());
    const int64_t n = xc.numel(), nd = xc.dim();
    std::vector<int64_t> hits;
    CR_DISPATCH_ALL(xc.dtype(), "nonzero", [&] {
        const scalar_t* p = xc.data<scalar_t>();
        for (int64_t i = 0; i < n; ++i) {
            if (p[i] != scalar_t(0)) hits.push_back(i);
        }
    });
    const auto count = static_cast<int64_t>(hits.size());
    Tensor out = empty({count, nd}, DType::Int64);
    int64_t* o = out.data<int64_t>();
    for (int64_t r = 0; r < count; ++r) {
        int64_t flat = hits[static_cast<size_t>(r)];
        for (int64_t k = nd - 1; k >= 0; --k) {
            o[r * nd + k] = flat % xc.shape()[k];
            flat /= xc.shape()[k];
        }
    }
    return out;
}

std::vector<Tensor> nonzero_tuple(const Tensor& x) {
    // A 0-d tensor counts as 1-d here, as in PyTorch.
    Tensor coords = nonzero(x.dim() == 0 ? reshape(x.detach(), {1}) : x);
    std::vector<Tensor> out;
    for (int64_t k = 0; k < coords.shape()[1]; ++k) out.push_back(contiguous(select(coords, 1, k)));
    return out;
}

// ---- repeat_interleave -------------------------------------------------------
// Each slice along dim repeated `repeats` times in place: x.unsqueeze(d+1).expand(...)
// .clone().view(...), so the nodes are PyTorch's (ViewBackward0 <- CloneBackward0 <- ...).
Tensor repeat_interleave(const Tensor& x, int64_t repeats, std::optional<int64_t> dim) {
    CR_CHECK(repeats >= 0, ValueError, "repeat_interleave: repeats can not be negative; got ",
             repeats);
    Tensor in = dim ? x : reshape(x, {-1});
    const int64_t d = dim ? wrap_dim(*dim, in.dim(), "repeat_interleave") : 0;
    if (in.dim() == 0) in = reshape(in, {1});
    Shape expanded = in.shape();
    expanded.insert(expanded.begin() + d + 1, repeats);
    Shape out_shape = in.shape();
    out_shape[d] *= repeats;
    return view(clone(expand(unsqueeze(in, d + 1), expanded)), out_shape);
}

// With a tensor of repeats (one per slice, or one for all): an index_select.
Tensor repeat_interleave(const Tensor& x, const Tensor& repeats, std::optional<int64_t> dim) {
    CR_CHECK(repeats.dtype() == DType::Int64, TypeError,
             "repeat_interleave: repeats must be an int64 tensor; got ",
             dtype_name(repeats.dtype()));
    CR_CHECK(repeats.dim() <= 1, ValueError,
             "repeat_interleave: repeats must be 0-d or 1-d; got shape ",
             shape_str(repeats.shape()));
    Tensor in = dim ? x : reshape(x, {-1});
    const int64_t d = dim ? wrap_dim(*dim, in.dim(), "repeat_interleave") : 0;
    if (in.dim() == 0) in = reshape(in, {1});
    const int64_t n = in.shape()[d];
    Tensor r = contiguous(repeats.detach());
    CR_CHECK(r.numel() == 1 || r.numel() == n, ValueError,
             "repeat_interleave: repeats must have the same size as input along dim; got ",
             r.numel(), " repeats for size ", n);
    const int64_t* rp = r.data<int64_t>();
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t k = rp[r.numel() == 1 ? 0 : i];
        CR_CHECK(k >= 0, ValueError, "repeat_interleave: repeats can not be negative; got ", k);
        idx.insert(idx.end(), static_cast<size_t>(k), i);
    }
    Tensor index = empty({static_cast<int64_t>(idx.size())}, DType::Int64);
    std::copy(idx.begin(), idx.end(), index.data<int64_t>());
    return index_select(in, d, index);
}

// ---- scatter -----------------------------------------------------------------
namespace {

// Validates scatter's arguments before anything is written (src undefined: a value).
int64_t check_scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                      const char* op) {
    CR_CHECK(index.dtype() == DType::Int64, TypeError, op, ": expected index of dtype int64; got ",
             dtype_name(index.dtype()));
    const int64_t d = wrap_dim(dim, x.dim(), op);
    CR_CHECK(index.dim() == x.dim() || index.numel() == 0, ValueError, op,
             ": index tensor must have the same number of dimensions as the input; got index ",
             shape_str(index.shape()), " and input ", shape_str(x.shape()));
    if (index.numel() == 0) return d;
    if (src.defined()) {
        CR_CHECK(src.dtype() == x.dtype(), TypeError, op, ": expected src of the input's dtype ",
                 dtype_name(x.dtype()), "; got ", dtype_name(src.dtype()));
        CR_CHECK(src.dim() == x.dim(), ValueError, op,
                 ": src must have the same number of "
                 "dimensions as the input; got src ",
                 shape_str(src.shape()), " and input ", shape_str(x.shape()));
    }
    for (int64_t k = 0; k < index.dim(); ++k) {
        CR_CHECK(k == d || index.shape()[k] <= x.shape()[k], ValueError, op, ": expected index ",
                 shape_str(index.shape()), " to be no larger than input ", shape_str(x.shape()),
                 " apart from dimension ", d);
        CR_CHECK(!src.defined() || index.shape()[k] <= src.shape()[k], ValueError, op,
                 ": expected index ", shape_str(index.shape()), " to be no larger than src ",
                 shape_str(src.shape()));
    }
    const int64_t size = x.dim() == 0 ? 1 : x.shape()[d];
    Tensor ic = contiguous(index.detach());
    const int64_t* ip = ic.data<int64_t>();
    for (int64_t i = 0; i < ic.numel(); ++i) {
        CR_CHECK(ip[i] >= 0 && ip[i] < size, IndexError, op, ": index ", ip[i],
                 " is out of bounds for dimension ", d, " with size ", size);
    }
    return d;
}

Tensor scatter_values(const Tensor& x, int64_t d, const Tensor& index, const Tensor& src,
                      double value) {
    Tensor y = empty(x.shape(), x.dtype());
    detail::copy_cast(y, x);
    CR_DISPATCH_ALL(x.dtype(), "scatter", [&] {
        scatter_kernel<scalar_t>(y, d, index, src, static_cast<scalar_t>(value));
    });
    return y;
}

// dsrc = dy.gather(dim, index), zero-padded to src's shape where src is larger than index.
Tensor gather_padded(const Tensor& dy, int64_t d, const Tensor& index, const Shape& src_shape) {
    Tensor g = gather(dy, d, index);
    if (g.shape() == src_shape) return g;
    Tensor out = zeros(src_shape, g.dtype());
    Tensor region = out;
    for (int64_t k = 0; k < g.dim(); ++k) region = narrow(region, k, 0, g.shape()[k]);
    detail::copy_cast(region, g);
    return out;
}

}  // namespace

// y = x with y[..., index[p], ...] = src[p]      dx = dy.scatter(dim, index, 0)
// dsrc = dy.gather(dim, index)                    (ScatterBackward0; a value: ...Backward1)
struct ScatterBackward final : Node {
    int64_t dim = 0;
    bool value_form = false;
    Shape src_shape;
    SavedTensor index;
    const char* nm() const { return value_form ? "ScatterBackward1" : "ScatterBackward0"; }
    TensorList apply(TensorList&& g) override {
        Tensor idx = index.unpack(nm());
        Tensor dx, dsrc;
        if (needs_input_grad(0)) dx = scatter_values(g[0], dim, idx, Tensor(), 0.0);
        if (!value_form && needs_input_grad(1)) dsrc = gather_padded(g[0], dim, idx, src_shape);
        if (value_form) return {dx};
        return {dx, dsrc};
    }
    std::string name() const override { return nm(); }
    void release_saved() override { index.reset(); }
};

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
    const int64_t d = check_scatter(x, dim, index, src, "scatter");
    Tensor y = scatter_values(x.detach(), d, index, src, 0.0);
    if (any_needs_grad({&x, &src})) {
        auto node = make_node<ScatterBackward>({&x, &src});
        node->dim = d;
        node->src_shape = src.shape();
        node->index = index;
        set_grad_fn(y, node);
    }
    return y;
}

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, double value) {
    const int64_t d = check_scatter(x, dim, index, Tensor(), "scatter");
    check_scalar_fits(value, x.dtype(), "scatter");
    Tensor y = scatter_values(x.detach(), d, index, Tensor(), value);
    if (needs_grad(x)) {
        auto node = make_node<ScatterBackward>({&x});
        node->dim = d;
        node->value_form = true;
        node->index = index;
        set_grad_fn(y, node);
    }
    return y;
}

Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
    check_inplace(self, "scatter_");
    const int64_t d = check_scatter(self, dim, index, src, "scatter_");
    std::shared_ptr<ScatterBackward> node;
    if (any_needs_grad({&self, &src})) {
        node = make_node<ScatterBackward>({&self, &src});
        node->dim = d;
        node->src_shape = src.shape();
        node->index = index;
    }
    Tensor s = src.storage() == self.storage() ? clone(src.detach()) : src.detach();
    detail::copy_cast(self, scatter_values(self.detach(), d, index, s, 0.0));
    detail::finish_inplace(self, node);
    return self;
}

Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, double value) {
    check_inplace(self, "scatter_");
    const int64_t d = check_scatter(self, dim, index, Tensor(), "scatter_");
    check_scalar_fits(value, self.dtype(), "scatter_");
    std::shared_ptr<ScatterBackward> node;
    if (needs_grad(self)) {
        node = make_node<ScatterBackward>({&self});
        node->dim = d;
        node->value_form = true;
        node->index = index;
    }
    detail::copy_cast(self, scatter_values(self.detach(), d, index, Tensor(), value));
    detail::finish_inplace(self, node);
    return self;
}

}  // namespace chainrule
