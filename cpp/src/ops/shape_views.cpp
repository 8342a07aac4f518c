// View ops: new shape/strides/offset over the same storage, each with its derivative.
#include <algorithm>
#include <numeric>

#include "pointwise.h"

namespace chainrule {

namespace {

// Records that `y` views `x`'s storage (in-place writes through it are then refused when
// history is involved) and attaches node when x needs grad.
Tensor finish_view(Tensor y, const std::shared_ptr<Node>& node) {
    if (node) {
        set_grad_fn(y, node);
        y.impl()->meta().is_view = true;
    }
    return y;
}

// Replaces a single -1 by the size that keeps numel; validates the result.
Shape infer_size(const Shape& shape, int64_t numel, const char* op) {
    Shape out = shape;
    int64_t known = 1;
    int infer = -1;
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i] == -1) {
            CR_CHECK(infer < 0, ValueError, op, ": only one dimension can be inferred; got shape ",
                     shape_str(shape));
            infer = static_cast<int>(i);
        } else {
            CR_CHECK(out[i] >= 0, ValueError, op, ": invalid shape dimension ", out[i], " in ",
                     shape_str(shape));
            known *= out[i];
        }
    }
    if (infer >= 0) {
        CR_CHECK(known != 0 && numel % known == 0, ValueError, op, ": shape ", shape_str(shape),
                 " is invalid for input of size ", numel);
        out[infer] = numel / known;
    }
    CR_CHECK(numel_of(out) == numel, ValueError, op, ": shape ", shape_str(shape),
             " is invalid for input of size ", numel);
    return out;
}

