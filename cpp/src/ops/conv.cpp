// Convolutions as im2col + GEMM (kernels/gemm). conv1d runs as a conv2d of height 1. Small
// images go through the GEMM a chunk at a time (kernels/conv/columns.h), large ones one at a time
// straight into the output; a 1x1, stride-1, unpadded conv of a large image reads the input in
// place as its column matrix.
#include <algorithm>
#include <cstring>
#include <vector>

#include "../kernels/conv/columns.h"
#include "../kernels/gemm/gemm.h"
#include "chainrule/parallel.h"
#include "pointwise.h"

namespace chainrule {

namespace {

// Images per chunk: enough that the chunk's column matrix (Kc x nb*Pc) fills about this many
// bytes (it stays in L2 while the GEMM reads it), so small images share one wide GEMM; large
// images go one at a time and, unless their rows are wide, the GEMM writes straight into the
// output. Chunks run in parallel, each on one thread with serial GEMMs; a single chunk gets
// the threads inside its GEMMs instead. The chunking depends on the shape alone, so results
// do not depend on the thread count.
constexpr int64_t kColumnChunkBytes = int64_t(256) << 10;

int64_t chunk_images(const ConvGeom& g, int64_t elem_size) {
    const int64_t per_image = std::max<int64_t>(1, g.Kc() * g.Pc() * elem_size);
    return std::clamp<int64_t>(kColumnChunkBytes / per_image, 1, std::max<int64_t>(g.N, 1));
}

// A parallel region over chunks (or images, or shares) starts only when each thread gets at
// least this many multiply-adds: a tiny convolution stays on the calling thread. Measured on
// 32-channel 3x3 convs of 2-4 small images: a region pays from about this size.
constexpr double kWorkPerThread = double(int64_t(1) << 16);

// parallel_for's grain for items of `work` multiply-adds each.
int64_t item_grain(double work) {
    return std::max<int64_t>(1, static_cast<int64_t>(kWorkPerThread / std::max(work, 1.0)));
}

template <class T>
T* workspace(Tensor& holder, int64_t n, DType dtype) {  // uninitialised: written before read
    holder = empty({std::max<int64_t>(n, 1)}, dtype);
    return holder.data<T>();
}

// Wide rows again, without a column matrix: tap t = (ki, kj) of the kernel sees the input
// plane shifted by wide_tap_offset(t), a (Cg, run) matrix with rows a plane apart, so
// Y (Og, Pc) = sum_t W[:, :, t] (Og, Cg) @ X_t (Cg, run): kh*kw GEMMs of depth Cg reading the
// (padded) input in place. Pays when Cg is deep enough for the GEMM (see kTapsMinChannels).
constexpr int64_t kTapsMinChannels = 32;

bool forward_by_taps(const ConvGeom& gc) { return gc.wide() && gc.Cg() >= kTapsMinChannels; }

template <class T>
void conv_forward_taps(const ConvGeom& g, const ConvGeom& gc, const T* x, const T* w, const T* b,
                       int64_t bs, T* y, DType dt) {
    const bool padded = pads_first(g);
    const int64_t P = g.P(), Kc = g.Kc(), Og = g.Og(), Cg = g.Cg(), Pc = gc.Pc(), KK = g.kh * g.kw;
    const int64_t x_image = g.C * g.H * g.W, y_image = g.O * P, plane = gc.H * gc.W;
    const int64_t run = wide_run(gc);
    const double image_work = static_cast<double>(g.O) * static_cast<double>(Kc * Pc);
    parallel_for(0, g.N, item_grain(image_work), [&](int64_t n0, int64_t n1) {
        Tensor out_holder, pad_holder;
        T* out = workspace<T>(out_holder, Og * Pc, dt);
        T* xp = padded ? workspace<T>(pad_holder, Cg * plane, dt) : nullptr;
        for (int64_t n = n0; n < n1; ++n) {
            for (int64_t gr = 0; gr < g.groups; ++gr) {
                const T* src = x + n * x_image + gr * Cg * g.H * g.W;
                if (padded) {
                    pad_images(g, gc, src, x_image, 1, xp);
                    src = xp;
                }
                const T* wg = w + gr * Og * Kc;
                for (int64_t t = 0; t < KK; ++t) {
                    kernels::gemm<T>(Og, run, Cg, T(1), wg + t, Kc, KK,
                                     src + wide_tap_offset(gc, t), plane, 1, t == 0 ? T(0) : T(1),
                                     out, Pc, 1);
                }
                chunk_to_nchw(gc, out, 1, y + n * y_image + gr * Og * P, y_image,
                              b ? b + gr * Og * bs : nullptr, bs);
            }
        }
    });
}

// Wide forward convs with few output channels a group skip the column matrix: the GEMM's
// unpacked kernel reads each kernel tap's row straight from the input (gemm_pointed), which
// pays while its rows of C fit the unpacked kernel's register blocks.
constexpr int64_t kPointedMaxRows = 32;

// y (N, O, OH, OW) = conv(x, w) + b; x, w contiguous.
template <class T>
void conv_forward(const ConvGeom& g, const T* x, const T* w, const T* b, int64_t bs, T* y,
                  DType dt) {
    const bool padded = pads_first(g);
    const ConvGeom gc = padded ? padded_geometry(g) : g;  // the geometry the columns see
    if (forward_by_taps(gc)) {
        conv_forward_taps(g, gc, x, w, b, bs, y, dt);
        return;
    }
    const int64_t P = g.P(), Kc = g.Kc(), Og = g.Og(), Cg = g.Cg(), Pc = gc.Pc();
    const int64_t x_image = g.C * g.H * g.W, y_image = g.O * P, xp_image = Cg * gc.H * gc.W;
    const int64_t nb_max = chunk_images(gc, sizeof(T)), chunks = (g.N + nb_max - 1) / nb_max;
    const bool in_place = nb_max == 1 && gc.pointwise();      // the input is its own column matrix
    const bool straight = nb_max == 1 && !gc.wide();          // the GEMM writes into y
    const bool pointed = gc.wide() && Og <= kPointedMaxRows;  // no column matrix (below)
    const double chunk_work = static_cast<double>(g.O) * static_cast<double>(Kc * nb_max * Pc);
    parallel_for(0, chunks, item_grain(chunk_work), [&](int64_t c0, int64_t c1) {
        Tensor col_holder, out_holder, pad_holder;
        T* col = in_place || pointed ? nullptr : workspace<T>(col_holder, Kc * nb_max * Pc, dt);
        std::vector<const T*> rows(pointed ? static_cast<size_t>(Kc) : 0);
        T* out = straight ? nullptr : workspace<T>(out_holder, Og * nb_max * Pc, dt);
        T* xp = padded ? workspace<T>(pad_holder, nb_max * xp_image, dt) : nullptr;
        for (int64_t chunk = c0; chunk < c1; ++chunk) {
            const int64_t n0 = chunk * nb_max, nb = std::min(nb_max, g.N - n0), ld = nb * Pc;
            for (int64_t gr = 0; gr < g.groups; ++gr) {
                const T* xg = x + n0 * x_image + gr * Cg * g.H * g.W;
                T* yg = y + n0 * y_image + gr * Og * P;
                const T* wg = w + gr * Og * Kc;
                const T* bg = b ? b + gr * Og * bs : nullptr;
                if (Kc == 0) {  // no input channels: the bias alone
                    for (int64_t i = 0; i < nb; ++i)
                        for (int64_t o = 0; o < Og; ++o)
                            std::fill(yg + i * y_image + o * P, yg + i * y_image + (o + 1) * P,
                                      bg ? bg[o * bs] : T(0));
                    continue;
                }
                const T* src = xg;
                int64_t src_image = x_image;
                if (padded) {
                    pad_images(g, gc, xg, x_image, nb, xp);
                    src = xp;
                    src_image = xp_image;
                }
                if (pointed) {  // each image's column rows are runs of its own (padded) planes
                    const int64_t KK = g.kh * g.kw, plane = gc.H * gc.W, run = wide_run(gc);
                    for (int64_t i = 0; i < nb; ++i) {
                        for (int64_t k = 0; k < Kc; ++k)
                            rows[k] = src + i * src_image + (k / KK) * plane +
                                      wide_tap_offset(gc, k % KK);
                        kernels::gemm_pointed<T>(Og, run, Kc, T(1), wg, Kc, 1, rows.data(), T(0),
                                                 out + i * Pc, ld);
                    }
                    chunk_to_nchw(gc, out, nb, yg, y_image, bg, bs);
                    continue;
                }
                const T* cm = src;
                if (!in_place) {
                    im2col(gc, src, src_image, nb, col, ld);
                    cm = col;
                }
                if (straight) {  // on top of the bias
                    if (bg)
                        for (int64_t o = 0; o < Og; ++o)
                            std::fill(yg + o * P, yg + (o + 1) * P, bg[o * bs]);
                    kernels::gemm<T>(Og, P, Kc, T(1), wg, Kc, 1, cm, P, 1, bg ? T(1) : T(0), yg, P,
                                     1);
                } else {
                    kernels::gemm<T>(Og, ld, Kc, T(1), wg, Kc, 1, cm, ld, 1, T(0), out, ld, 1);
                    chunk_to_nchw(gc, out, nb, yg, y_image, bg, bs);
                }
            }
        }
    });
}

// dx (N, C, H, W) = conv^T(dy, w); dw (O, Cg, kh, kw) = sum_n dy_n @ col_n^T. dy contiguous.
// Each chunk's share of dw goes to its own slice of a buffer, added up in chunk order.
// dW's sum over the batch runs in at most this many shares of consecutive chunks, each share
// on one thread into its own buffer, then the shares are added in order: a fixed split (by
// shape, never by thread count) keeps the bits independent of the threads.
constexpr int64_t kWeightGradShares = 16;

template <class T>
void conv_backward(const ConvGeom& g, const T* dy, const T* x, const T* w, T* dx, T* dw, DType dt) {
    const bool padded = pads_first(g);
    const ConvGeom gc = padded ? padded_geometry(g) : g;
    const int64_t P = g.P(), Kc = g.Kc(), Og = g.Og(), Cg = g.Cg(), Pc = gc.Pc(), KK = g.kh * g.kw;
    const int64_t x_image = g.C * g.H * g.W, y_image = g.O * P, dw_size = g.O * Kc;
    const int64_t xp_image = Cg * gc.H * gc.W, plane = gc.H * gc.W;
    if (Kc == 0 || P == 0 || g.N == 0) {
        if (dx) std::fill(dx, dx + g.N * x_image, T(0));
        if (dw) std::fill(dw, dw + dw_size, T(0));
        return;
    }
    const bool taps = forward_by_taps(gc);  // one image a chunk, no column matrix
    const int64_t nb_max = taps ? 1 : chunk_images(gc, sizeof(T));
    const int64_t chunks = (g.N + nb_max - 1) / nb_max;
    const int64_t shares = std::min(chunks, kWeightGradShares);
    const bool in_place = !taps && nb_max == 1 && gc.pointwise();
    const bool straight = !taps && nb_max == 1 && !gc.wide();  // the GEMMs read dy in place
    Tensor parts_holder;
    T* dw_parts = dw && shares > 1 ? workspace<T>(parts_holder, shares * dw_size, dt) : dw;
    const double share_work = static_cast<double>((dw ? 1 : 0) + (dx ? 1 : 0)) *
                              static_cast<double>(g.O) * static_cast<double>(Kc * Pc) *
                              static_cast<double>(g.N) / static_cast<double>(shares);
    parallel_for(0, shares, item_grain(share_work), [&](int64_t s0, int64_t s1) {
        Tensor col_holder, dys_holder, pad_holder;
        T* col = in_place || taps ? nullptr : workspace<T>(col_holder, Kc * nb_max * Pc, dt);
        T* dys = straight ? nullptr : workspace<T>(dys_holder, Og * nb_max * Pc, dt);
        T* xp = padded || (taps && dx) ? workspace<T>(pad_holder, nb_max * xp_image, dt) : nullptr;
        for (int64_t share = s0; share < s1; ++share) {
            const int64_t first = chunks * share / shares, last = chunks * (share + 1) / shares;
            for (int64_t chunk = first; chunk < last; ++chunk) {
                const int64_t n0 = chunk * nb_max, nb = std::min(nb_max, g.N - n0), ld = nb * Pc;
                const T beta = chunk == first ? T(0) : T(1);  // the share's first chunk starts dw
                T* dw_share = dw ? dw_parts + share * dw_size : nullptr;
                if (dx && !padded && !taps)
                    std::fill(dx + n0 * x_image, dx + (n0 + nb) * x_image, T(0));
                for (int64_t gr = 0; gr < g.groups; ++gr) {
                    const int64_t xoff = n0 * x_image + gr * Cg * g.H * g.W;
                    const T* dyg = dy + n0 * y_image + gr * Og * P;
                    const T* wg = w + gr * Og * Kc;
                    if (!straight) {  // dy's chunk as one (Og, nb*Pc) matrix, zero in junk columns
                        nchw_to_chunk(gc, dyg, y_image, nb, dys);
                        dyg = dys;
                    }
                    const T* src = x + xoff;  // the chunk's input (its padded copy if padded)
                    int64_t src_image = x_image;
                    if (dw && padded) {
                        pad_images(g, gc, src, x_image, nb, xp);
                        src = xp;
                        src_image = xp_image;
                    }
                    if (taps) {
                        const int64_t run = wide_run(gc);
                        // dW[:, :, t] (Og, Cg) += dY (Og, run) @ X_t^T (run, Cg)
                        for (int64_t t = 0; dw && t < KK; ++t) {
                            kernels::gemm<T>(Og, Cg, run, T(1), dyg, Pc, 1,
                                             src + wide_tap_offset(gc, t), 1, plane, beta,
                                             dw_share + gr * Og * Kc + t, Kc, KK);
                        }
                        if (dx) {
                            // dX_t (Cg, run) += W[:, :, t]^T (Cg, Og) @ dY (Og, run), each tap's
                            // window shifted; the junk columns of dY are zero
                            T* target = padded ? xp : dx + xoff;
                            std::fill(target, target + xp_image, T(0));
                            for (int64_t t = 0; t < KK; ++t) {
                                kernels::gemm<T>(Cg, run, Og, T(1), wg + t, KK, Kc, dyg, Pc, 1,
                                                 T(1), target + wide_tap_offset(gc, t), plane, 1);
                            }
                            if (padded) unpad_images(g, gc, xp, 1, dx + xoff, x_image);
                        }
                        continue;
                    }
                    if (dw) {
                        const T* cm = src;
                        if (!in_place) {
                            im2col(gc, src, src_image, nb, col, ld);
                            cm = col;
                        }
                        // dW_g (Og, Kc) += dy_g (Og, nb*Pc) @ col^T (nb*Pc, Kc)
                        kernels::gemm<T>(Og, Kc, ld, T(1), dyg, ld, 1, cm, 1, ld, beta,
                                         dw_share + gr * Og * Kc, Kc, 1);
                    }
                    if (dx) {
                        // dcol (Kc, nb*Pc) = W_g^T (Kc, Og) @ dy_g (Og, nb*Pc)
                        if (in_place && !padded) {
                            kernels::gemm<T>(Kc, P, Og, T(1), wg, 1, Kc, dyg, P, 1, T(0), dx + xoff,
                                             P, 1);
                            continue;
                        }
                        T* target =
                            dx + xoff;  // col2im adds into zeros: dx's chunk or the padded copy
                        int64_t target_image = x_image;
                        if (padded) {
                            std::fill(xp, xp + nb * xp_image, T(0));
                            target = xp;
                            target_image = xp_image;
                        }
                        if (in_place) {  // 1x1 with padding: the padded copy is the column matrix
                            kernels::gemm<T>(Kc, Pc, Og, T(1), wg, 1, Kc, dyg, Pc, 1, T(0), xp, Pc,
                                             1);
                        } else {
                            kernels::gemm<T>(Kc, ld, Og, T(1), wg, 1, Kc, dyg, ld, 1, T(0), col, ld,
                                             1);
                            col2im(gc, col, ld, nb, target, target_image);
                        }
                        if (padded) unpad_images(g, gc, xp, nb, dx + xoff, x_image);
                    }
                }
            }
        }
    });
    if (dw && shares > 1) {
        parallel_for(0, dw_size, kGrain / shares, [&](int64_t e0, int64_t e1) {
            for (int64_t e = e0; e < e1; ++e) {
                T sum = dw_parts[e];
                for (int64_t sh = 1; sh < shares; ++sh) sum += dw_parts[sh * dw_size + e];
                dw[e] = sum;
            }
        });
    }
}

std::string ints_str(const std::vector<int64_t>& v) {
    std::string s = "(";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + (v.size() == 1 ? ",)" : ")");
}

}  // namespace

// ---- convolution (conv1d, conv2d) --------------------------------------------
// y[n,o,p] = b[o] + sum_{c in group(o), k} w[o,c,k] * xpad[n,c, p*s + k*d]
// As matrices per image and group: Y_g = W_g @ col(x)_g (col: im2col, Kc x P).
// dW_g = sum_n dY_g @ col(x)_g^T      dx = col2im(W_g^T @ dY_g)      db = dY summed over n, p
struct ConvolutionBackward0 final : Node {
    SavedTensor x,
        w;  // contiguous (N, C, H, W) / (O, Cg, kh, kw) forms; x only for dW, w only for dx
    ConvGeom geom;
    Shape x_shape, w_shape;  // the caller's shapes (grads are returned in them)
    DType dtype = DType::Float32;
    bool has_bias = false;
    TensorList apply(TensorList&& gr) override {
        const char* nm = "ConvolutionBackward0";
        const ConvGeom& g = geom;
        Tensor dy = contiguous(gr[0]);
        TensorList grads(has_bias ? 3 : 2);
        const bool need_dx = needs_input_grad(0), need_dw = needs_input_grad(1);
        if (need_dx || need_dw) {
            Tensor xv = need_dw ? x.unpack(nm) : Tensor();
            Tensor wv = need_dx ? w.unpack(nm) : Tensor();
            Tensor dx = need_dx ? empty({g.N, g.C, g.H, g.W}, dtype) : Tensor();
            Tensor dw = need_dw ? empty({g.O, g.Cg(), g.kh, g.kw}, dtype) : Tensor();
            CR_DISPATCH_FLOAT(dtype, "convolution", [&] {
                using T = scalar_t;
                conv_backward<T>(g, dy.data<T>(), need_dw ? xv.data<T>() : nullptr,
                                 need_dx ? wv.data<T>() : nullptr, need_dx ? dx.data<T>() : nullptr,
                                 need_dw ? dw.data<T>() : nullptr, dtype);
            });
            if (need_dx) grads[0] = reshape(dx, x_shape);
            if (need_dw) grads[1] = reshape(dw, w_shape);
        }
        if (has_bias && needs_input_grad(2)) {
            Tensor dy4 = reshape(dy, {g.N, g.O, g.P()});
            grads[2] = sum(dy4, {0, 2});
        }
        return grads;
    }
    std::string name() const override { return "ConvolutionBackward0"; }
    void release_saved() override {
        x.reset();
        w.reset();
    }
};

Tensor convolution(const Tensor& input, const Tensor& weight, const Tensor& bias,
                   const std::vector<int64_t>& stride, const std::vector<int64_t>& pad_lo,
                   const std::vector<int64_t>& pad_hi, const std::vector<int64_t>& dilation,
                   int64_t groups, const char* op) {
    const int64_t sd = static_cast<int64_t>(stride.size());  // spatial dims: 1 or 2
    CR_CHECK(sd == 1 || sd == 2, RuntimeError, op, ": only 1-d and 2-d convolutions are supported");
    CR_CHECK(static_cast<int64_t>(pad_lo.size()) == sd &&
                 static_cast<int64_t>(pad_hi.size()) == sd &&
                 static_cast<int64_t>(dilation.size()) == sd,
             RuntimeError, op, ": stride, padding and dilation must each have ", sd, " values");
    CR_CHECK(input.dim() == sd + 1 || input.dim() == sd + 2, RuntimeError, op, ": Expected ",
             sd + 1, "D (unbatched) or ", sd + 2, "D (batched) input to ", op,
             ", but got input of size: ", shape_str(input.shape()));
    CR_CHECK(weight.dim() == sd + 2, RuntimeError, op, ": weight must be ", sd + 2,
             "-D (out_channels, in_channels / groups, *kernel_size); got shape ",
             shape_str(weight.shape()));
    CR_CHECK(is_floating(input.dtype()) && input.dtype() == weight.dtype(), RuntimeError, op,
             ": input and weight must have the same floating dtype; got ",
             dtype_name(input.dtype()), " and ", dtype_name(weight.dtype()));
    for (int64_t i = 0; i < sd; ++i) {
        CR_CHECK(stride[i] > 0, RuntimeError, op,
                 ": non-positive stride is not supported; got stride=", ints_str(stride));
        CR_CHECK(dilation[i] > 0, RuntimeError, op,
                 ": dilation should be greater than zero; got dilation=", ints_str(dilation));
        CR_CHECK(pad_lo[i] >= 0 && pad_hi[i] >= 0, RuntimeError, op,
                 ": negative padding is not supported; got padding=", ints_str(pad_lo));
    }
    CR_CHECK(groups > 0, RuntimeError, op,
             ": non-positive groups is not supported; got groups=", groups);
    const bool batched = input.dim() == sd + 2;
    const int64_t C = input.shape()[batched ? 1 : 0];
    const int64_t O = weight.shape()[0];
    CR_CHECK(O % groups == 0, RuntimeError, op, ": Given groups=", groups,
             ", expected weight of shape ", shape_str(weight.shape()), " to be divisible by ",
             groups, " at dimension 0");
    CR_CHECK(weight.shape()[1] * groups == C, RuntimeError, op, ": Given groups=", groups,
             ", weight of size ", shape_str(weight.shape()), ", expected input",
             shape_str(input.shape()), " to have ", weight.shape()[1] * groups,
             " channels, but got ", C, " channels instead");
    if (bias.defined()) {
        CR_CHECK(bias.dim() == 1 && bias.shape()[0] == O, RuntimeError, op,
                 ": Given weight of size ", shape_str(weight.shape()),
                 ", expected bias to be 1-dimensional with ", O, " elements, but got bias of size ",
                 shape_str(bias.shape()), " instead");
        CR_CHECK(bias.dtype() == weight.dtype(), RuntimeError, op, ": bias must have dtype ",
                 dtype_name(weight.dtype()), "; got ", dtype_name(bias.dtype()));
    }
    ConvGeom g;
    g.N = batched ? input.shape()[0] : 1;
    g.C = C;
    g.O = O;
    g.groups = groups;
    const int64_t s0 = batched ? 2 : 1;
    std::vector<int64_t> in_sp(input.shape().begin() + s0, input.shape().end());
    std::vector<int64_t> k_sp(weight.shape().begin() + 2, weight.shape().end());
    std::vector<int64_t> out_sp(sd);
    for (int64_t i = 0; i < sd; ++i) {
        const int64_t padded = in_sp[i] + pad_lo[i] + pad_hi[i];
        const int64_t ext = dilation[i] * (k_sp[i] - 1) + 1;
        CR_CHECK(padded >= ext, RuntimeError, op,
                 ": Calculated padded input size per channel: ", ints_str(in_sp),
                 " + padding. Kernel size: ", ints_str(k_sp), " (dilated extent ", ext,
                 "). Kernel size can't be greater than actual input size; "
                 "got input of shape ",
                 shape_str(input.shape()), " and weight of shape ", shape_str(weight.shape()));
        out_sp[i] = (padded - ext) / stride[i] + 1;
    }
    if (sd == 2) {
        g.H = in_sp[0], g.W = in_sp[1], g.kh = k_sp[0], g.kw = k_sp[1], g.OH = out_sp[0],
        g.OW = out_sp[1];
        g.sh = stride[0], g.sw = stride[1], g.dh = dilation[0], g.dw = dilation[1];
        g.ph = pad_lo[0], g.pw = pad_lo[1], g.ph_after = pad_hi[0], g.pw_after = pad_hi[1];
    } else {
        g.H = 1, g.W = in_sp[0], g.kh = 1, g.kw = k_sp[0], g.OH = 1, g.OW = out_sp[0];
        g.sw = stride[0], g.dw = dilation[0], g.pw = pad_lo[0], g.pw_after = pad_hi[0];
    }
    Tensor xc, wc;
    {
        NoGradGuard ng;  // the copies below are computation only; the node keeps the edges
        xc = contiguous(input);
        wc = contiguous(weight);
    }
    Shape out_shape;
    if (batched) out_shape.push_back(g.N);
    out_shape.push_back(O);
    for (int64_t v : out_sp) out_shape.push_back(v);
    Tensor y = empty(out_shape, input.dtype());
    CR_DISPATCH_FLOAT(input.dtype(), op, [&] {
        using T = scalar_t;
        conv_forward<T>(g, xc.data<T>(), wc.data<T>(), bias.defined() ? bias.data<T>() : nullptr,
                        bias.defined() ? bias.strides()[0] : 0, y.data<T>(), input.dtype());
    });
    const bool grad = bias.defined() ? any_needs_grad({&input, &weight, &bias})
                                     : any_needs_grad({&input, &weight});
    if (grad) {
        auto node = bias.defined() ? make_node<ConvolutionBackward0>({&input, &weight, &bias})
                                   : make_node<ConvolutionBackward0>({&input, &weight});
        node->geom = g;
        node->x_shape = input.shape();
        node->w_shape = weight.shape();
        node->dtype = input.dtype();
        node->has_bias = bias.defined();
        if (node->needs_input_grad(1)) node->x = xc;
        if (node->needs_input_grad(0)) node->w = wc;
        set_grad_fn(y, node);
    }
    return y;
}

}  // namespace chainrule
