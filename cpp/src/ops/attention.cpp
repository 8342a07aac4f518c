// Fused scaled dot-product attention: per (batch, head) item, the score matrix, its masked
// row softmax and the weighted sum of values run through kernels::gemm and the softmax
// kernels, reading q, k, v and the mask in place through their strides (the head split of
// multi-head attention is a view). Items are spread over threads (each GEMM serial) when
// there are enough of them, else the GEMMs thread themselves; every item is computed by the
// same code either way, so results do not depend on the thread count.
#include "chainrule/ops/attention.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "../kernels/gemm/gemm.h"
#include "chainrule/parallel.h"
#include "pointwise.h"

namespace chainrule {

namespace {

// Element offsets of one operand for each flattened batch index over the broadcast batch
// shape `bs` (the operand's leading dims aligned right; size-1 dims broadcast with stride 0).
std::vector<int64_t> batch_offsets(const Tensor& t, const Shape& bs) {
    const int64_t nd = static_cast<int64_t>(bs.size());
    const int64_t td = t.dim() - 2;  // the operand's batch dims
    std::vector<int64_t> st(static_cast<size_t>(nd), 0);
    for (int64_t d = 0; d < td; ++d) {
        const int64_t bd = nd - td + d;
        st[static_cast<size_t>(bd)] = t.shape()[d] == 1 ? 0 : t.strides()[d];
    }
    const int64_t n = numel_of(bs);
    std::vector<int64_t> off(static_cast<size_t>(n), 0);
    std::vector<int64_t> idx(static_cast<size_t>(nd), 0);
    int64_t cur = 0;
    for (int64_t i = 0; i < n; ++i) {
        off[static_cast<size_t>(i)] = cur;
        for (int64_t d = nd - 1; d >= 0; --d) {
            const size_t u = static_cast<size_t>(d);
            if (++idx[u] < bs[u]) {
                cur += st[u];
                break;
            }
            cur -= st[u] * (bs[u] - 1);
            idx[u] = 0;
        }
    }
    return off;
}

// The result layout: (B*, L, n) contiguous, or for 4-D (B, L, H, n) memory seen as
// (B, H, L, n) (merging heads is then a view, as PyTorch's CPU attention returns).
Tensor alloc_bhln(const Shape& bs, int64_t L, int64_t n, DType dt) {
    Shape shape = bs;
    shape.push_back(L);
    shape.push_back(n);
    if (shape.size() != 4) return empty(shape, dt);
    const int64_t B = shape[0], H = shape[1];
    Tensor base = empty({B, L, H, n}, dt);
    return make_view(base, shape, {L * H * n, n, H * n, 1}, 0);
}

// Runs fn(item, ws) for item in [0, n): spread over threads (each GEMM inside then serial)
// when the items hold at least 64K multiply-adds, each thread with its own `ws_elems`
// elements of scratch `ws`.
template <class T, class F>
void for_items(int64_t n, double work_per_item, int64_t ws_elems, DType dt, const F& fn) {
    const int64_t grain =
        std::max<int64_t>(1, static_cast<int64_t>(65536.0 / std::max(work_per_item, 1.0)));
    parallel_for(0, n, grain, [&](int64_t b, int64_t e) {
        Tensor ws = empty({std::max<int64_t>(ws_elems, 1)}, dt);
        for (int64_t i = b; i < e; ++i) fn(i, ws.data<T>());
    });
}

// Products of at most this many multiply-adds with row-major B and C run the unpacked
// kernel: one head's matrices are small, and packing them costs as much as the product.
constexpr int64_t kDirectWork = int64_t(1) << 19;

// C = alpha A @ B (overwritten). The choice depends on shapes and strides alone, never on the
// thread count, and kernels::gemm's bits do not depend on it either.
template <class T>
void mm(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t rsa, int64_t csa, const T* B,
        int64_t rsb, int64_t csb, T* C, int64_t rsc, int64_t csc) {
    const kernels::GemmKernel<T>& gk = kernels::for_dtype<T>(kernels::kernel_table().gemm);
    if (gk.fast_direct && csb == 1 && csc == 1 && K >= 1 && M * N * K <= kDirectWork) {
        gk.direct(M, N, K, alpha, A, rsa, csa, B, rsb, csb, T(0), C, rsc, csc);
        return;
    }
    kernels::gemm<T>(M, N, K, alpha, A, rsa, csa, B, rsb, csb, T(0), C, rsc, csc);
}

// dst (cols, rows) contiguous = src (rows, cols) at strides (rs, cs), transposed.
template <class T>
void transpose_into(T* dst, const T* src, int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
    for (int64_t c = 0; c < cols; ++c) {
        for (int64_t r = 0; r < rows; ++r) dst[c * rows + r] = src[r * rs + c * cs];
    }
}

struct Geom {
    Shape bs;  // broadcast batch shape
    int64_t B = 1, L = 0, S = 0, E = 0, Ev = 0;
};

}  // namespace

// ---- scaled_dot_product_attention -------------------------------------------------
// A = scale * Q K^T (+ mask, or -inf where a bool mask is False / above the causal diagonal)
// P = softmax_rows(A) (a row with no position left is 0)      O = P V
// dV = P^T dO     dP = dO V^T     dA = P * (dP - rowsum(dP * P))
// dQ = scale dA K     dK = scale dA^T Q
// saves: q, k, v and P (B*, L, S)
struct ScaledDotProductFlashAttentionForCpuBackward0 final : Node {
    SavedTensor q, k, v;
    Tensor P;  // owned by the node alone
    Geom g;
    double scale = 1.0;
    TensorList apply(TensorList&& grads) override {
        const char* nm = "ScaledDotProductFlashAttentionForCpuBackward0";
        const Tensor qt = q.unpack(nm), kt = k.unpack(nm), vt = v.unpack(nm);
        const Tensor& dO = grads[0];
        const bool need_q = needs_input_grad(0), need_k = needs_input_grad(1),
                   need_v = needs_input_grad(2);
        const int64_t L = g.L, S = g.S, E = g.E, Ev = g.Ev;
        const DType dt = P.dtype();
        Tensor dq = need_q ? alloc_bhln(g.bs, L, E, dt) : Tensor();
        Tensor dk = need_k ? alloc_bhln(g.bs, S, E, dt) : Tensor();
        Tensor dv = need_v ? alloc_bhln(g.bs, S, Ev, dt) : Tensor();
        const std::vector<int64_t> qo = batch_offsets(qt, g.bs), ko = batch_offsets(kt, g.bs),
                                   vo = batch_offsets(vt, g.bs), go = batch_offsets(dO, g.bs);
        const bool need_ds = need_q || need_k;
        CR_DISPATCH_FLOAT(dt, "scaled_dot_product_attention", [&] {
            using T = scalar_t;
            const auto& sk = kernels::for_dtype<T>(kernels::kernel_table().softmax);
            const T sc = static_cast<T>(scale);
            const T* qp = qt.data<T>();
            const T* kp = kt.data<T>();
            const T* vp = vt.data<T>();
            const T* gp = dO.data<T>();
            const T* pp = P.data<T>();
            const int64_t q_rs = qt.strides()[qt.dim() - 2], q_cs = qt.strides()[qt.dim() - 1];
            const int64_t k_rs = kt.strides()[kt.dim() - 2], k_cs = kt.strides()[kt.dim() - 1];
            const int64_t v_rs = vt.strides()[vt.dim() - 2], v_cs = vt.strides()[vt.dim() - 1];
            const int64_t g_rs = dO.strides()[dO.dim() - 2], g_cs = dO.strides()[dO.dim() - 1];
            const int64_t nd = dq.defined() ? dq.dim() : 0;
            const int64_t kd = dk.defined() ? dk.dim() : 0;
            const int64_t vd = dv.defined() ? dv.dim() : 0;
            const std::vector<int64_t> dqo =
                need_q ? batch_offsets(dq, g.bs) : std::vector<int64_t>();
            const std::vector<int64_t> dko =
                need_k ? batch_offsets(dk, g.bs) : std::vector<int64_t>();
            const std::vector<int64_t> dvo =
                need_v ? batch_offsets(dv, g.bs) : std::vector<int64_t>();
            const double work = static_cast<double>(L) * S * (2 * E + 2 * Ev);
            for_items<T>(g.B, work, need_ds ? 2 * L * S + Ev * S : 0, dt, [&](int64_t i, T* ws) {
                const size_t u = static_cast<size_t>(i);
                const T* Pi = pp + i * L * S;
                const T* dOi = gp + go[u];
                if (need_v) {
                    T* o = dv.data<T>() + dvo[u];
                    mm<T>(S, Ev, L, T(1), Pi, 1, S, dOi, g_rs, g_cs, o, dv.strides()[vd - 2],
                          dv.strides()[vd - 1]);
                }
                if (!need_ds) return;
                T* dP = ws;
                T* dA = dP + L * S;
                T* Vt = dA + L * S;  // v^T (Ev, S), row-major for the unpacked kernel
                transpose_into(Vt, vp + vo[u], S, Ev, v_rs, v_cs);
                mm<T>(L, S, Ev, T(1), dOi, g_rs, g_cs, Vt, S, 1, dP, S, 1);
                sk.rows_backward(dA, Pi, dP, L, S, false);
                if (need_q) {
                    T* o = dq.data<T>() + dqo[u];
                    mm<T>(L, E, S, sc, dA, S, 1, kp + ko[u], k_rs, k_cs, o, dq.strides()[nd - 2],
                          dq.strides()[nd - 1]);
                }
                if (need_k) {
                    T* o = dk.data<T>() + dko[u];
                    mm<T>(S, E, L, sc, dA, 1, S, qp + qo[u], q_rs, q_cs, o, dk.strides()[kd - 2],
                          dk.strides()[kd - 1]);
                }
            });
        });
        return {dq, dk, dv};
    }
    std::string name() const override { return "ScaledDotProductFlashAttentionForCpuBackward0"; }
    void release_saved() override {
        q.reset();
        k.reset();
        v.reset();
        P = Tensor();
    }
};

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& attn_mask, bool is_causal,
                                    std::optional<double> scale) {
    const char* op = "scaled_dot_product_attention";
    CR_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, ValueError, op,
             ": query, key and value must have at least 2 dims; got shapes ", shape_str(q.shape()),
             ", ", shape_str(k.shape()), ", ", shape_str(v.shape()));
    const int64_t L = q.shape()[q.dim() - 2], E = q.shape()[q.dim() - 1];
    const int64_t S = k.shape()[k.dim() - 2], Ev = v.shape()[v.dim() - 1];
    CR_CHECK(k.shape()[k.dim() - 1] == E && v.shape()[v.dim() - 2] == S, RuntimeError, op,
             ": expected query (*, L, E), key (*, S, E) and value (*, S, Ev); got shapes ",
             shape_str(q.shape()), ", ", shape_str(k.shape()), ", ", shape_str(v.shape()));
    CR_CHECK(q.dtype() == k.dtype() && k.dtype() == v.dtype(), RuntimeError, op,
             ": expected query, key and value to have the same dtype; got ", dtype_name(q.dtype()),
             ", ", dtype_name(k.dtype()), ", ", dtype_name(v.dtype()));
    CR_CHECK(is_floating(q.dtype()), TypeError, op,
             ": query, key and value must be floating point; got ", dtype_name(q.dtype()));
    const bool has_mask = attn_mask.defined();
    CR_CHECK(!(has_mask && is_causal), RuntimeError, op,
             ": _scaled_dot_product_attention: Explicit attn_mask should not be set when "
             "is_causal=True");
    Geom g;
    g.L = L;
    g.S = S;
    g.E = E;
    g.Ev = Ev;
    auto batch = [](const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); };
    g.bs = broadcast_shapes(broadcast_shapes(batch(q), batch(k), op), batch(v), op);
    Tensor mask;
    if (has_mask) {
        CR_CHECK(attn_mask.dtype() == DType::Bool || attn_mask.dtype() == q.dtype(), TypeError, op,
                 ": attn_mask must be bool or the dtype of query (", dtype_name(q.dtype()),
                 "); got ", dtype_name(attn_mask.dtype()));
        Shape full = g.bs;
        full.push_back(L);
        full.push_back(S);
        const Shape b = broadcast_shapes(full, attn_mask.shape(), op);
        CR_CHECK(b == full, RuntimeError, op, ": attn_mask of shape ", shape_str(attn_mask.shape()),
                 " does not broadcast to the scores' shape ", shape_str(full));
        mask = attn_mask.dim() >= 2 ? attn_mask : expand(attn_mask, {L, S});
    }
    g.B = numel_of(g.bs);
    const double sc = scale.has_value() ? *scale : 1.0 / std::sqrt(static_cast<double>(E));
    const DType dt = q.dtype();
    Tensor out = alloc_bhln(g.bs, L, Ev, dt);
    Tensor P = empty({g.B, L, S}, dt);
    if (out.numel() > 0) {
        const std::vector<int64_t> qo = batch_offsets(q, g.bs), ko = batch_offsets(k, g.bs),
                                   vo = batch_offsets(v, g.bs), oo = batch_offsets(out, g.bs);
        const std::vector<int64_t> mo =
            has_mask ? batch_offsets(mask, g.bs) : std::vector<int64_t>();
        CR_DISPATCH_FLOAT(dt, op, [&] {
            using T = scalar_t;
            const auto& sk = kernels::for_dtype<T>(kernels::kernel_table().softmax);
            const T tsc = static_cast<T>(sc);
            const T ninf = -std::numeric_limits<T>::infinity();
            const T* qp = q.data<T>();
            const T* kp = k.data<T>();
            const T* vp = v.data<T>();
            T* op_ = out.data<T>();
            T* pp = P.data<T>();
            const int64_t q_rs = q.strides()[q.dim() - 2], q_cs = q.strides()[q.dim() - 1];
            const int64_t k_rs = k.strides()[k.dim() - 2], k_cs = k.strides()[k.dim() - 1];
            const int64_t v_rs = v.strides()[v.dim() - 2], v_cs = v.strides()[v.dim() - 1];
            const int64_t o_rs = out.strides()[out.dim() - 2], o_cs = out.strides()[out.dim() - 1];
            const bool mbool = has_mask && mask.dtype() == DType::Bool;
            // a mask dim of size 1 broadcasts over rows / columns
            const int64_t m_rs =
                has_mask && mask.shape()[mask.dim() - 2] != 1 ? mask.strides()[mask.dim() - 2] : 0;
            const int64_t m_cs =
                has_mask && mask.shape()[mask.dim() - 1] != 1 ? mask.strides()[mask.dim() - 1] : 0;
            const double work = static_cast<double>(L) * S * (E + Ev);
            for_items<T>(g.B, work, L * S + E * S, dt, [&](int64_t i, T* ws) {
                const size_t u = static_cast<size_t>(i);
                T* A = ws;
                T* Kt = A + L * S;  // k^T (E, S), row-major for the unpacked kernel
                T* Pi = pp + i * L * S;
                if (S == 0) return;  // out is zero-filled below
                transpose_into(Kt, kp + ko[u], S, E, k_rs, k_cs);
                mm<T>(L, S, E, tsc, qp + qo[u], q_rs, q_cs, Kt, S, 1, A, S, 1);
                if (is_causal) {
                    for (int64_t r = 0; r < L && r + 1 < S; ++r) {
                        T* row = A + r * S;
                        for (int64_t c = r + 1; c < S; ++c) row[c] = ninf;
                    }
                }
                if (has_mask) {
                    for (int64_t r = 0; r < L; ++r) {
                        T* row = A + r * S;
                        if (mbool) {
                            const bool* m = mask.data<bool>() + mo[u] + r * m_rs;
                            for (int64_t c = 0; c < S; ++c) {
                                row[c] = kernels::select(m[c * m_cs], row[c], ninf);
                            }
                        } else {
                            const T* m = mask.data<T>() + mo[u] + r * m_rs;
                            for (int64_t c = 0; c < S; ++c) row[c] += m[c * m_cs];
                        }
                    }
                }
                sk.rows_forward(Pi, A, L, S, false);
                // rows with every score at -inf (masked out, or scores that overflowed with or
                // without a mask): 0, as PyTorch's CPU kernel (the softmax gives NaN)
                for (int64_t r = 0; r < L; ++r) {
                    const T* row = A + r * S;
                    bool dead = true;
                    for (int64_t c = 0; c < S; ++c) dead &= row[c] == ninf;
                    if (dead) std::memset(Pi + r * S, 0, static_cast<size_t>(S) * sizeof(T));
                }
                mm<T>(L, Ev, S, T(1), Pi, S, 1, vp + vo[u], v_rs, v_cs, op_ + oo[u], o_rs, o_cs);
            });
            if (S == 0)
                std::memset(out.impl()->storage->data(), 0,
                            static_cast<size_t>(out.numel()) * sizeof(T));
        });
    }
    if (any_needs_grad({&q, &k, &v})) {
        auto node = make_node<ScaledDotProductFlashAttentionForCpuBackward0>({&q, &k, &v});
        node->q = q;
        node->k = k;
        node->v = v;
        node->P = P;
        node->g = g;
        node->scale = sc;
        set_grad_fn(out, node);
    }
    return out;
}

}  // namespace chainrule
