// Matrix products: matmul (1-D, 2-D, batched N-D with broadcast batch dims), mm, bmm, addmm,
// outer. Every product, forward and backward, goes through kernels::gemm, which reads
// operands through their strides: transposed views are never copied. The vector products dot
// and mv (at the end) are composed from those ops, with one node each.
#include "../kernels/gemm/gemm.h"
#include "pointwise.h"

namespace chainrule {

namespace {

std::string dims_str(const Shape& s) {  // "2x3", as in PyTorch's mm messages
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
    return out;
}

void check_dtypes(const Tensor& a, const Tensor& b, const char* op) {
    CR_CHECK(a.dtype() != DType::Bool && b.dtype() != DType::Bool, TypeError, op,
             ": bool tensors are not supported; got ", dtype_name(a.dtype()), " and ",
             dtype_name(b.dtype()));
    CR_CHECK(a.dtype() == b.dtype(), RuntimeError, op,
             ": expected m1 and m2 to have the same dtype, but got: ", dtype_name(a.dtype()),
             " != ", dtype_name(b.dtype()));
}

// A view of t with its last two dims swapped (no history: used inside ops and backward).
Tensor swap_last(const Tensor& t) {
    Shape s = t.shape();
    Strides st = t.strides();
    const size_t n = s.size();
    std::swap(s[n - 1], s[n - 2]);
    std::swap(st[n - 1], st[n - 2]);
    return make_view(t, s, st, t.offset());
}

// A view of t reshaped to `shape` with contiguous-style strides where t is contiguous;
// only for fresh contiguous tensors.
Tensor view_contig(const Tensor& t, const Shape& shape) {
    return make_view(t, shape, contiguous_strides(shape), t.offset());
}

// Whether t's dims [0, nd-1) merge into one "rows" dim; sets its stride.
bool rows_foldable(const Tensor& t, int64_t& row_stride) {
    const int64_t nd = t.dim();
    int64_t prev = -1;  // last non-1 dim seen (walking inwards)
    row_stride = 1;
    for (int64_t d = 0; d < nd - 1; ++d) {
        if (t.shape()[d] == 1) continue;
        if (prev >= 0 && t.strides()[prev] != t.strides()[d] * t.shape()[d]) return false;
        prev = d;
        row_stride = t.strides()[d];
    }
    return true;
}

// C (batch..., M, N) = A (batch_a..., M, K) @ B (batch_b..., K, N), batch dims broadcast;
// a and b have >= 2 dims and matching K (checked by the caller). Returns a fresh tensor.
Tensor product(const Tensor& a, const Tensor& b, double alpha = 1.0) {
    const int64_t na = a.dim(), nb = b.dim();
    const int64_t M = a.shape()[na - 2], K = a.shape()[na - 1], N = b.shape()[nb - 1];
    const Shape ba(a.shape().begin(), a.shape().end() - 2);
    const Shape bb(b.shape().begin(), b.shape().end() - 2);
    const Shape batch = broadcast_shapes(ba, bb, "matmul");
    Shape out_shape = batch;
    out_shape.push_back(M);
    out_shape.push_back(N);
    Tensor c = empty(out_shape, a.dtype());
    const int64_t nbatch = numel_of(batch);
    if (c.numel() == 0) return c;
    const int64_t rsa = a.strides()[na - 2], csa = a.strides()[na - 1];
    const int64_t rsb = b.strides()[nb - 2], csb = b.strides()[nb - 1];
    CR_DISPATCH_NUMERIC(a.dtype(), "matmul", [&] {
        using T = scalar_t;
        const T* A = a.data<T>();
        const T* B = b.data<T>();
        T* C = c.data<T>();
        const T al = static_cast<T>(alpha);
        int64_t fold_stride = 0;
        if (nb == 2 && na > 2 && rows_foldable(a, fold_stride)) {
            // (batch..., M, K) @ (K, N) is one (batch*M, K) @ (K, N) product.
            kernels::gemm<T>(nbatch * M, N, K, al, A, fold_stride, csa, B, rsb, csb, T(0), C, N, 1);
            return;
        }
        const Strides sa = kernels::broadcast_strides(
            make_view(a, ba, Strides(a.strides().begin(), a.strides().end() - 2), 0), batch);
        const Strides sb = kernels::broadcast_strides(
            make_view(b, bb, Strides(b.strides().begin(), b.strides().end() - 2), 0), batch);
        auto run = [&](int64_t i) {
            int64_t oa = 0, ob = 0, rem = i;
            for (int64_t d = static_cast<int64_t>(batch.size()) - 1; d >= 0; --d) {
                const int64_t idx = rem % batch[d];
                rem /= batch[d];
                oa += idx * sa[d];
                ob += idx * sb[d];
            }
            kernels::gemm<T>(M, N, K, al, A + oa, rsa, csa, B + ob, rsb, csb, T(0), C + i * M * N,
                             N, 1);
        };
        const double work =
            static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
        if (nbatch > 1 && work < 262144.0) {  // small matrices: threads over the batch
            const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(262144.0 / (work + 1)));
            parallel_for(0, nbatch, grain, [&](int64_t i0, int64_t i1) {
                for (int64_t i = i0; i < i1; ++i) run(i);
            });
        } else {
            for (int64_t i = 0; i < nbatch; ++i) run(i);
        }
    });
    return c;
}

// Views of a (1-D -> (1, K)) and b (1-D -> (K, 1)) as matrices.
Tensor as_rows(const Tensor& a) {
    return a.dim() == 1 ? make_view(a, {1, a.shape()[0]}, {0, a.strides()[0]}, a.offset()) : a;
}
Tensor as_cols(const Tensor& b) {
    return b.dim() == 1 ? make_view(b, {b.shape()[0], 1}, {b.strides()[0], 0}, b.offset()) : b;
}

}  // namespace

