// 2-D pooling: max (with indices), average and adaptive average. Inputs are made contiguous
// and seen as P = N * C planes of H x W; planes run in parallel, forward and backward (each
// plane of dx is written by one thread only, so results do not depend on the thread count).
#include "chainrule/ops/pool.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "../kernels/pool/rows.h"
#include "chainrule/parallel.h"
#include "pointwise.h"

namespace chainrule {

namespace {

struct Geometry {
    int64_t P = 0, H = 0, W = 0, OH = 0, OW = 0;
    Shape out_shape;
};

Geometry planes_of(const Tensor& x, const char* op) {
    detail::check_floating(x, op);
    CR_CHECK((x.dim() == 3 || x.dim() == 4), RuntimeError, op,
             ": expected a 3-D (C, H, W) or 4-D (N, C, H, W) input; got shape ",
             shape_str(x.shape()));
    bool nonempty = true;
    for (int64_t d = 1; d < x.dim(); ++d) nonempty = nonempty && x.shape()[d] > 0;
    CR_CHECK(nonempty, RuntimeError, op,
             ": expected input with non-zero sizes in every dim "
             "but the batch dim; got shape ",
             shape_str(x.shape()));
    Geometry g;
    g.H = x.shape()[x.dim() - 2];
    g.W = x.shape()[x.dim() - 1];
    g.P = g.H * g.W == 0 ? 0 : x.numel() / (g.H * g.W);
    return g;
}

void set_out(Geometry& g, const Tensor& x) {
    g.out_shape = Shape(x.shape().begin(), x.shape().end() - 2);
    g.out_shape.push_back(g.OH);
    g.out_shape.push_back(g.OW);
}

int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
    const int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
    int64_t out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
    if (ceil_mode && (out - 1) * s >= in + p) --out;
    return out;
}

void check_window(const char* op, Pool2 k, Pool2 s, Pool2 p, Pool2 d, bool ceil_mode, bool dilated,
                  Geometry& g, const Tensor& x) {
    CR_CHECK(k[0] > 0 && k[1] > 0, RuntimeError, op,
             ": kernel_size must be greater than zero; "
             "got (",
             k[0], ", ", k[1], ")");
    CR_CHECK(s[0] > 0 && s[1] > 0, RuntimeError, op, ": stride must be greater than zero; got (",
             s[0], ", ", s[1], ")");
    CR_CHECK(d[0] > 0 && d[1] > 0, RuntimeError, op, ": dilation must be greater than zero; got (",
             d[0], ", ", d[1], ")");
    CR_CHECK(p[0] >= 0 && p[1] >= 0, RuntimeError, op, ": padding must be non-negative; got (",
             p[0], ", ", p[1], ")");
    for (int i = 0; i < 2; ++i) {
        const int64_t eff = dilated ? (k[i] - 1) * d[i] + 1 : k[i];
        CR_CHECK(p[i] <= eff / 2, RuntimeError, op, ": pad should be at most half of ",
                 dilated ? "effective " : "", "kernel size; got pad=", p[i], ", kernel_size=", k[i],
                 dilated ? " and dilation=" : "", dilated ? std::to_string(d[i]) : "");
    }
    g.OH = pool_out(g.H, k[0], s[0], p[0], d[0], ceil_mode);
    g.OW = pool_out(g.W, k[1], s[1], p[1], d[1], ceil_mode);
    CR_CHECK(g.OH >= 1 && g.OW >= 1, RuntimeError, op, ": given input of shape ",
             shape_str(x.shape()), " with kernel_size=(", k[0], ", ", k[1], "), padding=(", p[0],
             ", ", p[1], "): calculated output size (", g.OH, ", ", g.OW,
             ") is too small (kernel larger than the padded input)");
    set_out(g, x);
}

int64_t plane_grain(int64_t work_per_plane) {
    return std::max<int64_t>(1, kGrain / std::max<int64_t>(work_per_plane, 1));
}

}  // namespace