// Strides for viewing (old_shape, old_strides) as new_shape without a copy, if possible
// (the chunk-matching algorithm PyTorch uses in computeStride).
bool view_strides(const Shape& old_shape, const Strides& old_strides, const Shape& new_shape,
                  Strides& out) {
    out.assign(new_shape.size(), 0);
    if (old_shape.empty()) {
        std::fill(out.begin(), out.end(), 1);
        return true;
    }
    const int64_t numel = numel_of(old_shape);
    if (numel == 0) {
        out = contiguous_strides(new_shape);
        return true;
    }
    int64_t view_d = static_cast<int64_t>(new_shape.size()) - 1;
    int64_t chunk_base_stride = old_strides.back();
    int64_t tensor_numel = 1, view_numel = 1;
    for (int64_t d = static_cast<int64_t>(old_shape.size()) - 1; d >= 0; --d) {
        tensor_numel *= old_shape[d];
        if (d == 0 ||
            (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
            while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
                out[view_d] = view_numel * chunk_base_stride;
                view_numel *= new_shape[view_d];
                --view_d;
            }
            if (view_numel != tensor_numel) return false;
            if (d > 0) {
                chunk_base_stride = old_strides[d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    return view_d == -1;
}

}  // namespace

// ---- view / reshape --------------------------------------------------------
// y = x seen with another shape        dx = reshape(dy, x.shape)
struct ViewBackward0 final : Node {
    Shape x_shape;
    const char* nm = "ViewBackward0";  // squeeze/unsqueeze share the math under their names
    TensorList apply(TensorList&& g) override { return {reshape(g[0], x_shape)}; }
    std::string name() const override { return nm; }
};

namespace {
Tensor view_as_shape(const Tensor& x, const Shape& shape, const Strides& strides,
                     const char* node_name = "ViewBackward0") {
    std::shared_ptr<ViewBackward0> node;
    if (needs_grad(x)) {
        node = make_node<ViewBackward0>({&x});
        node->x_shape = x.shape();
        node->nm = node_name;
    }
    return finish_view(make_view(x, shape, strides, x.offset()), node);
}
}  // namespace

Tensor view(const Tensor& x, const Shape& shape) {
    const Shape s = infer_size(shape, x.numel(), "view");
    Strides st;
    CR_CHECK(view_strides(x.shape(), x.strides(), s, st), RuntimeError, "view: size ", shape_str(s),
             " is not compatible with input tensor's size ", shape_str(x.shape()),
             " and strides; at least one dimension spans across two contiguous subspaces. "
             "Use .reshape(...) instead");
    return view_as_shape(x, s, st);
}

Tensor reshape(const Tensor& x, const Shape& shape) {
    const Shape s = infer_size(shape, x.numel(), "reshape");
    if (s == x.shape()) return x.requires_grad() ? view_as_shape(x, s, x.strides()) : x.alias();
    Strides st;
    if (view_strides(x.shape(), x.strides(), s, st)) return view_as_shape(x, s, st);
    Tensor c = clone(x);
    return view_as_shape(c, s, contiguous_strides(s), "UnsafeViewBackward0");
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
    const int64_t s = wrap_dim(start_dim, x.dim(), "flatten");  // 0-d: dims -1 and 0 only
    const int64_t e = wrap_dim(end_dim, x.dim(), "flatten");
    if (x.dim() == 0) return reshape(x, {1});
    CR_CHECK(s <= e, ValueError, "flatten: start_dim ", start_dim, " comes after end_dim ",
             end_dim);
    if (s == e) return x;
    Shape shape(x.shape().begin(), x.shape().begin() + s);
    int64_t n = 1;
    for (int64_t d = s; d <= e; ++d) n *= x.shape()[d];
    shape.push_back(n);
    shape.insert(shape.end(), x.shape().begin() + e + 1, x.shape().end());
    return reshape(x, shape);
}

Tensor unflatten(const Tensor& x, int64_t dim, const Shape& sizes) {
    const int64_t d = wrap_dim(dim, x.dim(), "unflatten");
    CR_CHECK(!sizes.empty(), ValueError, "unflatten: sizes must be non-empty");
    const Shape inner = infer_size(sizes, x.shape()[d], "unflatten");
    Shape shape(x.shape().begin(), x.shape().begin() + d);
    shape.insert(shape.end(), inner.begin(), inner.end());
    shape.insert(shape.end(), x.shape().begin() + d + 1, x.shape().end());
    return view(x, shape);
}

// ---- squeeze / unsqueeze ---------------------------------------------------
// Pure reshapes: dx = reshape(dy, x.shape).
Tensor squeeze(const Tensor& x, std::optional<std::vector<int64_t>> dims) {
    std::vector<bool> drop(x.dim(), false);
    if (!dims) {
        for (int64_t d = 0; d < x.dim(); ++d) drop[d] = x.shape()[d] == 1;
    } else {
        for (int64_t d : *dims) {
            const int64_t w = wrap_dim(d, x.dim(), "squeeze");
            if (x.dim() > 0) drop[w] = x.shape()[w] == 1;
        }
    }
    Shape shape;
    Strides strides;
    for (int64_t d = 0; d < x.dim(); ++d) {
        if (drop[d]) continue;
        shape.push_back(x.shape()[d]);
        strides.push_back(x.strides()[d]);
    }
    return view_as_shape(x, shape, strides, dims ? "SqueezeBackward1" : "SqueezeBackward0");
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
    const int64_t d = wrap_dim(dim, x.dim() + 1, "unsqueeze");
    Shape shape = x.shape();
    Strides strides = x.strides();
    const int64_t st = d < x.dim() ? shape[d] * strides[d] : 1;
    shape.insert(shape.begin() + d, 1);
    strides.insert(strides.begin() + d, st);
    return view_as_shape(x, shape, strides, "UnsqueezeBackward0");
}

// ---- permute / transpose ---------------------------------------------------
// y = x with dims reordered by p        dx = permute(dy, inverse(p))
struct PermuteBackward0 final : Node {
    std::vector<int64_t> inverse;
    std::string nm = "PermuteBackward0";
    TensorList apply(TensorList&& g) override { return {permute(g[0], inverse)}; }
    std::string name() const override { return nm; }
};

namespace {
Tensor permute_impl(const Tensor& x, const std::vector<int64_t>& dims, const char* node_name) {
    CR_CHECK(static_cast<int64_t>(dims.size()) == x.dim(), ValueError,
             "permute: number of dims don't match; the input has ", x.dim(), " dims but ",
             dims.size(), " were given");
    std::vector<bool> seen(x.dim(), false);
    Shape shape(x.dim());
    Strides strides(x.dim());
    std::vector<int64_t> inverse(x.dim());
    for (int64_t i = 0; i < x.dim(); ++i) {
        const int64_t d = wrap_dim(dims[i], x.dim(), "permute");
        CR_CHECK(!seen[d], ValueError, "permute: dim ", d, " appears more than once");
        seen[d] = true;
        shape[i] = x.shape()[d];
        strides[i] = x.strides()[d];
        inverse[d] = i;
    }
    std::shared_ptr<PermuteBackward0> node;
    if (needs_grad(x)) {
        node = make_node<PermuteBackward0>({&x});
        node->inverse = inverse;
        node->nm = node_name;
    }
    return finish_view(make_view(x, shape, strides, x.offset()), node);
}
}  // namespace

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
    return permute_impl(x, dims, "PermuteBackward0");
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
    const int64_t a = wrap_dim(dim0, x.dim(), "transpose");
    const int64_t b = wrap_dim(dim1, x.dim(), "transpose");
    if (x.dim() == 0) return x;
    std::vector<int64_t> p(x.dim());
    std::iota(p.begin(), p.end(), 0);
    std::swap(p[a], p[b]);
    return permute_impl(x, p, "TransposeBackward0");
}

Tensor t_(const Tensor& x, bool as_t_op) {
    std::vector<int64_t> p(x.dim());
    std::iota(p.rbegin(), p.rend(), 0);
    // .T is a permute in PyTorch; only t() records TBackward0.
    return permute_impl(x, p, as_t_op && x.dim() == 2 ? "TBackward0" : "PermuteBackward0");
}

Tensor mT(const Tensor& x) {
    CR_CHECK(x.dim() >= 2, ValueError,
             "mT: tensor.mT is only supported on matrices or batches "
             "of matrices; got a ",
             x.dim(), "-D tensor");
    return transpose(x, -2, -1);
}

// ---- expand ----------------------------------------------------------------
// y = x broadcast to shape (stride 0)   dx = sum_to(dy, x.shape)
struct ExpandBackward0 final : Node {
    Shape x_shape;
    TensorList apply(TensorList&& g) override { return {sum_to(g[0], x_shape)}; }
    std::string name() const override { return "ExpandBackward0"; }
};

Tensor expand(const Tensor& x, const Shape& shape) {
    CR_CHECK(shape.size() >= x.shape().size(), ValueError, "expand: the number of sizes provided (",
             shape.size(), ") must be greater or equal to the number of dimensions in the tensor (",
             x.dim(), ")");
    const size_t lead = shape.size() - x.shape().size();
    Shape out(shape.size());
    Strides strides(shape.size());
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i < lead) {
            CR_CHECK(shape[i] >= 0, ValueError,
                     "expand: -1 is not allowed in a leading, "
                     "non-existing dimension; got ",
                     shape_str(shape));
            out[i] = shape[i];
            strides[i] = 0;
            continue;
        }
        const int64_t have = x.shape()[i - lead];
        const int64_t want = shape[i] == -1 ? have : shape[i];
        CR_CHECK(want >= 0, ValueError, "expand: invalid size ", shape[i], " at dimension ", i,
                 "; got target sizes ", shape_str(shape));
        CR_CHECK(want == have || have == 1, ValueError, "expand: the expanded size of the tensor (",
                 want, ") must match the existing size (", have, ") at non-singleton dimension ", i,
                 "; target sizes ", shape_str(shape), ", tensor sizes ", shape_str(x.shape()));
        out[i] = want;
        strides[i] = (have == 1 && want != 1) ? 0 : x.strides()[i - lead];
    }
    if (out == x.shape() && !x.requires_grad()) return x.alias();
    std::shared_ptr<ExpandBackward0> node;
    if (needs_grad(x)) {
        node = make_node<ExpandBackward0>({&x});
        node->x_shape = x.shape();
    }
    return finish_view(make_view(x, out, strides, x.offset()), node);
}