// ---- matmul / mm / bmm ---------------------------------------------------------
// Y = A @ B          dA = dY @ B^T        dB = A^T @ dY
// (1-D operands are matrices with a unit dim that is dropped from Y; broadcast batch dims of
// dA, dB are summed back by the engine, except (batch..., M, K) @ (K, N), whose dB is folded
// into one product.)
struct MmBackward0 final : Node {
    SavedTensor a, b;
    std::string nm = "MmBackward0";
    double alpha = 1.0;  // addmm's scale of the product
    double beta = 0.0;   // addmm: d input = beta * dY (a third edge)
    bool has_input = false;
    TensorList apply(TensorList&& g) override {
        Tensor av = a.unpack(nm.c_str()), bv = b.unpack(nm.c_str());
        Tensor a2 = as_rows(av), b2 = as_cols(bv);
        const int64_t M = a2.shape()[a2.dim() - 2], N = b2.shape()[b2.dim() - 1];
        const int64_t K = a2.shape()[a2.dim() - 1];
        Shape out2 = broadcast_shapes(Shape(a2.shape().begin(), a2.shape().end() - 2),
                                      Shape(b2.shape().begin(), b2.shape().end() - 2), "matmul");
        const Shape batch = out2;
        out2.push_back(M);
        out2.push_back(N);
        Tensor dy = reshape(g[0], out2);
        TensorList grads;
        if (has_input)
            grads.push_back(needs_input_grad(0) ? mul(g[0], wrapped_scalar(beta)) : Tensor());
        const size_t ia = has_input ? 1 : 0;
        Tensor da, db;
        if (needs_input_grad(ia)) {
            da = product(dy, swap_last(b2), alpha);
            if (av.dim() == 1) {
                Shape s = batch;
                s.push_back(K);
                da = view_contig(da, s);
            }
        }
        if (needs_input_grad(ia + 1)) {
            int64_t rs = 0;
            if (b2.dim() == 2 && a2.dim() > 2 && rows_foldable(a2, rs)) {
                const int64_t rows = numel_of(batch) * M;
                Tensor af = make_view(a2, {rows, K}, {rs, a2.strides().back()}, a2.offset());
                db = product(swap_last(af), reshape(dy, {rows, N}), alpha);
            } else {
                db = product(swap_last(a2), dy, alpha);
            }
            if (bv.dim() == 1) {
                Shape s(db.shape().begin(), db.shape().end() - 2);
                s.push_back(K);
                db = view_contig(db, s);
            }
        }
        grads.push_back(da);
        grads.push_back(db);
        return grads;
    }
    std::string name() const override { return nm; }
    void release_saved() override {
        a.reset();
        b.reset();
    }
};