// ---- max_pool2d ------------------------------------------------------------------
// y[p, oh, ow] = max over the (dilated, padded) window; idx = argmax as h * W + w (first
// maximum, NaN wins).      dx[p, idx[p, oh, ow]] += dy[p, oh, ow]
struct MaxPool2DWithIndicesBackward0 final : Node {
    SavedTensor indices;  // also returned to the caller: version-checked on unpack
    Shape x_shape;
    DType dtype = DType::Float32;
    Geometry g;
    TensorList apply(TensorList&& grads) override {
        Tensor dy = contiguous(grads[0]);
        Tensor dx = zeros(x_shape, dtype);
        CR_DISPATCH_FLOAT(dtype, "max_pool2d", [&] {
            using T = scalar_t;
            const T* gp = dy.data<T>();
            Tensor iv = indices.unpack("MaxPool2DWithIndicesBackward0");
            const int64_t* ip = iv.data<int64_t>();
            T* dp = dx.data<T>();
            const int64_t HW = g.H * g.W, O = g.OH * g.OW;
            parallel_for(0, g.P, plane_grain(HW + 2 * O), [&](int64_t b, int64_t e) {
                for (int64_t p = b; p < e; ++p) {
                    T* dq = dp + p * HW;
                    const T* gq = gp + p * O;
                    const int64_t* iq = ip + p * O;
                    for (int64_t o = 0; o < O; ++o) dq[iq[o]] += gq[o];
                }
            });
        });
        return {dx};
    }
    std::string name() const override { return "MaxPool2DWithIndicesBackward0"; }
    void release_saved() override { indices.reset(); }
};

std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& x, Pool2 k, Pool2 s, Pool2 p,
                                                  Pool2 d, bool ceil_mode) {
    Geometry g = planes_of(x, "max_pool2d");
    check_window("max_pool2d", k, s, p, d, ceil_mode, true, g, x);
    Tensor xc = contiguous(x);
    Tensor y = empty(g.out_shape, x.dtype());
    Tensor idx = empty(g.out_shape, DType::Int64);
    CR_DISPATCH_FLOAT(x.dtype(), "max_pool2d", [&] {
        using T = scalar_t;
        using I = typename Bits<T>::type;
        const T* xp = xc.data<T>();
        T* yp = y.data<T>();
        int64_t* ip = idx.data<int64_t>();
        const int64_t HW = g.H * g.W, O = g.OH * g.OW;
        int64_t lo_ = 0, hi_ = 0;
        if (HW < (int64_t(1) << 31))
            interior_cols(g.OW, g.W, s[1], p[1], (k[1] - 1) * d[1] + 1, lo_, hi_);
        // 2x2 windows, stride 2 along W, no dilation (3x3 measured slower than the generic path).
        const bool fixed = k[0] == 2 && k[1] == 2 && s[1] == 2 && d[0] == 1 && d[1] == 1;
        // Scalar window max for one output (border columns).
        auto scalar_at = [&](const T* xq, int64_t hs, int64_t he, int64_t ow, T& out, int64_t& at) {
            int64_t ws = ow * s[1] - p[1];
            const int64_t we = std::min(ws + (k[1] - 1) * d[1] + 1, g.W);
            while (ws < 0) ws += d[1];
            int64_t best = hs * g.W + ws;
            T mv = -std::numeric_limits<T>::infinity();
            for (int64_t h = hs; h < he; h += d[0])
                for (int64_t w = ws; w < we; w += d[1]) {
                    const T v = xq[h * g.W + w];
                    if (v > mv || std::isnan(v)) {
                        mv = v;
                        best = h * g.W + w;
                    }
                }
            out = mv;
            at = best;
        };
        parallel_for(0, g.P, plane_grain(HW + O * k[0] * k[1]), [&](int64_t b, int64_t e) {
            // Locals: int64 outputs could alias captured int64 references.
            const int64_t OW = g.OW, OH = g.OH, W = g.W, p1 = p[1], lo = lo_, hi = hi_;
            std::vector<I> mi(static_cast<size_t>(OW));
            for (int64_t pl = b; pl < e; ++pl) {
                const T* xq = xp + pl * HW;
                for (int64_t oh = 0; oh < OH; ++oh) {
                    int64_t hs = oh * s[0] - p[0];
                    const int64_t he = std::min(hs + (k[0] - 1) * d[0] + 1, g.H);
                    while (hs < 0) hs += d[0];
                    T* yr = yp + pl * O + oh * OW;
                    int64_t* ir = ip + pl * O + oh * OW;
                    for (int64_t ow = 0; ow < lo; ++ow) scalar_at(xq, hs, he, ow, yr[ow], ir[ow]);
                    for (int64_t ow = hi; ow < OW; ++ow) scalar_at(xq, hs, he, ow, yr[ow], ir[ow]);
                    if (lo == hi) continue;
                    if (hs >= he) {  // no input row in the window (not reachable with valid args)
                        for (int64_t ow = lo; ow < hi; ++ow)
                            scalar_at(xq, hs, he, ow, yr[ow], ir[ow]);
                        continue;
                    }
                    if (fixed && he - hs == 2) {
                        max_row_fixed<T, 2, 2>(xq, W, hs, p1, lo, hi, yr, ir);
                        continue;
                    }
                    CR_POOL_BY_STRIDE(s[1], max_row_interior, T, xq, W, hs, he, d[0], k[1], d[1],
                                      p1, s[1], lo, hi, yr, mi.data());
                    for (int64_t ow = lo; ow < hi; ++ow) ir[ow] = mi[ow];
                }
            }
        });
    });
    if (needs_grad(x)) {
        auto node = make_node<MaxPool2DWithIndicesBackward0>({&x});
        node->indices = idx;
        node->x_shape = x.shape();
        node->dtype = x.dtype();
        node->g = g;
        set_grad_fn(y, node);
    }
    return {y, idx};
}

