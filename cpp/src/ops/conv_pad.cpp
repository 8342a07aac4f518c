// F.pad: constant padding of any number of trailing dims (negative pads crop), and the
// reflect / replicate / circular modes of the last 1-3 dims as index_select gathers.
#include "chainrule/ops.h"
#include "pointwise.h"

namespace chainrule {

namespace {

std::string pads_str(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

// y = the overlap of x and the padded frame copied into a tensor filled with `value`.
Tensor constant_pad_raw(const Tensor& x, const std::vector<int64_t>& p, double value) {
    const int64_t nd = x.dim(), np = static_cast<int64_t>(p.size()) / 2;
    Shape out = x.shape();
    for (int64_t i = 0; i < np; ++i) out[nd - 1 - i] += p[2 * i] + p[2 * i + 1];
    Tensor y = full(out, value, x.dtype());
    // Source and destination windows: per padded dim, start and length of the overlap.
    Shape len = x.shape();
    int64_t xoff = x.offset(), yoff = y.offset();
    const Strides ys = y.strides();
    bool empty_overlap = false;
    for (int64_t i = 0; i < np; ++i) {
        const int64_t d = nd - 1 - i, lo = p[2 * i];
        const int64_t xs = std::max<int64_t>(0, -lo), ystart = std::max<int64_t>(0, lo);
        const int64_t n = std::min(x.shape()[d] - xs, out[d] - ystart);
        if (n <= 0) {
            empty_overlap = true;
            break;
        }
        len[d] = n;
        xoff += xs * x.strides()[d];
        yoff += ystart * ys[d];
    }
    if (empty_overlap || numel_of(len) == 0) return y;
    Tensor dst = make_view(y, len, ys, yoff);
    Tensor src = make_view(x, len, x.strides(), xoff);
    detail::copy_cast(dst, src);
    return y;
}

}  // namespace

// ---- pad (constant) ----------------------------------------------------------
// y = x placed at offset lo in each padded dim of a `value`-filled tensor (negative lo/hi crop)
// dx = dy cropped by the same pads (a constant pad of dy by -pad)
struct ConstantPadNdBackward0 final : Node {
    std::vector<int64_t> pads;
    TensorList apply(TensorList&& g) override {
        std::vector<int64_t> neg(pads.size());
        for (size_t i = 0; i < pads.size(); ++i) neg[i] = -pads[i];
        return {constant_pad_raw(g[0], neg, 0.0)};
    }
    std::string name() const override { return "ConstantPadNdBackward0"; }
};

Tensor pad(const Tensor& input, const std::vector<int64_t>& p, const std::string& mode,
           double value) {
    const int64_t np = static_cast<int64_t>(p.size());
    CR_CHECK(np % 2 == 0, ValueError,
             "pad: Padding length must be divisible by 2; got pad=", pads_str(p));
    CR_CHECK(np / 2 <= input.dim(), ValueError,
             "pad: Padding length should be less than or equal to two "
             "times the input dimension; got pad=",
             pads_str(p), " for input of shape ", shape_str(input.shape()));
    if (mode == "constant") {
        for (int64_t i = 0; i < np / 2; ++i) {
            const int64_t d = input.dim() - 1 - i;
            const int64_t n = input.shape()[d] + p[2 * i] + p[2 * i + 1];
            CR_CHECK(n >= 0, ValueError, "pad: The input size ", input.shape()[d],
                     ", plus negative padding ", p[2 * i], " and ", p[2 * i + 1],
                     " resulted in a negative output size, which is invalid. "
                     "Check dimension ",
                     d, " of your input of shape ", shape_str(input.shape()));
            // As PyTorch, the crops (negative pads) must fit in the input on their own: a crop of
            // 4 from a dim of 3 is an error even when the other side's padding makes up for it.
            const int64_t kept = input.shape()[d] + std::min<int64_t>(p[2 * i], 0) +
                                 std::min<int64_t>(p[2 * i + 1], 0);
            CR_CHECK(kept >= 0, ValueError, "pad: negative padding ", p[2 * i], " and ",
                     p[2 * i + 1], " crops more than the ", input.shape()[d],
                     " elements of dimension ", d, " of the input of shape ",
                     shape_str(input.shape()));
        }
        Tensor y = constant_pad_raw(input, p, value);
        if (needs_grad(input)) {
            auto node = make_node<ConstantPadNdBackward0>({&input});
            node->pads = p;
            set_grad_fn(y, node);
        }
        return y;
    }
    CR_CHECK(mode == "reflect" || mode == "replicate" || mode == "circular", ValueError,
             "pad: Unrecognised padding mode '", mode,
             "'; expected 'constant', 'reflect', 'replicate' "
             "or 'circular'");
    CR_CHECK(value == 0.0, ValueError, "pad: Padding mode \"", mode,
             "\" doesn't take in value argument");
    CR_CHECK(np >= 2 && np <= 6 && input.dim() >= np / 2 + 1 && input.dim() <= np / 2 + 2,
             ValueError, "pad: ", mode, " padding of ", np / 2, " dims expects a ", np / 2 + 1,
             "-d or ", np / 2 + 2, "-d input; got pad=", pads_str(p), " and input of shape ",
             shape_str(input.shape()));
    CR_CHECK(is_floating(input.dtype()), TypeError, "pad: ", mode,
             " padding needs a floating input; got ", dtype_name(input.dtype()));
    // As PyTorch: reflect and replicate raise when every padded dim would be cropped to
    // nothing (one of them may be; circular may crop any)
    bool some_left = mode == "circular";
    for (int64_t i = 0; i < np / 2; ++i) {
        some_left |= input.shape()[input.dim() - 1 - i] + p[2 * i] + p[2 * i + 1] > 0;
    }
    CR_CHECK(some_left, ValueError, "pad: input of shape ", shape_str(input.shape()),
             " is too small for ", mode, " pad=", pads_str(p),
             ": every padded dim would have "
             "size 0 or less");
    Tensor y = input;
    for (int64_t i = 0; i < np / 2; ++i) {
        const int64_t d = input.dim() - 1 - i, lo = p[2 * i], hi = p[2 * i + 1];
        const int64_t n = input.shape()[d];
        if (mode == "reflect") {
            CR_CHECK(lo < n && hi < n, ValueError,
                     "pad: Padding size should be less than the corresponding "
                     "input dimension, but got: padding (",
                     lo, ", ", hi, ") at dimension ", d, " of input ", shape_str(input.shape()));
        } else if (mode == "circular") {
            CR_CHECK(lo <= n && hi <= n, ValueError,
                     "pad: Padding value causes wrapping around more than "
                     "once; got padding (",
                     lo, ", ", hi, ") at dimension ", d, " of input ", shape_str(input.shape()));
        } else {
            CR_CHECK(n > 0 || (lo <= 0 && hi <= 0), ValueError,
                     "pad: cannot replicate-pad the empty dimension ", d, " of input ",
                     shape_str(input.shape()));
        }
        const int64_t m = n + lo + hi;
        CR_CHECK(m >= 0, ValueError, "pad: negative output size at dimension ", d,
                 " for pad=", pads_str(p));
        Tensor idx = empty({m}, DType::Int64);
        int64_t* ip = idx.data<int64_t>();
        for (int64_t j = 0; j < m; ++j) {
            int64_t k = j - lo;  // index into the unpadded dim
            if (mode == "replicate") {
                k = std::min(std::max<int64_t>(k, 0), n - 1);
            } else if (mode == "circular") {
                k = ((k % n) + n) % n;
            } else if (n == 1) {
                k = 0;
            } else {
                const int64_t period = 2 * (n - 1);
                k = ((k % period) + period) % period;
                if (k >= n) k = period - k;
            }
            ip[j] = k;
        }
        y = index_select(y, d, idx);
    }
    return y;
}

}  // namespace chainrule
