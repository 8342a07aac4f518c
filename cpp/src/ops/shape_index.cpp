// Indexing with index tensors: index_select, gather, advanced indexing (index) and its
// in-place twin index_put_. Basic indexing (ints, slices) is views (shape_views.cpp), and the
// Python key parsing of t[...] lives in bind_shape.cpp.
#include "../kernels/shape/index_loops.h"
#include "pointwise.h"

namespace chainrule {

namespace {

std::string sizes_str(const Shape& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

void check_index_dtype(const Tensor& index, const char* op) {
    CR_CHECK(index.dtype() == DType::Int64, TypeError, op, ": expected dtype int64 for index; got ",
             dtype_name(index.dtype()));
}

// Checks 0 <= v < n for every element (no wrapping), throwing Err naming op.
template <class Err>
void check_range(const Tensor& index, int64_t n, const char* op, const char* what) {
    Tensor c = contiguous(index);
    const int64_t* p = c.data<int64_t>();
    for (int64_t i = 0; i < c.numel(); ++i) {
        CR_CHECK(p[i] >= 0 && p[i] < n, Err, op, ": index ", p[i], " is out of bounds for ", what,
                 " with size ", n);
    }
}

// x's strides at `shape` = x.shape with dim d replaced, with 0 at d (the index moves there).
Strides strides_without(const Strides& st, int64_t d) {
    Strides s = st;
    if (!s.empty()) s[d] = 0;
    return s;
}

}  // namespace

// ---- index_select ----------------------------------------------------------
// y = x taken at index along dim        dx = zeros(x.shape) with dy scatter-added at index
struct IndexSelectBackward0 final : Node {
    Shape x_shape;
    int64_t dim = 0;
    SavedTensor index;
    TensorList apply(TensorList&& g) override {
        Tensor idx = index.unpack("IndexSelectBackward0");
        Tensor dx = zeros(x_shape, g[0].dtype());
        Strides is(g[0].dim(), 0);
        if (idx.dim() == 1 && g[0].dim()) is[dim] = idx.strides()[0];
        const int64_t mult = dx.dim() ? dx.strides()[dim] : 0;
        scatter_loop(dx, strides_without(dx.strides(), dim), g[0], g[0].strides(), idx, is, mult,
                     g[0].shape(), true);
        return {dx};
    }
    std::string name() const override { return "IndexSelectBackward0"; }
    void release_saved() override { index.reset(); }
};

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
    check_index_dtype(index, "index_select");
    CR_CHECK(index.dim() <= 1, IndexError,
             "index_select: index is supposed to be a vector; got shape ",
             shape_str(index.shape()));
    const int64_t d = wrap_dim(dim, x.dim(), "index_select");
    const int64_t n = x.dim() ? x.shape()[d] : 1;
    check_range<IndexError>(index, n, "index_select", "the selected dimension");
    Shape shape = x.shape();
    if (x.dim()) {
        shape[d] = index.numel();
    } else {
        CR_CHECK(index.numel() == 1, IndexError,
                 "index_select: index of a 0-d tensor must have "
                 "one element; got shape ",
                 shape_str(index.shape()));
    }
    Tensor y = empty(shape, x.dtype());
    Strides is(shape.size(), 0);
    if (index.dim() == 1 && x.dim()) is[d] = index.strides()[0];
    gather_loop(y, x, strides_without(x.strides(), d), index, is, x.dim() ? x.strides()[d] : 0);
    if (needs_grad(x)) {
        auto node = make_node<IndexSelectBackward0>({&x});
        node->x_shape = x.shape();
        node->dim = d;
        node->index = index;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- gather ----------------------------------------------------------------
// y[..i.., j, ..k..] = x[..i.., index[..i.., j, ..k..], ..k..] (along dim)
// dx = zeros(x.shape) with dy scatter-added at index along dim
struct GatherBackward0 final : Node {
    Shape x_shape;
    int64_t dim = 0;
    SavedTensor index;
    TensorList apply(TensorList&& g) override {
        Tensor idx = index.unpack("GatherBackward0");
        Tensor dx = zeros(x_shape, g[0].dtype());
        const int64_t mult = dx.dim() ? dx.strides()[dim] : 0;
        scatter_loop(dx, strides_without(dx.strides(), dim), g[0], g[0].strides(), idx,
                     idx.strides(), mult, idx.shape(), true);
        return {dx};
    }
    std::string name() const override { return "GatherBackward0"; }
    void release_saved() override { index.reset(); }
};

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
    check_index_dtype(index, "gather");
    const int64_t d = wrap_dim(dim, x.dim(), "gather");
    CR_CHECK(index.dim() == x.dim(), ValueError,
             "gather: index tensor must have the same number "
             "of dimensions as input tensor; got index shape ",
             shape_str(index.shape()), " and input shape ", shape_str(x.shape()));
    for (int64_t k = 0; k < x.dim(); ++k) {
        CR_CHECK(k == d || index.shape()[k] <= x.shape()[k], ValueError,
                 "gather: size does not match at dimension ", k, "; expected index ",
                 sizes_str(index.shape()), " to be no larger than self ", sizes_str(x.shape()),
                 " apart from dimension ", d);
    }
    check_range<RuntimeError>(index, x.dim() ? x.shape()[d] : 1, "gather",
                              "the gathered dimension");
    Tensor y = empty(index.shape(), x.dtype());
    gather_loop(y, x, strides_without(x.strides(), d), index, index.strides(),
                x.dim() ? x.strides()[d] : 0);
    if (needs_grad(x)) {
        auto node = make_node<GatherBackward0>({&x});
        node->x_shape = x.shape();
        node->dim = d;
        node->index = index;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- index (advanced indexing) -----------------------------------------------
namespace {

// Index tensors resolved per dim of x: int64, wrapped into [0, size), broadcast to `bshape`.
struct Resolved {
    std::vector<Tensor> idx;  // one per dim of x; undefined = full slice
    Shape bshape;             // broadcast shape of the index tensors
    Shape out_shape;          // shape of x[indices]
    bool adjacent = true;     // indexed dims form one run: B goes in place, else first
    int64_t first = 0;        // first indexed dim
};

// PyTorch's nonzero for a bool mask: one int64 column per mask dim, row-major order.
std::vector<Tensor> mask_to_indices(const Tensor& mask) {
    Tensor m = contiguous(mask);
    const bool* p = m.data<bool>();
    int64_t count = 0;
    for (int64_t i = 0; i < m.numel(); ++i) count += p[i] ? 1 : 0;
    std::vector<Tensor> cols;
    std::vector<int64_t*> ptr;
    for (int64_t k = 0; k < m.dim(); ++k) {
        cols.push_back(empty({count}, DType::Int64));
        ptr.push_back(cols.back().data<int64_t>());
    }
    int64_t row = 0;
    for (int64_t i = 0; i < m.numel(); ++i) {
        if (!p[i]) continue;
        int64_t rem = i;
        for (int64_t k = m.dim(); k-- > 0;) {
            ptr[k][row] = rem % m.shape()[k];
            rem /= m.shape()[k];
        }
        ++row;
    }
    return cols;
}

Resolved resolve(const Tensor& x, const std::vector<Tensor>& indices, const char* op) {
    Resolved r;
    std::vector<Tensor> per_dim;
    for (const Tensor& t : indices) {
        if (!t.defined()) {
            per_dim.emplace_back();
            continue;
        }
        const int64_t at = static_cast<int64_t>(per_dim.size());
        if (t.dtype() == DType::Bool) {
            CR_CHECK(t.dim() > 0, ValueError, op,
                     ": a 0-d bool index must be handled by the "
                     "caller (it adds a dim)");
            CR_CHECK(at + t.dim() <= x.dim(), IndexError, op,
                     ": too many indices for tensor of "
                     "dimension ",
                     x.dim());
            for (int64_t k = 0; k < t.dim(); ++k) {
                CR_CHECK(t.shape()[k] == x.shape()[at + k], IndexError, op,
                         ": the shape of the "
                         "mask ",
                         sizes_str(t.shape()), " at index ", k,
                         " does not match the "
                         "shape of the indexed tensor ",
                         sizes_str(x.shape()), " at index ", at + k);
            }
            for (Tensor& c : mask_to_indices(t)) per_dim.push_back(std::move(c));
            continue;
        }
        CR_CHECK(t.dtype() == DType::Int64, IndexError, op,
                 ": tensors used as indices must be "
                 "long or bool tensors; got ",
                 dtype_name(t.dtype()));
        per_dim.push_back(t);
    }
    CR_CHECK(static_cast<int64_t>(per_dim.size()) <= x.dim(), IndexError, op,
             ": too many indices for tensor of dimension ", x.dim(), " (got ", per_dim.size(), ")");
    per_dim.resize(x.dim());
    // Broadcast the index shapes (IndexError, as PyTorch).
    std::vector<int64_t> dims;
    for (int64_t d = 0; d < x.dim(); ++d) {
        if (!per_dim[d].defined()) continue;
        const Shape& s = per_dim[d].shape();
        if (dims.empty()) {
            r.bshape = s;
        } else {
            Shape b(std::max(r.bshape.size(), s.size()), 1);
            bool ok = true;
            for (size_t i = 0; i < b.size(); ++i) {
                const int64_t u =
                    i + r.bshape.size() >= b.size() ? r.bshape[i + r.bshape.size() - b.size()] : 1;
                const int64_t v = i + s.size() >= b.size() ? s[i + s.size() - b.size()] : 1;
                ok = ok && (u == v || u == 1 || v == 1);
                b[i] = u == 1 ? v : u;
            }
            if (!ok) {
                std::string shapes;
                for (int64_t e : dims) shapes += sizes_str(per_dim[e].shape()) + ", ";
                CR_CHECK(false, IndexError, op,
                         ": shape mismatch: indexing tensors could not be "
                         "broadcast together with shapes ",
                         shapes, sizes_str(s));
            }
            r.bshape = b;
        }
        dims.push_back(d);
    }
    CR_CHECK(!dims.empty(), ValueError, op, ": expected at least one index tensor");
    // Wrap negatives and check the range before anything is written.
    for (int64_t d : dims) {
        const int64_t n = x.shape()[d];
        Tensor src = contiguous(per_dim[d]);
        Tensor w = empty(src.shape(), DType::Int64);
        const int64_t* p = src.data<int64_t>();
        int64_t* q = w.data<int64_t>();
        for (int64_t i = 0; i < src.numel(); ++i) {
            CR_CHECK(p[i] >= -n && p[i] < n, IndexError, op, ": index ", p[i],
                     " is out of bounds for dimension ", d, " with size ", n);
            q[i] = p[i] < 0 ? p[i] + n : p[i];
        }
        per_dim[d] = w;
    }
    for (size_t i = 1; i < dims.size(); ++i) r.adjacent = r.adjacent && dims[i] == dims[i - 1] + 1;
    r.first = dims.front();
    r.idx = std::move(per_dim);
    // Result: x's dims before the run, B, x's dims after (adjacent), or B then the rest.
    const int64_t last = dims.back();
    if (r.adjacent) {
        r.out_shape.assign(x.shape().begin(), x.shape().begin() + r.first);
        r.out_shape.insert(r.out_shape.end(), r.bshape.begin(), r.bshape.end());
        r.out_shape.insert(r.out_shape.end(), x.shape().begin() + last + 1, x.shape().end());
    } else {
        r.out_shape = r.bshape;
        for (int64_t d = 0; d < x.dim(); ++d) {
            if (!r.idx[d].defined()) r.out_shape.push_back(x.shape()[d]);
        }
    }
    return r;
}

// Element offsets into a tensor of the given strides: off[b] = sum_d idx_d[b] * strides[d].
Tensor combined_offsets(const Resolved& r, const Strides& strides) {
    Tensor off = zeros(r.bshape, DType::Int64);
    for (size_t d = 0; d < r.idx.size(); ++d) {
        if (!r.idx[d].defined()) continue;
        const int64_t st = strides[d];
        detail::binary_loop<int64_t, int64_t>(off, off, r.idx[d],
                                              [st](int64_t o, int64_t i) { return o + i * st; });
    }
    return off;
}

// Strides at r.out_shape: of the indexed tensor (0 on B dims) and of `off` (0 elsewhere).
void layout_strides(const Resolved& r, const Strides& x_strides, const Tensor& off, Strides& xs,
                    Strides& os) {
    const Strides ob = kernels::broadcast_strides(off, r.bshape);
    const size_t nb = r.bshape.size();
    xs.clear();
    os.clear();
    auto push_b = [&] {
        for (size_t i = 0; i < nb; ++i) {
            xs.push_back(0);
            os.push_back(ob[i]);
        }
    };
    if (r.adjacent) {
        for (int64_t d = 0; d < r.first; ++d) {
            xs.push_back(x_strides[d]);
            os.push_back(0);
        }
        push_b();
        int64_t d = r.first;
        while (d < static_cast<int64_t>(r.idx.size()) && r.idx[d].defined()) ++d;
        for (; d < static_cast<int64_t>(r.idx.size()); ++d) {
            xs.push_back(x_strides[d]);
            os.push_back(0);
        }
    } else {
        push_b();
        for (size_t d = 0; d < r.idx.size(); ++d) {
            if (r.idx[d].defined()) continue;
            xs.push_back(x_strides[d]);
            os.push_back(0);
        }
    }
}

}  // namespace

// y = x[indices]        dx = zeros(x.shape) with dy accumulated at indices (index_put, +=)
struct IndexBackward0 final : Node {
    Shape x_shape;
    Resolved r;  // private wrapped copies of the indices
    bool released = false;
    TensorList apply(TensorList&& g) override {
        CR_CHECK(!released, RuntimeError,
                 "IndexBackward0: trying to backward through the graph "
                 "a second time; saved tensors were freed. Specify retain_graph=True if you need "
                 "to backward through the graph a second time");
        Tensor dx = zeros(x_shape, g[0].dtype());
        Tensor off = combined_offsets(r, dx.strides());
        Strides xs, os;
        layout_strides(r, dx.strides(), off, xs, os);
        scatter_loop(dx, xs, g[0], g[0].strides(), off, os, 1, g[0].shape(), true);
        return {dx};
    }
    std::string name() const override { return "IndexBackward0"; }
    void release_saved() override {
        r.idx.clear();
        released = true;
    }
};

Tensor index(const Tensor& x, const std::vector<Tensor>& indices) {
    Resolved r = resolve(x, indices, "index");
    Tensor off = combined_offsets(r, x.strides());
    Strides xs, os;
    layout_strides(r, x.strides(), off, xs, os);
    Tensor y = empty(r.out_shape, x.dtype());
    gather_loop(y, x, xs, off, os, 1);
    if (needs_grad(x)) {
        auto node = make_node<IndexBackward0>({&x});
        node->x_shape = x.shape();
        node->r = std::move(r);
        set_grad_fn(y, node);
    }
    return y;
}

// ---- index_put_ ------------------------------------------------------------
// x[indices] = values (broadcast, cast to x's dtype); with repeated indices one write wins.
// Not differentiable here: __setitem__ is for tensors that do not require grad.
Tensor& index_put_(Tensor& x, const std::vector<Tensor>& indices, const Tensor& values) {
    // An expanded x is like repeated indices: one write wins (PyTorch allows it, deprecated).
    check_inplace(x, "index_put_", InplaceOverlap::Allow);
    CR_CHECK(!grad_enabled() || (!x.requires_grad() && !values.requires_grad()), RuntimeError,
             "index_put_: in-place indexed assignment is not differentiable in chainrule; the "
             "target and the value must not require grad (use torch-style out-of-place ops, "
             "or wrap the assignment in `with cr.no_grad():`)");
    check_scalar_fits(values, x.dtype(), "index_put_");  // a Python number (from __setitem__)
    Resolved r = resolve(x, indices, "index_put_");
    // Leading size-1 dims of the value are dropped, as PyTorch's setitem does.
    Tensor v = values;
    while (v.dim() > static_cast<int64_t>(r.out_shape.size()) && v.shape()[0] == 1) {
        v = make_view(v, Shape(v.shape().begin() + 1, v.shape().end()),
                      Strides(v.strides().begin() + 1, v.strides().end()), v.offset());
    }
    bool ok = v.dim() <= static_cast<int64_t>(r.out_shape.size());
    for (int64_t i = 0; ok && i < v.dim(); ++i) {
        const int64_t a = v.shape()[v.dim() - 1 - i];
        ok = a == 1 || a == r.out_shape[r.out_shape.size() - 1 - i];
    }
    CR_CHECK(ok, ValueError, "index_put_: shape mismatch: value tensor of shape ",
             sizes_str(values.shape()), " cannot be broadcast to indexing result of shape ",
             sizes_str(r.out_shape));
    // Copy the value out first when it overlaps the target (x[i] = x[j]), and cast it.
    Tensor src = v.storage() == x.storage() ? clone(v.detach()) : v;
    src = detail::cast_for_compute(src, x.dtype());
    const Strides ss = kernels::broadcast_strides(src, r.out_shape);
    Tensor off = combined_offsets(r, x.strides());
    Strides xs, os;
    layout_strides(r, x.strides(), off, xs, os);
    scatter_loop(x, xs, src, ss, off, os, 1, r.out_shape, false);
    x.bump_version();
    return x;
}

}  // namespace chainrule