// ---- avg_pool2d --------------------------------------------------------------------
// y[p, oh, ow] = sum over the window clipped to the input / divisor, where divisor is
// divisor_override, or the window size clipped to the padded input (count_include_pad), or
// the number of input elements in it.      dx[p, h, w] += dy[p, oh, ow] / divisor
namespace {
struct AvgWindows {
    Pool2 k, s, p;
    bool count_include_pad = true;
    std::optional<int64_t> divisor;
    // Calls fn(hs, he, ws, we, divisor) for output (oh, ow); empty windows give he <= hs.
    template <class F>
    void at(const Geometry& g, int64_t oh, int64_t ow, const F& fn) const {
        int64_t hs = oh * s[0] - p[0], ws = ow * s[1] - p[1];
        int64_t he = std::min(hs + k[0], g.H + p[0]), we = std::min(ws + k[1], g.W + p[1]);
        const int64_t pool = (he - hs) * (we - ws);
        hs = std::max<int64_t>(hs, 0);
        ws = std::max<int64_t>(ws, 0);
        he = std::min(he, g.H);
        we = std::min(we, g.W);
        const int64_t div = divisor ? *divisor : count_include_pad ? pool : (he - hs) * (we - ws);
        fn(hs, he, ws, we, div);
    }
    // Rows [hs, he) of output row oh and the divisor of its interior columns (whose window
    // lies inside the plane in width, so its width is k[1] clipped or not).
    void row(const Geometry& g, int64_t oh, int64_t& hs, int64_t& he, int64_t& div) const {
        hs = oh * s[0] - p[0];
        he = std::min(hs + k[0], g.H + p[0]);
        const int64_t padded = he - hs;
        hs = std::max<int64_t>(hs, 0);
        he = std::min(he, g.H);
        div = divisor ? *divisor : count_include_pad ? padded * k[1] : (he - hs) * k[1];
    }
    void cols(const Geometry& g, int64_t& lo, int64_t& hi) const {
        interior_cols(g.OW, g.W, s[1], p[1], k[1], lo, hi);
    }
};
}  // namespace

struct AvgPool2DBackward0 final : Node {
    Shape x_shape;
    DType dtype = DType::Float32;
    Geometry g;
    AvgWindows win;
    TensorList apply(TensorList&& grads) override {
        Tensor dy = contiguous(grads[0]);
        Tensor dx = zeros(x_shape, dtype);
        CR_DISPATCH_FLOAT(dtype, "avg_pool2d", [&] {
            using T = scalar_t;
            const T* gp = dy.data<T>();
            T* dp = dx.data<T>();
            const int64_t HW = g.H * g.W, O = g.OH * g.OW;
            int64_t lo_ = 0, hi_ = 0;
            win.cols(g, lo_, hi_);
            parallel_for(
                0, g.P, plane_grain(HW + O * win.k[0] * win.k[1]), [&](int64_t b, int64_t e) {
                    const int64_t lo = lo_, hi = hi_, OW = g.OW, OH = g.OH, W = g.W;
                    std::vector<T> gv(static_cast<size_t>(OW));
                    for (int64_t pl = b; pl < e; ++pl) {
                        T* dq = dp + pl * HW;
                        for (int64_t oh = 0; oh < OH; ++oh) {
                            const T* gr = gp + pl * O + oh * OW;
                            auto border = [&](int64_t ow) {
                                win.at(g, oh, ow,
                                       [&](int64_t hs, int64_t he, int64_t ws, int64_t we,
                                           int64_t div) {
                                           if (he <= hs || we <= ws) return;
                                           const T v = gr[ow] / T(div);
                                           for (int64_t h = hs; h < he; ++h)
                                               for (int64_t w = ws; w < we; ++w) dq[h * W + w] += v;
                                       });
                            };
                            for (int64_t ow = 0; ow < lo; ++ow) border(ow);
                            for (int64_t ow = hi; ow < OW; ++ow) border(ow);
                            int64_t hs, he, div;
                            win.row(g, oh, hs, he, div);
                            if (lo == hi || he <= hs) continue;
                            const T dv = T(div);
                            for (int64_t ow = lo; ow < hi; ++ow) gv[ow] = gr[ow] / dv;
                            CR_POOL_BY_STRIDE(win.s[1], spread_row_interior, T, dq, W, hs, he,
                                              win.k[1], win.p[1], win.s[1], lo, hi, gv.data());
                        }
                    }
                });
        });
        return {dx};
    }
    std::string name() const override { return "AvgPool2DBackward0"; }
};

