// The column (im2col) side of the convolutions in ops/conv.cpp: the geometry, the gather of
// input windows into a column matrix and its adjoint, for a chunk of images at once, and the
// copies between a chunk's GEMM layout and NCHW.
//
// A chunk's column matrix is (Kc, nb * P): row r = (c, ki, kj) of the kernel, column
// i * P + p = output pixel p of the chunk's image i. Putting several small images side by side
// gives the GEMM a wide enough N to run at speed (a LeNet image has P = 64 output pixels).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "chainrule/parallel.h"

namespace chainrule {
namespace {

// The geometry of a 2-d convolution (conv1d: height 1, kernel height 1).
struct ConvGeom {
    int64_t N = 0, C = 0, H = 0, W = 0;      // input
    int64_t O = 0, kh = 1, kw = 1;           // weight (O, C / groups, kh, kw)
    int64_t OH = 0, OW = 0;                  // output
    int64_t sh = 1, sw = 1, dh = 1, dw = 1;  // stride, dilation
    int64_t ph = 0, pw = 0;                  // padding before
    // Padding after: besides shaping OH and OW, it decides whether the input can be read in
    // place (wide rows read exactly the unpadded extent); padding="same" with an even kernel
    // pads only after.
    int64_t ph_after = 0, pw_after = 0;
    int64_t groups = 1;
    bool unpadded() const { return ph == 0 && pw == 0 && ph_after == 0 && pw_after == 0; }
    int64_t Cg() const { return C / groups; }
    int64_t Og() const { return O / groups; }
    int64_t Kc() const { return Cg() * kh * kw; }  // rows of the column matrix
    int64_t P() const { return OH * OW; }          // output pixels
    bool pointwise() const {                       // 1x1, stride 1, no padding: col == input
        return kh == 1 && kw == 1 && sh == 1 && sw == 1 && unpadded() && OH == H && OW == W;
    }
    // Stride 1 and no padding on either side: the column rows can be "wide" (below).
    bool wide() const { return sh == 1 && sw == 1 && unpadded() && !pointwise(); }
    // Columns per image in the column matrix, and the stride between output rows in them.
    int64_t Pc() const { return wide() ? OH * W : P(); }
    int64_t row_stride() const { return wide() ? W : OW; }
};

// Wide column rows (stride 1, no padding). Computing every output row W wide instead of OW
// wide (the last W - OW outputs of each row are junk, dropped later) makes kernel tap
// (c, ki, kj)'s row one contiguous run of the input plane, x_c[ki*dh*W + kj*dw + q] for
// q < (OH - 1) * W + OW: one copy per row instead of one per output row, for (W - OW) / W
// more GEMM work. A LeNet conv has 8-wide output rows, far too short to copy one by one.
inline int64_t wide_tap_offset(const ConvGeom& g, int64_t k) {
    return (k / g.kw) * g.dh * g.W + (k % g.kw) * g.dw;
}
inline int64_t wide_run(const ConvGeom& g) { return (g.OH - 1) * g.W + g.OW; }

// The output columns [lo, hi) whose input column ow * stride + off lies inside [0, width).
struct ValidSpan {
    int64_t lo, hi;
};
inline ValidSpan valid_span(int64_t off, int64_t stride, int64_t width, int64_t out) {
    // ow >= ceil(-off / stride) and ow * stride + off <= width - 1
    int64_t lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int64_t hi = width - 1 - off < 0 ? 0 : (width - 1 - off) / stride + 1;
    lo = std::min(lo, out);
    hi = std::max(lo, std::min(hi, out));
    return {lo, hi};
}

// Stride-1 convs with padding run as unpadded ones (wide rows) on a zero-padded copy of each
// chunk: the copy costs one pass over the input, the per-output-row copies it saves many.
inline bool pads_first(const ConvGeom& g) { return g.sh == 1 && g.sw == 1 && !g.unpadded(); }
// The unpadded geometry over the padded copy (height OH + dh*(kh-1), the extent stride 1 reads).
inline ConvGeom padded_geometry(const ConvGeom& g) {
    ConvGeom p = g;
    p.H = g.OH + g.dh * (g.kh - 1);
    p.W = g.OW + g.dw * (g.kw - 1);
    p.ph = p.pw = p.ph_after = p.pw_after = 0;
    return p;
}

// xp (nb, Cg, gp.H, gp.W) = the group's channels of images [0, nb) of x, zero-padded.
template <class T>
void pad_images(const ConvGeom& g, const ConvGeom& gp, const T* x, int64_t x_image, int64_t nb,
                T* xp) {
    const int64_t Cg = g.Cg(), plane = gp.H * gp.W;
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(plane, 1));
    parallel_for(0, nb * Cg, grain, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t i = t / Cg, c = t % Cg;
            const T* src = x + i * x_image + c * g.H * g.W;
            T* dst = xp + t * plane;
            for (int64_t h = 0; h < gp.H; ++h) {
                T* row = dst + h * gp.W;
                const int64_t ih = h - g.ph;
                if (ih < 0 || ih >= g.H) {
                    std::fill(row, row + gp.W, T(0));
                    continue;
                }
                const int64_t lo = std::min(g.pw, gp.W), hi = std::min(g.pw + g.W, gp.W);
                std::fill(row, row + lo, T(0));
                std::memcpy(row + lo, src + ih * g.W, static_cast<size_t>(hi - lo) * sizeof(T));
                std::fill(row + hi, row + gp.W, T(0));
            }
        }
    });
}