// ---- slice / select / narrow -----------------------------------------------
// y = x[..., start:end:step, ...]      dx = zeros(x.shape) with dy written into the slice
struct SliceBackward0 final : Node {
    Shape x_shape;
    int64_t dim = 0, start = 0, end = 0, step = 1;
    bool select = false;
    TensorList apply(TensorList&& g) override {
        Tensor dx = zeros(x_shape, g[0].dtype());
        Tensor region =
            select ? chainrule::select(dx, dim, start) : slice(dx, dim, start, end, step);
        copy_(region, g[0]);
        return {dx};
    }
    std::string name() const override { return select ? "SelectBackward0" : "SliceBackward0"; }
};

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
    const int64_t d = wrap_dim(dim, x.dim(), "slice");
    CR_CHECK(x.dim() > 0, IndexError, "slice: cannot slice a 0-d tensor");
    CR_CHECK(step > 0, ValueError, "slice: step must be positive; got ", step);
    const int64_t n = x.shape()[d];
    if (start < 0) start += n;
    if (end < 0) end += n;
    start = std::clamp<int64_t>(start, 0, n);
    end = std::clamp<int64_t>(end, start, n);
    Shape shape = x.shape();
    Strides strides = x.strides();
    shape[d] = (end - start + step - 1) / step;
    strides[d] *= step;
    std::shared_ptr<SliceBackward0> node;
    if (needs_grad(x)) {
        node = make_node<SliceBackward0>({&x});
        node->x_shape = x.shape();
        node->dim = d;
        node->start = start;
        node->end = end;
        node->step = step;
    }
    return finish_view(make_view(x, shape, strides, x.offset() + start * x.strides()[d]), node);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
    CR_CHECK(x.dim() > 0, IndexError, "select: invalid index of a 0-dim tensor");
    const int64_t d = wrap_dim(dim, x.dim(), "select");
    const int64_t n = x.shape()[d];
    CR_CHECK(index >= -n && index < n, IndexError, "select: index ", index,
             " is out of bounds for dimension ", d, " with size ", n);
    if (index < 0) index += n;
    Shape shape = x.shape();
    Strides strides = x.strides();
    shape.erase(shape.begin() + d);
    strides.erase(strides.begin() + d);
    std::shared_ptr<SliceBackward0> node;
    if (needs_grad(x)) {
        node = make_node<SliceBackward0>({&x});
        node->x_shape = x.shape();
        node->dim = d;
        node->start = index;
        node->select = true;
    }
    return finish_view(make_view(x, shape, strides, x.offset() + index * x.strides()[d]), node);
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
    const int64_t d = wrap_dim(dim, x.dim(), "narrow");
    const int64_t n = x.shape()[d];
    if (start < 0) start += n;
    CR_CHECK(start >= 0 && length >= 0 && start + length <= n, IndexError, "narrow: start (", start,
             ") + length (", length, ") exceeds dimension size (", n, ")");
    return slice(x, d, start, start + length, 1);
}

}  // namespace chainrule