Tensor avg_pool2d(const Tensor& x, Pool2 k, Pool2 s, Pool2 p, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
    Geometry g = planes_of(x, "avg_pool2d");
    CR_CHECK(!divisor_override || *divisor_override != 0, RuntimeError,
             "avg_pool2d: divisor must be not zero; got divisor_override=0");
    check_window("avg_pool2d", k, s, p, {1, 1}, ceil_mode, false, g, x);
    AvgWindows win{k, s, p, count_include_pad, divisor_override};
    Tensor xc = contiguous(x);
    Tensor y = empty(g.out_shape, x.dtype());
    CR_DISPATCH_FLOAT(x.dtype(), "avg_pool2d", [&] {
        using T = scalar_t;
        const T* xp = xc.data<T>();
        T* yp = y.data<T>();
        const int64_t HW = g.H * g.W, O = g.OH * g.OW;
        int64_t lo_ = 0, hi_ = 0;
        win.cols(g, lo_, hi_);
        parallel_for(0, g.P, plane_grain(HW + O * k[0] * k[1]), [&](int64_t b, int64_t e) {
            const int64_t lo = lo_, hi = hi_, OW = g.OW, OH = g.OH, W = g.W;
            for (int64_t pl = b; pl < e; ++pl) {
                const T* xq = xp + pl * HW;
                for (int64_t oh = 0; oh < OH; ++oh) {
                    T* yr = yp + pl * O + oh * OW;
                    auto border = [&](int64_t ow) {
                        win.at(g, oh, ow,
                               [&](int64_t hs, int64_t he, int64_t ws, int64_t we, int64_t div) {
                                   T acc = 0;
                                   if (he > hs && we > ws) {
                                       for (int64_t h = hs; h < he; ++h)
                                           for (int64_t w = ws; w < we; ++w) acc += xq[h * W + w];
                                       acc /= T(div);
                                   }
                                   yr[ow] = acc;
                               });
                    };
                    for (int64_t ow = 0; ow < lo; ++ow) border(ow);
                    for (int64_t ow = hi; ow < OW; ++ow) border(ow);
                    if (lo == hi) continue;
                    int64_t hs, he, div;
                    win.row(g, oh, hs, he, div);
                    if (he <= hs) {  // window rows all in the padding
                        for (int64_t ow = lo; ow < hi; ++ow) yr[ow] = T(0);
                        continue;
                    }
                    CR_POOL_BY_STRIDE(s[1], sum_row_interior, T, xq, W, hs, he, k[1], p[1], s[1],
                                      lo, hi, yr);
                    const T dv = T(div);
                    for (int64_t ow = lo; ow < hi; ++ow) yr[ow] /= dv;
                }
            }
        });
    });
    if (needs_grad(x)) {
        auto node = make_node<AvgPool2DBackward0>({&x});
        node->x_shape = x.shape();
        node->dtype = x.dtype();
        node->g = g;
        node->win = win;
        set_grad_fn(y, node);
    }
    return y;
}

// ---- adaptive_avg_pool2d -------------------------------------------------------------
// Window of output o along a dim of size I into O: [floor(o*I/O), ceil((o+1)*I/O)).
// y = mean over the window           dx[h, w] += dy[oh, ow] / window size
// Output size 1x1 (global average pooling) sums each plane in 8 interleaved partial sums
// (a fixed order, so the result does not depend on the thread count; the loop vectorises).
namespace {
// Window bounds [start[o], end[o]) of every output o along one dim: shared by both passes.
struct AdaptiveBounds {
    std::vector<int64_t> start, end;
    AdaptiveBounds(int64_t O, int64_t I)
        : start(static_cast<size_t>(O)), end(static_cast<size_t>(O)) {
        for (int64_t o = 0; o < O; ++o) {
            start[o] = (o * I) / O;
            end[o] = ((o + 1) * I + O - 1) / O;
        }
    }
};

template <class T>
T plane_sum(const T* __restrict x, int64_t n) {
    constexpr int L = 8;
    T acc[L] = {};
    int64_t i = 0;
    for (; i + L <= n; i += L)
        for (int l = 0; l < L; ++l) acc[l] += x[i + l];
    for (int l = 0; i < n; ++i, ++l) acc[l] += x[i];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}
}  // namespace

