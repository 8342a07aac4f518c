// Copies that rearrange data (repeat, cat, stack, tril, triu) and splitting (split,
// split_sizes, chunk: views of the input with one multi-output node). Views are in
// shape_views.cpp, indexing in shape_index.cpp.
#include <algorithm>
#include <numeric>

#include "pointwise.h"

namespace chainrule {

namespace {

template <class V>
std::string sizes_str(const V& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

// A no-history view (the forward writes into slices of its own fresh output).
Tensor raw_narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
    Shape shape = t.shape();
    shape[dim] = length;
    return make_view(t, shape, t.strides(), t.offset() + start * t.strides()[dim]);
}

Tensor raw_select(const Tensor& t, int64_t dim, int64_t index) {
    Shape shape = t.shape();
    Strides strides = t.strides();
    shape.erase(shape.begin() + dim);
    strides.erase(strides.begin() + dim);
    return make_view(t, shape, strides, t.offset() + index * t.strides()[dim]);
}

}  // namespace

// ---- repeat ----------------------------------------------------------------
// y = x tiled r_d times along each dim d (x padded with leading 1s to len(r))
// dx = sum over the tile dims of dy viewed as (r0, s0, r1, s1, ...)
struct RepeatBackward0 final : Node {
    Shape x_shape;
    Shape tiled;  // (r0, s0, r1, s1, ...)
    TensorList apply(TensorList&& g) override {
        std::vector<int64_t> dims;
        for (size_t i = 0; i < tiled.size(); i += 2) dims.push_back(static_cast<int64_t>(i));
        Tensor dy = reshape(g[0], tiled);
        Tensor dx = dims.empty() ? dy : sum(dy, dims);
        return {reshape(dx, x_shape)};
    }
    std::string name() const override { return "RepeatBackward0"; }
};

Tensor repeat(const Tensor& x, const Shape& repeats) {
    CR_CHECK(static_cast<int64_t>(repeats.size()) >= x.dim(), ValueError,
             "repeat: number of dimensions of repeat dims can not be smaller than number of "
             "dimensions of tensor; got repeats ",
             sizes_str(repeats), " for a tensor of shape ", shape_str(x.shape()));
    const size_t n = repeats.size();
    const size_t lead = n - static_cast<size_t>(x.dim());
    Shape tiled, tiled_strides, out_shape;
    for (size_t i = 0; i < n; ++i) {
        const int64_t s = i < lead ? 1 : x.shape()[i - lead];
        CR_CHECK(repeats[i] >= 0, ValueError,
                 "repeat: trying to create tensor with negative "
                 "dimension ",
                 repeats[i] * s, "; got repeats ", sizes_str(repeats));
        tiled.push_back(repeats[i]);
        tiled.push_back(s);
        tiled_strides.push_back(0);
        tiled_strides.push_back(i < lead ? 0 : x.strides()[i - lead]);
        out_shape.push_back(repeats[i] * s);
    }
    Tensor buf = empty(tiled, x.dtype());
    detail::copy_cast(buf, make_view(x, tiled, tiled_strides, x.offset()));
    Tensor y = make_view(buf, out_shape, contiguous_strides(out_shape), 0);
    if (needs_grad(x)) {
        auto node = make_node<RepeatBackward0>({&x});
        node->x_shape = x.shape();
        node->tiled = tiled;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- cat -------------------------------------------------------------------
// y = [x_0, x_1, ...] along dim        dx_i = narrow(dy, dim, offset_i, size_i)
// Legacy empty 1-D tensors of shape (0,) are skipped (they still take part in promotion).
struct CatBackward0 final : Node {
    int64_t dim = 0;
    std::vector<int64_t> offsets, sizes;  // size -1: a skipped (0,) input
    TensorList apply(TensorList&& g) override {
        TensorList out(sizes.size());
        for (size_t i = 0; i < sizes.size(); ++i) {
            if (!needs_input_grad(i)) continue;
            out[i] =
                sizes[i] < 0 ? zeros({0}, g[0].dtype()) : narrow(g[0], dim, offsets[i], sizes[i]);
        }
        return out;
    }
    std::string name() const override { return "CatBackward0"; }
};

Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
    CR_CHECK(!xs.empty(), ValueError, "cat: expected a non-empty list of Tensors");
    DType dtype = xs[0].dtype();
    const Tensor* ref = nullptr;  // first tensor that is not skipped
    for (size_t i = 0; i < xs.size(); ++i) {
        CR_CHECK(xs[i].dim() > 0, ValueError, "cat: zero-dimensional tensor (at position ", i,
                 ") cannot be concatenated");
        dtype = promote_types(dtype, xs[i].dtype());
        const bool skip = xs[i].dim() == 1 && xs[i].numel() == 0;
        if (!skip && !ref) ref = &xs[i];
    }
    if (!ref) ref = &xs[0];
    const int64_t d = wrap_dim(dim, ref->dim(), "cat");
    Shape out_shape = ref->shape();
    out_shape[d] = 0;
    std::vector<int64_t> offsets(xs.size(), 0), sizes(xs.size(), -1);
    for (size_t i = 0; i < xs.size(); ++i) {
        const Tensor& x = xs[i];
        if (x.dim() == 1 && x.numel() == 0 && &x != ref) continue;
        CR_CHECK(x.dim() == ref->dim(), ValueError,
                 "cat: tensors must have same number of dimensions; got ", ref->dim(), " and ",
                 x.dim(), " (shapes ", shape_str(ref->shape()), " and ", shape_str(x.shape()), ")");
        for (int64_t k = 0; k < x.dim(); ++k) {
            CR_CHECK(k == d || x.shape()[k] == ref->shape()[k], ValueError,
                     "cat: sizes of tensors must match except in dimension ", d, "; expected size ",
                     ref->shape()[k], " but got size ", x.shape()[k], " for tensor number ", i,
                     " in the list (shapes ", shape_str(ref->shape()), " and ",
                     shape_str(x.shape()), ")");
        }
        offsets[i] = out_shape[d];
        sizes[i] = x.shape()[d];
        out_shape[d] += x.shape()[d];
    }
    Tensor y = empty(out_shape, dtype);
    for (size_t i = 0; i < xs.size(); ++i) {
        if (sizes[i] > 0) detail::copy_cast(raw_narrow(y, d, offsets[i], sizes[i]), xs[i]);
    }
    bool any = false;
    for (const Tensor& x : xs) any = any || needs_grad(x);
    if (any && is_floating(dtype)) {
        auto node = std::make_shared<CatBackward0>();
        collect_edges(node, xs);
        node->dim = d;
        node->offsets = std::move(offsets);
        node->sizes = std::move(sizes);
        set_grad_fn(y, node);
    }
    return y;
}

// ---- stack -----------------------------------------------------------------
// y = [x_0, x_1, ...] along a new dim        dx_i = select(dy, dim, i)
struct StackBackward0 final : Node {
    int64_t dim = 0;
    TensorList apply(TensorList&& g) override {
        TensorList out(next_edges.size());
        for (size_t i = 0; i < out.size(); ++i) {
            if (needs_input_grad(i)) out[i] = select(g[0], dim, static_cast<int64_t>(i));
        }
        return out;
    }
    std::string name() const override { return "StackBackward0"; }
};

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
    CR_CHECK(!xs.empty(), ValueError, "stack: expects a non-empty TensorList");
    DType dtype = xs[0].dtype();
    for (size_t i = 0; i < xs.size(); ++i) {
        CR_CHECK(xs[i].shape() == xs[0].shape(), ValueError,
                 "stack: expects each tensor to be equal size, but got ", shape_str(xs[0].shape()),
                 " at entry 0 and ", shape_str(xs[i].shape()), " at entry ", i);
        dtype = promote_types(dtype, xs[i].dtype());
    }
    const int64_t d = wrap_dim(dim, xs[0].dim() + 1, "stack");
    Shape out_shape = xs[0].shape();
    out_shape.insert(out_shape.begin() + d, static_cast<int64_t>(xs.size()));
    Tensor y = empty(out_shape, dtype);
    for (size_t i = 0; i < xs.size(); ++i) {
        detail::copy_cast(raw_select(y, d, static_cast<int64_t>(i)), xs[i]);
    }
    bool any = false;
    for (const Tensor& x : xs) any = any || needs_grad(x);
    if (any && is_floating(dtype)) {
        auto node = std::make_shared<StackBackward0>();
        collect_edges(node, xs);
        node->dim = d;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- split / split_sizes / chunk ---------------------------------------------
// y_i = narrow(x, dim, offset_i, size_i) (views)      dx = cat(dy_0, dy_1, ...) along dim
// One node with one output per piece; the engine zero-fills the pieces without a gradient.
struct SplitBackward0 final : Node {
    int64_t dim = 0;
    bool with_sizes = false;
    TensorList apply(TensorList&& g) override { return {cat(g, dim)}; }
    std::string name() const override {
        return with_sizes ? "SplitWithSizesBackward0" : "SplitBackward0";
    }
};

namespace {
std::vector<Tensor> split_views(const Tensor& x, const std::vector<int64_t>& sizes, int64_t d,
                                bool with_sizes) {
    std::vector<Tensor> out;
    out.reserve(sizes.size());
    std::shared_ptr<SplitBackward0> node;
    if (needs_grad(x)) {
        node = make_node<SplitBackward0>({&x});
        node->dim = d;
        node->with_sizes = with_sizes;
    }
    int64_t start = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
        Tensor y = raw_narrow(x, d, start, sizes[i]);
        start += sizes[i];
        if (node) {
            set_grad_fn(y, node, static_cast<uint32_t>(i));
            y.impl()->meta().is_view = true;
        }
        out.push_back(std::move(y));
    }
    return out;
}
}  // namespace

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
    CR_CHECK(x.dim() > 0, ValueError, "split: expects at least a 1-dimensional tensor");
    const int64_t d = wrap_dim(dim, x.dim(), "split");
    CR_CHECK(split_size >= 0, ValueError,
             "split: expects split_size be non-negative, but got split_size=", split_size);
    const int64_t n = x.shape()[d];
    CR_CHECK(split_size != 0 || n == 0, ValueError,
             "split: split_size can only be 0 if dimension size is 0, but got dimension size of ",
             n);
    const int64_t pieces =
        split_size == 0 ? 1 : std::max<int64_t>((n + split_size - 1) / split_size, 1);
    std::vector<int64_t> sizes(pieces, split_size);
    sizes.back() = n - split_size * (pieces - 1);
    return split_views(x, sizes, d, false);
}

std::vector<Tensor> split_sizes(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
    CR_CHECK(x.dim() > 0, ValueError, "split_with_sizes: expects at least a 1-dimensional tensor");
    const int64_t d = wrap_dim(dim, x.dim(), "split_with_sizes");
    int64_t total = 0;
    for (int64_t s : sizes) {
        CR_CHECK(s >= 0, ValueError,
                 "split_with_sizes: expects split_sizes have only "
                 "non-negative entries, but got split_sizes=",
                 sizes_str(sizes));
        total += s;
    }
    CR_CHECK(total == x.shape()[d], ValueError,
             "split_with_sizes: expects split_sizes to sum "
             "exactly to ",
             x.shape()[d], " (input tensor's size at dimension ", d,
             "), but got split_sizes=", sizes_str(sizes));
    return split_views(x, sizes, d, true);
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
    CR_CHECK(x.dim() > 0, ValueError, "chunk: expects at least a 1-dimensional tensor");
    CR_CHECK(chunks > 0, ValueError, "chunk: expects `chunks` to be greater than 0, got: ", chunks);
    const int64_t d = wrap_dim(dim, x.dim(), "chunk");
    const int64_t n = x.shape()[d];
    const int64_t split_size = (n + chunks - 1) / chunks;
    if (split_size == 0 && n == 0) {
        // PyTorch returns `chunks` empty pieces here (split_with_sizes of zeros).
        return split_views(x, std::vector<int64_t>(chunks, 0), d, true);
    }
    return split(x, split_size, d);
}

// ---- tril / triu -----------------------------------------------------------
// y = x where (j - i <= k) [tril] / (j - i >= k) [triu], else 0      dx = tril/triu(dy, k)
struct TrilBackward0 final : Node {
    int64_t diagonal = 0;
    bool upper = false;
    TensorList apply(TensorList&& g) override {
        return {upper ? triu(g[0], diagonal) : tril(g[0], diagonal)};
    }
    std::string name() const override { return upper ? "TriuBackward0" : "TrilBackward0"; }
};

namespace {
Tensor triangle(const Tensor& x, int64_t k, bool upper, const char* op) {
    CR_CHECK(x.dim() >= 2, ValueError, op,
             ": input tensor must have at least 2 dimensions; got "
             "shape ",
             shape_str(x.shape()));
    Tensor y = empty_like(x);
    detail::copy_cast(y, x);
    const int64_t rows = x.shape()[x.dim() - 2], cols = x.shape()[x.dim() - 1];
    const int64_t mats = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
    CR_DISPATCH_ALL(x.dtype(), op, [&] {
        scalar_t* p = y.data<scalar_t>();
        parallel_for(0, mats * rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(cols, 1)),
                     [&](int64_t b, int64_t e) {
                         for (int64_t r = b; r < e; ++r) {
                             const int64_t i = r % rows;
                             scalar_t* row = p + r * cols;
                             // tril zeroes j > i + k; triu zeroes j < i + k.
                             if (upper) {
                                 const int64_t stop = std::clamp<int64_t>(i + k, 0, cols);
                                 std::fill(row, row + stop, scalar_t(0));
                             } else {
                                 const int64_t from = std::clamp<int64_t>(i + k + 1, 0, cols);
                                 std::fill(row + from, row + cols, scalar_t(0));
                             }
                         }
                     });
    });
    if (needs_grad(x)) {
        auto node = make_node<TrilBackward0>({&x});
        node->diagonal = k;
        node->upper = upper;
        set_grad_fn(y, node);
    }
    return y;
}
}  // namespace

Tensor tril(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, false, "tril"); }
Tensor triu(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, true, "triu"); }

}  // namespace chainrule