// The adjoint: dx's group channels of images [0, nb) = the interior of dxp.
template <class T>
void unpad_images(const ConvGeom& g, const ConvGeom& gp, const T* dxp, int64_t nb, T* dx,
                  int64_t x_image) {
    const int64_t Cg = g.Cg(), plane = gp.H * gp.W;
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(plane, 1));
    parallel_for(0, nb * Cg, grain, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t i = t / Cg, c = t % Cg;
            const T* src = dxp + t * plane + g.ph * gp.W + g.pw;
            T* dst = dx + i * x_image + c * g.H * g.W;
            for (int64_t h = 0; h < g.H; ++h)
                std::memcpy(dst + h * g.W, src + h * gp.W, static_cast<size_t>(g.W) * sizeof(T));
        }
    });
}

// col rows for images [0, nb) of a chunk: x points at the first image's first channel of the
// group, image i at x + i * x_image; col has row stride ld (>= nb * Pc), image i's columns
// start at i * Pc.
template <class T>
void im2col(const ConvGeom& g, const T* x, int64_t x_image, int64_t nb, T* col, int64_t ld) {
    const int64_t P = g.P(), rows = g.Kc(), plane = g.H * g.W;
    if (g.wide()) {
        const int64_t Pc = g.Pc(), run = wide_run(g), KK = g.kh * g.kw;
        const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(Pc, 1));
        parallel_for(0, rows * nb, grain, [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) {
                const int64_t r = t / nb, i = t % nb;
                const T* src = x + i * x_image + (r / KK) * plane + wide_tap_offset(g, r % KK);
                T* out = col + r * ld + i * Pc;
                std::memcpy(out, src, static_cast<size_t>(run) * sizeof(T));
                std::fill(out + run, out + Pc, T(0));  // past the plane's end
            }
        });
        return;
    }
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(P, 1));
    parallel_for(0, rows * nb, grain, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t r = t / nb, i = t % nb;
            const int64_t kj = r % g.kw, ki = (r / g.kw) % g.kh, c = r / (g.kw * g.kh);
            const T* xc = x + i * x_image + c * plane;
            T* out = col + r * ld + i * P;
            const int64_t off = kj * g.dw - g.pw;
            const ValidSpan s = valid_span(off, g.sw, g.W, g.OW);
            for (int64_t oh = 0; oh < g.OH; ++oh) {
                const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
                T* o = out + oh * g.OW;
                if (ih < 0 || ih >= g.H) {
                    std::fill(o, o + g.OW, T(0));
                    continue;
                }
                std::fill(o, o + s.lo, T(0));
                const T* xr = xc + ih * g.W + off;
                if (g.sw == 1) {  // a loop, not memcpy: rows are often only a few elements
                    for (int64_t ow = s.lo; ow < s.hi; ++ow) o[ow] = xr[ow];
                } else {
                    for (int64_t ow = s.lo; ow < s.hi; ++ow) o[ow] = xr[ow * g.sw];
                }
                std::fill(o + s.hi, o + g.OW, T(0));
            }
        }
    });
}