struct AdaptiveAvgPool2DBackward0 final : Node {
    Shape x_shape;
    DType dtype = DType::Float32;
    Geometry g;
    TensorList apply(TensorList&& grads) override {
        Tensor dy = contiguous(grads[0]);
        const bool global = g.OH == 1 && g.OW == 1;
        Tensor dx = global ? empty(x_shape, dtype) : zeros(x_shape, dtype);
        const AdaptiveBounds bh(g.OH, g.H), bw(g.OW, g.W);
        CR_DISPATCH_FLOAT(dtype, "adaptive_avg_pool2d", [&] {
            using T = scalar_t;
            const T* gp = dy.data<T>();
            T* dp = dx.data<T>();
            const int64_t HW = g.H * g.W, O = g.OH * g.OW;
            parallel_for(0, g.P, plane_grain(HW + O), [&](int64_t b, int64_t e) {
                const int64_t OH = g.OH, OW = g.OW, W = g.W;
                for (int64_t pl = b; pl < e; ++pl) {
                    T* dq = dp + pl * HW;
                    if (global) {
                        const T v = gp[pl] / T(HW);
                        for (int64_t i = 0; i < HW; ++i) dq[i] = v;
                        continue;
                    }
                    for (int64_t oh = 0; oh < OH; ++oh) {
                        const int64_t hs = bh.start[oh], he = bh.end[oh];
                        for (int64_t ow = 0; ow < OW; ++ow) {
                            const int64_t ws = bw.start[ow], we = bw.end[ow];
                            const T v = gp[pl * O + oh * OW + ow] / T((he - hs) * (we - ws));
                            for (int64_t h = hs; h < he; ++h)
                                for (int64_t w = ws; w < we; ++w) dq[h * W + w] += v;
                        }
                    }
                }
            });
        });
        return {dx};
    }
    std::string name() const override { return "AdaptiveAvgPool2DBackward0"; }
};

Tensor adaptive_avg_pool2d(const Tensor& x, Pool2 output_size) {
    Geometry g = planes_of(x, "adaptive_avg_pool2d");
    CR_CHECK(output_size[0] >= 0 && output_size[1] >= 0, RuntimeError,
             "adaptive_avg_pool2d: output_size must be non-negative; got (", output_size[0], ", ",
             output_size[1], ")");
    g.OH = output_size[0];
    g.OW = output_size[1];
    set_out(g, x);
    Tensor xc = contiguous(x);
    Tensor y = empty(g.out_shape, x.dtype());
    const AdaptiveBounds bh(g.OH, g.H), bw(g.OW, g.W);
    const bool global = g.OH == 1 && g.OW == 1;
    CR_DISPATCH_FLOAT(x.dtype(), "adaptive_avg_pool2d", [&] {
        using T = scalar_t;
        const T* xp = xc.data<T>();
        T* yp = y.data<T>();
        const int64_t HW = g.H * g.W, O = g.OH * g.OW;
        parallel_for(0, g.P, plane_grain(HW + O), [&](int64_t b, int64_t e) {
            const int64_t OH = g.OH, OW = g.OW, W = g.W;
            for (int64_t pl = b; pl < e; ++pl) {
                const T* xq = xp + pl * HW;
                if (global) {
                    yp[pl] = plane_sum(xq, HW) / T(HW);
                    continue;
                }
                for (int64_t oh = 0; oh < OH; ++oh) {
                    const int64_t hs = bh.start[oh], he = bh.end[oh];
                    for (int64_t ow = 0; ow < OW; ++ow) {
                        const int64_t ws = bw.start[ow], we = bw.end[ow];
                        T acc = 0;
                        for (int64_t h = hs; h < he; ++h)
                            for (int64_t w = ws; w < we; ++w) acc += xq[h * W + w];
                        yp[pl * O + oh * OW + ow] = acc / T((he - hs) * (we - ws));
                    }
                }
            }
        });
    });
    if (needs_grad(x)) {
        auto node = make_node<AdaptiveAvgPool2DBackward0>({&x});
        node->x_shape = x.shape();
        node->dtype = x.dtype();
        node->g = g;
        set_grad_fn(y, node);
    }
    return y;
}

}  // namespace chainrule