namespace {

// The shared forward of matmul, mm and bmm, after the op's own checks.
Tensor matmul_forward(const Tensor& a, const Tensor& b, const char* node_name) {
    Tensor y = product(as_rows(a), as_cols(b));
    Shape s(y.shape().begin(), y.shape().end() - 2);
    if (a.dim() != 1) s.push_back(y.shape()[y.dim() - 2]);
    if (b.dim() != 1) s.push_back(y.shape()[y.dim() - 1]);
    if (a.dim() == 1 || b.dim() == 1) y = view_contig(y, s);
    if (any_needs_grad({&a, &b})) {
        auto node = make_node<MmBackward0>({&a, &b});
        node->a = a;
        node->b = b;
        node->nm = node_name;
        set_grad_fn(y, node);
    }
    return y;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
    CR_CHECK(a.dim() >= 1 && b.dim() >= 1, RuntimeError,
             "matmul: both arguments to matmul need to be at least 1D, but they are ", a.dim(),
             "D and ", b.dim(), "D");
    const int64_t ka = a.shape().back();
    const int64_t kb = b.dim() == 1 ? b.shape()[0] : b.shape()[b.dim() - 2];
    CR_CHECK(ka == kb, ValueError, "matmul: shapes ", shape_str(a.shape()), " and ",
             shape_str(b.shape()), " cannot be multiplied (", ka, " != ", kb, ")");
    if (a.dim() > 2 || b.dim() > 2) {
        const Shape ba(a.shape().begin(), a.shape().end() - std::min<int64_t>(a.dim(), 2));
        const Shape bb(b.shape().begin(), b.shape().end() - std::min<int64_t>(b.dim(), 2));
        broadcast_shapes(ba, bb, "matmul");  // throws naming matmul
    }
    check_dtypes(a, b, "matmul");
    const char* nm = a.dim() == 1 && b.dim() == 1   ? "DotBackward0"
                     : a.dim() == 2 && b.dim() == 1 ? "MvBackward0"
                     : a.dim() == 2 && b.dim() == 2 ? "MmBackward0"
                     : a.dim() == 1 && b.dim() == 2 ? "SqueezeBackward4"
                                                    : "UnsafeViewBackward0";
    return matmul_forward(a, b, nm);
}

Tensor mm(const Tensor& a, const Tensor& b) {
    CR_CHECK(a.dim() == 2, RuntimeError, "mm: self must be a matrix; got shape ",
             shape_str(a.shape()));
    CR_CHECK(b.dim() == 2, RuntimeError, "mm: mat2 must be a matrix; got shape ",
             shape_str(b.shape()));
    CR_CHECK(a.shape()[1] == b.shape()[0], ValueError,
             "mm: mat1 and mat2 shapes cannot be "
             "multiplied (",
             dims_str(a.shape()), " and ", dims_str(b.shape()), ")");
    check_dtypes(a, b, "mm");
    return matmul_forward(a, b, "MmBackward0");
}

Tensor bmm(const Tensor& a, const Tensor& b) {
    CR_CHECK(a.dim() == 3, RuntimeError, "bmm: batch1 must be a 3D tensor; got shape ",
             shape_str(a.shape()));
    CR_CHECK(b.dim() == 3, RuntimeError, "bmm: batch2 must be a 3D tensor; got shape ",
             shape_str(b.shape()));
    CR_CHECK(a.shape()[0] == b.shape()[0] && a.shape()[2] == b.shape()[1], ValueError,
             "bmm: expected size for first two dimensions of batch2 tensor to be: [", a.shape()[0],
             ", ", a.shape()[2], "] but got: [", b.shape()[0], ", ", b.shape()[1], "]");
    check_dtypes(a, b, "bmm");
    return matmul_forward(a, b, "BmmBackward0");
}

// ---- addmm -----------------------------------------------------------------------
// Y = beta * input + alpha * (m1 @ m2)
// dinput = beta * dY     dm1 = alpha * dY @ m2^T     dm2 = alpha * m1^T @ dY
Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, double beta, double alpha) {
    CR_CHECK(m1.dim() == 2, RuntimeError, "addmm: mat1 must be a matrix; got shape ",
             shape_str(m1.shape()));
    CR_CHECK(m2.dim() == 2, RuntimeError, "addmm: mat2 must be a matrix; got shape ",
             shape_str(m2.shape()));
    CR_CHECK(m1.shape()[1] == m2.shape()[0], ValueError,
             "addmm: mat1 and mat2 shapes cannot "
             "be multiplied (",
             dims_str(m1.shape()), " and ", dims_str(m2.shape()), ")");
    check_dtypes(m1, m2, "addmm");
    check_dtypes(input, m1, "addmm");
    const Shape out_shape{m1.shape()[0], m2.shape()[1]};
    const Shape bs = broadcast_shapes(input.shape(), out_shape, "addmm");
    CR_CHECK(bs == out_shape, ValueError, "addmm: input of shape ", shape_str(input.shape()),
             " cannot be broadcast to the product's shape ", shape_str(out_shape));
    Tensor y = empty(out_shape, m1.dtype());
    if (!is_floating(y.dtype())) {
        // Integer tensors take integer scales, truncated toward zero as PyTorch does (alpha is
        // truncated by the cast below): beta=0.5 drops the input.
        beta = std::trunc(beta);
    }
    if (beta != 0) {
        NoGradGuard ng;
        detail::copy_cast(y, beta == 1 ? input : mul(input, wrapped_scalar(beta)));
    }
    if (y.numel() > 0) {
        const int64_t M = out_shape[0], N = out_shape[1], K = m1.shape()[1];
        CR_DISPATCH_NUMERIC(y.dtype(), "addmm", [&] {
            using T = scalar_t;
            kernels::gemm<T>(M, N, K, static_cast<T>(alpha), m1.data<T>(), m1.strides()[0],
                             m1.strides()[1], m2.data<T>(), m2.strides()[0], m2.strides()[1],
                             beta != 0 ? T(1) : T(0), y.data<T>(), N, 1);
        });
    }
    if (any_needs_grad({&input, &m1, &m2})) {
        auto node = make_node<MmBackward0>({&input, &m1, &m2});
        node->a = m1;
        node->b = m2;
        node->nm = "AddmmBackward0";
        node->alpha = alpha;
        node->beta = beta;
        node->has_input = true;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- outer -------------------------------------------------------------------------
// Y = a[:, None] * b      (PyTorch's composite: the node is MulBackward0)
Tensor outer(const Tensor& a, const Tensor& b) {
    CR_CHECK(a.dim() == 1, RuntimeError, "outer: expected 1-D argument self, but got ", a.dim(),
             "-D");
    CR_CHECK(b.dim() == 1, RuntimeError, "outer: expected 1-D argument vec2, but got ", b.dim(),
             "-D");
    return mul(unsqueeze(a, 1), b);
}

// ---- dot / mv ----------------------------------------------------------------
// y = sum_i a_i b_i      da = dy * b      db = dy * a
struct DotBackward0 final : Node {
    SavedTensor a, b;
    TensorList apply(TensorList&& g) override {
        Tensor da, db;
        if (needs_input_grad(0)) da = mul(g[0], b.unpack("DotBackward0"));
        if (needs_input_grad(1)) db = mul(g[0], a.unpack("DotBackward0"));
        return {da, db};
    }
    std::string name() const override { return "DotBackward0"; }
    void release_saved() override {
        a.reset();
        b.reset();
    }
};

namespace {
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
    CR_CHECK(a.dtype() == b.dtype(), TypeError, op,
             ": expected both operands to have the same dtype; got ", dtype_name(a.dtype()),
             " and ", dtype_name(b.dtype()));
}
}  // namespace

Tensor dot(const Tensor& a, const Tensor& b) {
    CR_CHECK(a.dim() == 1 && b.dim() == 1, ValueError, "dot: 1D tensors expected; got ", a.dim(),
             "D and ", b.dim(), "D tensors");
    CR_CHECK(a.numel() == b.numel(), ValueError,
             "dot: inconsistent tensor size; expected "
             "tensors of the same size; got ",
             shape_str(a.shape()), " and ", shape_str(b.shape()));
    check_same_dtype(a, b, "dot");
    CR_CHECK(a.dtype() != DType::Bool, TypeError, "dot: bool tensors are not supported");
    Tensor y;
    {
        NoGradGuard ng;
        y = sum(mul(a, b));
    }
    if (any_needs_grad({&a, &b})) {
        auto node = make_node<DotBackward0>({&a, &b});
        if (node->needs_input_grad(0)) node->b = b;
        if (node->needs_input_grad(1)) node->a = a;
        set_grad_fn(y, node);
    }
    return y;
}

// y = A v                dA = outer(dy, v)      dv = A^T dy
struct MvBackward0 final : Node {
    SavedTensor a, v;
    TensorList apply(TensorList&& g) override {
        Tensor da, dv;
        if (needs_input_grad(0)) da = outer(g[0], v.unpack("MvBackward0"));
        if (needs_input_grad(1)) dv = matmul(transpose(a.unpack("MvBackward0"), 0, 1), g[0]);
        return {da, dv};
    }
    std::string name() const override { return "MvBackward0"; }
    void release_saved() override {
        a.reset();
        v.reset();
    }
};

Tensor mv(const Tensor& a, const Tensor& v) {
    CR_CHECK(a.dim() == 2 && v.dim() == 1, ValueError,
             "mv: expected a 2-D matrix and a 1-D "
             "vector; got shapes ",
             shape_str(a.shape()), " and ", shape_str(v.shape()));
    CR_CHECK(a.shape()[1] == v.shape()[0], ValueError, "mv: size mismatch, got input ",
             shape_str(a.shape()), " and vec ", shape_str(v.shape()));
    check_same_dtype(a, v, "mv");
    Tensor y;
    {
        NoGradGuard ng;
        y = matmul(a, v);
    }
    if (any_needs_grad({&a, &v})) {
        auto node = make_node<MvBackward0>({&a, &v});
        if (node->needs_input_grad(0)) node->v = v;
        if (node->needs_input_grad(1)) node->a = a;
        set_grad_fn(y, node);
    }
    return y;
}

}  // namespace chainrule