// dx (the adjoint of im2col): image i's group of channels at dx + i * x_image gets the
// columns of dcol added back, dcol laid out as im2col writes it. dx must start zeroed.
template <class T>
void col2im(const ConvGeom& g, const T* dcol, int64_t ld, int64_t nb, T* dx, int64_t x_image) {
    const int64_t P = g.P(), KK = g.kh * g.kw, plane = g.H * g.W;
    if (g.wide()) {  // the junk columns hold zeros (dy is zero there), so whole runs add back
        const int64_t Pc = g.Pc(), run = wide_run(g);
        const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(Pc * KK, 1));
        parallel_for(0, nb * g.Cg(), grain, [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) {
                const int64_t i = t / g.Cg(), c = t % g.Cg();
                T* xc = dx + i * x_image + c * plane;
                for (int64_t k = 0; k < KK; ++k) {
                    const T* in = dcol + (c * KK + k) * ld + i * Pc;
                    T* out = xc + wide_tap_offset(g, k);
                    for (int64_t q = 0; q < run; ++q) out[q] += in[q];
                }
            }
        });
        return;
    }
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(P * KK, 1));
    // one (image, channel) plane per task: planes are disjoint, so no two threads add to one
    parallel_for(0, nb * g.Cg(), grain, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t i = t / g.Cg(), c = t % g.Cg();
            T* xc = dx + i * x_image + c * plane;
            for (int64_t k = 0; k < KK; ++k) {
                const int64_t ki = k / g.kw, kj = k % g.kw;
                const T* in = dcol + (c * KK + k) * ld + i * P;
                const int64_t off = kj * g.dw - g.pw;
                const ValidSpan s = valid_span(off, g.sw, g.W, g.OW);
                for (int64_t oh = 0; oh < g.OH; ++oh) {
                    const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
                    if (ih < 0 || ih >= g.H) continue;
                    T* xr = xc + ih * g.W + off;
                    const T* o = in + oh * g.OW;
                    if (g.sw == 1) {
                        for (int64_t ow = s.lo; ow < s.hi; ++ow) xr[ow] += o[ow];
                    } else {
                        for (int64_t ow = s.lo; ow < s.hi; ++ow) xr[ow * g.sw] += o[ow];
                    }
                }
            }
        }
    });
}

// Copies a chunk between (Og, nb*Pc) (the GEMM's layout, output rows row_stride() apart) and
// the NCHW tensor's group slice (image i, channel o at nchw + i * image + o * P).
// to_nchw drops the junk columns of wide rows and adds the bias (if any); to_chunk zeroes them.
template <class T>
void chunk_to_nchw(const ConvGeom& g, const T* m, int64_t nb, T* nchw, int64_t image, const T* b,
                   int64_t bs) {
    const int64_t P = g.P(), Pc = g.Pc(), rs = g.row_stride(), Og = g.Og(), ld = nb * Pc;
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(P, 1));
    parallel_for(0, nb * Og, grain, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t i = t / Og, o = t % Og;
            const T bias = b ? b[o * bs] : T(0);
            for (int64_t oh = 0; oh < g.OH; ++oh) {
                const T* src = m + o * ld + i * Pc + oh * rs;
                T* dst = nchw + i * image + o * P + oh * g.OW;
                for (int64_t ow = 0; ow < g.OW; ++ow) dst[ow] = src[ow] + bias;
            }
        }
    });
}

template <class T>
void nchw_to_chunk(const ConvGeom& g, const T* nchw, int64_t image, int64_t nb, T* m) {
    const int64_t P = g.P(), Pc = g.Pc(), rs = g.row_stride(), Og = g.Og(), ld = nb * Pc;
    const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(P, 1));
    parallel_for(0, nb * Og, grain, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            const int64_t i = t / Og, o = t % Og;
            T* dst = m + o * ld + i * Pc;
            if (rs == g.OW) {
                std::memcpy(dst, nchw + i * image + o * P, static_cast<size_t>(P) * sizeof(T));
                continue;
            }
            std::fill(dst, dst + Pc, T(0));
            for (int64_t oh = 0; oh < g.OH; ++oh)
                std::memcpy(dst + oh * rs, nchw + i * image + o * P + oh * g.OW,
                            static_cast<size_t>(g.OW) * sizeof(T));
        }
    });
}

}  // namespace
}  // namespace chainrule
