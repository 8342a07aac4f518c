// Private helpers of the pointwise op files: result types, casts and typed loops.
#pragma once
#include <cmath>
#include <type_traits>

#include "../kernels/baseline/loops.h"
#include "../kernels/dispatch.h"
#include "../kernels/elementwise/formulas.h"
#include "chainrule/autograd.h"
#include "chainrule/ops.h"

namespace chainrule::detail {

inline OperandKind operand_kind(const Tensor& t) {
    if (t.impl()->wrapped_number) return OperandKind::Scalar;
    return t.dim() == 0 ? OperandKind::ZeroDim : OperandKind::Tensor;
}

inline DType result_type(const Tensor& a, const Tensor& b) {
    ResultType r;
    r.add(a.dtype(), operand_kind(a));
    r.add(b.dtype(), operand_kind(b));
    return r.result();
}

// Copies src into dst (same shape after broadcasting src), converting element types.
void copy_cast(const Tensor& dst, const Tensor& src);

// src in dtype d, without history (computation only; nodes keep edges to the original).
inline Tensor cast_for_compute(const Tensor& src, DType d) {
    if (src.dtype() == d) return src;
    if (src.dim() == 0) {  // scalars: no strided machinery
        const double v = CR_DISPATCH_ALL(
            src.dtype(), "cast", [&] { return static_cast<double>(*src.data<scalar_t>()); });
        return scalar_tensor(v, d);
    }
    Tensor out = empty(src.shape(), d);
    copy_cast(out, src);
    return out;
}

// out[i] = f(a[i]) over a's shape; out contiguous and freshly allocated by the caller.
template <class R, class T, class F>
void unary_loop(const Tensor& out, const Tensor& a, const F& f) {
    const Shape& shape = out.shape();
    if (a.shape() == shape && a.is_contiguous() && out.is_contiguous()) {
        R* o = out.template data<R>();
        const T* x = a.template data<T>();
        parallel_for(0, out.numel(), kGrain, [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) o[i] = f(x[i]);
        });
        return;
    }
    const Strides sa = kernels::broadcast_strides(a, shape);
    kernels::for_each<2>(
        shape, {&out.strides(), &sa},
        {static_cast<char*>(out.raw_data()), static_cast<char*>(a.raw_data())},
        {sizeof(R), sizeof(T)}, kGrain,
        [&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
            R* o = reinterpret_cast<R*>(p[0]);
            const T* x = reinterpret_cast<const T*>(p[1]);
            if (s[0] == 1 && s[1] == 1) {
                for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
            } else {
                for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(x[i * s[1]]);
            }
        });
}

// out[i] = f(a[i], b[i]) with a and b broadcast to out's shape.
template <class R, class T, class F>
void binary_loop(const Tensor& out, const Tensor& a, const Tensor& b, const F& f) {
    const Shape& shape = out.shape();
    if (out.is_contiguous() && a.is_contiguous() && b.is_contiguous()) {
        // Fast paths: same shapes, or one side a single element (scalars, 0-d tensors).
        R* o = out.template data<R>();
        const T* x = a.template data<T>();
        const T* y = b.template data<T>();
        const int64_t n = out.numel();
        if (a.shape() == shape && b.shape() == shape) {
            parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
                for (int64_t i = lo; i < hi; ++i) o[i] = f(x[i], y[i]);
            });
            return;
        }
        if (a.shape() == shape && b.numel() == 1) {
            const T yv = *y;
            parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
                for (int64_t i = lo; i < hi; ++i) o[i] = f(x[i], yv);
            });
            return;
        }
        if (b.shape() == shape && a.numel() == 1) {
            const T xv = *x;
            parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
                for (int64_t i = lo; i < hi; ++i) o[i] = f(xv, y[i]);
            });
            return;
        }
    }
    const Strides sa = kernels::broadcast_strides(a, shape);
    const Strides sb = kernels::broadcast_strides(b, shape);
    kernels::for_each<3>(
        shape, {&out.strides(), &sa, &sb},
        {static_cast<char*>(out.raw_data()), static_cast<char*>(a.raw_data()),
         static_cast<char*>(b.raw_data())},
        {sizeof(R), sizeof(T), sizeof(T)}, kGrain,
        [&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
            R* o = reinterpret_cast<R*>(p[0]);
            const T* x = reinterpret_cast<const T*>(p[1]);
            const T* y = reinterpret_cast<const T*>(p[2]);
            if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
                for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
            } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
                const T yv = *y;
                for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
            } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
                const T xv = *x;
                for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
            } else {
                for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(x[i * s[1]], y[i * s[2]]);
            }
        });
}

// The forward of a broadcasting binary op: f computed in dtype `compute` (operands cast to
// it), the result in `out_dtype` (bool for comparisons) or in `compute`.
template <class F>
Tensor binary_forward(const Tensor& a, const Tensor& b, const char* op, DType compute,
                      std::optional<DType> out_dtype, const F& f) {
    const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
    Tensor x = cast_for_compute(a, compute), y = cast_for_compute(b, compute);
    Tensor out = empty(shape, out_dtype.value_or(compute));
    if (out_dtype && *out_dtype == DType::Bool) {
        CR_DISPATCH_ALL(compute, op, [&] { binary_loop<bool, scalar_t>(out, x, y, f); });
    } else {
        CR_DISPATCH_ALL(compute, op, [&] { binary_loop<scalar_t, scalar_t>(out, x, y, f); });
    }
    return out;
}

// out[i] = f(a[i], b[i], c[i]) with broadcasting; c has element type C.
template <class R, class T, class C, class F>
void ternary_loop(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c,
                  const F& f) {
    const Shape& shape = out.shape();
    const Strides sa = kernels::broadcast_strides(a, shape);
    const Strides sb = kernels::broadcast_strides(b, shape);
    const Strides sc = kernels::broadcast_strides(c, shape);
    kernels::for_each<4>(
        shape, {&out.strides(), &sa, &sb, &sc},
        {static_cast<char*>(out.raw_data()), static_cast<char*>(a.raw_data()),
         static_cast<char*>(b.raw_data()), static_cast<char*>(c.raw_data())},
        {sizeof(R), sizeof(T), sizeof(T), sizeof(C)}, kGrain,
        [&](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
            R* o = reinterpret_cast<R*>(p[0]);
            const T* x = reinterpret_cast<const T*>(p[1]);
            const T* y = reinterpret_cast<const T*>(p[2]);
            const C* z = reinterpret_cast<const C*>(p[3]);
            for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(x[i * s[1]], y[i * s[2]], z[i * s[3]]);
        });
}

// Gradient helper: out = f(a, b) elementwise for two float tensors of one dtype, no history.
template <class F>
Tensor pointwise2(const Tensor& a, const Tensor& b, const F& f) {
    const DType d = promote_types(a.dtype(), b.dtype());
    Tensor x = cast_for_compute(a, d), y = cast_for_compute(b, d);
    Tensor out = empty(broadcast_shapes(a.shape(), b.shape(), "backward"), d);
    CR_DISPATCH_FLOAT(d, "backward", [&] { binary_loop<scalar_t, scalar_t>(out, x, y, f); });
    return out;
}

template <class F>
Tensor pointwise3(const Tensor& a, const Tensor& b, const Tensor& c, const F& f) {
    const DType d = promote_types(promote_types(a.dtype(), b.dtype()), c.dtype());
    Tensor x = cast_for_compute(a, d), y = cast_for_compute(b, d), z = cast_for_compute(c, d);
    Shape shape =
        broadcast_shapes(broadcast_shapes(a.shape(), b.shape(), "backward"), c.shape(), "backward");
    Tensor out = empty(shape, d);
    CR_DISPATCH_FLOAT(d, "backward",
                      [&] { ternary_loop<scalar_t, scalar_t, scalar_t>(out, x, y, z, f); });
    return out;
}

// ---- the per-ISA elementwise table (kernels/elementwise/) -----------------------------------
// Contiguous float32/float64 operands go through the table of the CPU level in use, one call
// per parallel_for chunk; everything else (strided, broadcast in other patterns, int64/bool)
// through the loops above with the same formula (kernels/elementwise/formulas.h). The unary
// ops' use of it is in pointwise_unary.h.

template <class T>
constexpr bool kHasElementwiseTable = std::is_same_v<T, float> || std::is_same_v<T, double>;

template <class T>
const kernels::ElementwiseKernel<T>& elementwise_table() {
    if constexpr (std::is_same_v<T, float>) {
        return kernels::kernel_table().elementwise.s;
    } else {
        return kernels::kernel_table().elementwise.d;
    }
}

// The table path of out = a op b (add/sub/mul/div) in T: all three contiguous, and b and a
// the same shape as out, or one of them a single element, a row repeated down the leading
// dims (a bias), or a column repeated along the trailing dims. False: not one of those.
template <class T>
bool arith_table(const Tensor& out, const Tensor& a, const Tensor& b, kernels::Binary op, T alpha) {
    if (!out.is_contiguous() || !a.is_contiguous() || !b.is_contiguous()) return false;
    const Shape& shape = out.shape();
    const int64_t n = out.numel();
    if (n == 0) return true;
    const auto& k = elementwise_table<T>();
    const int o = static_cast<int>(op);
    T* po = out.template data<T>();
    const T* pa = a.template data<T>();
    const T* pb = b.template data<T>();
    const bool a_full = a.shape() == shape, b_full = b.shape() == shape;
    if (a_full && b_full) {
        parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
            k.binary[o](pa + lo, pb + lo, po + lo, hi - lo, alpha);
        });
        return true;
    }
    if (!a_full && !b_full) return false;
    const Tensor& small = a_full ? b : a;
    const T* big = a_full ? pa : pb;
    const T* sm = a_full ? pb : pa;
    const int swap = a_full ? 0 : 1;  // 1: the small operand is the left one
    if (small.numel() == 1) {
        const T v = *sm;
        parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
            k.binary_scalar[o][swap](big + lo, v, po + lo, hi - lo, alpha);
        });
        return true;
    }
    // small's shape right-aligned to out's, padded with leading ones.
    const int64_t nd = static_cast<int64_t>(shape.size());
    const int64_t pad = nd - static_cast<int64_t>(small.shape().size());
    if (pad < 0) return false;
    auto dim = [&](int64_t i) { return i < pad ? int64_t{1} : small.shape()[i - pad]; };
    auto prod = [&](int64_t lo, int64_t hi) {
        int64_t r = 1;
        for (int64_t i = lo; i < hi; ++i) r *= shape[i];
        return r;
    };
    int64_t j = nd;  // row: ones, then out's trailing dims from j on
    while (j > 0 && dim(j - 1) == shape[j - 1]) --j;
    bool ok = true;
    for (int64_t i = 0; i < j; ++i) ok = ok && dim(i) == 1;
    if (ok) {
        const int64_t cols = prod(j, nd);
        parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
            k.binary_row[o][swap](big, sm, po, lo, hi, cols, alpha);
        });
        return true;
    }
    j = 0;  // column: out's leading dims up to j, then ones
    while (j < nd && dim(j) == shape[j]) ++j;
    ok = true;
    for (int64_t i = j; i < nd; ++i) ok = ok && dim(i) == 1;
    if (!ok) return false;
    const int64_t cols = prod(j, nd);
    parallel_for(0, n, kGrain, [&](int64_t lo, int64_t hi) {
        k.binary_col[o][swap](big, sm, po, lo, hi, cols, alpha);
    });
    return true;
}

// out = f(a, b) for an arithmetic op: the table when arith_table takes it, else binary_loop.
template <class T, class F>
void arith_loop(const Tensor& out, const Tensor& a, const Tensor& b, kernels::Binary op,
                double alpha, const F& f) {
    if constexpr (kHasElementwiseTable<T>) {
        if (arith_table<T>(out, a, b, op, static_cast<T>(alpha))) return;
    }
    binary_loop<T, T>(out, a, b, f);
}

// binary_forward for add/sub/mul/div (f is the same formula, for the other paths).
template <class F>
Tensor arith_forward(const Tensor& a, const Tensor& b, const char* op, DType compute,
                     kernels::Binary kop, double alpha, const F& f) {
    const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
    Tensor x = cast_for_compute(a, compute), y = cast_for_compute(b, compute);
    Tensor out = empty(shape, compute);
    CR_DISPATCH_ALL(compute, op, [&] { arith_loop<scalar_t>(out, x, y, kop, alpha, f); });
    return out;
}

// apply_into for add_/sub_/mul_/div_.
template <class F>
void arith_into(const Tensor& self, const Tensor& other, const char* op, kernels::Binary kop,
                double alpha, const F& f) {
    Tensor o = cast_for_compute(other, self.dtype());
    CR_DISPATCH_ALL(self.dtype(), op, [&] {
        arith_loop<scalar_t>(self, self, o, kop, alpha, [&](scalar_t x, scalar_t y) {
            return static_cast<scalar_t>(f(x, y));
        });
    });
}

inline void check_floating(const Tensor& x, const char* op) {
    CR_CHECK(is_floating(x.dtype()), TypeError, op,
             ": expected a floating-point tensor; got dtype ", dtype_name(x.dtype()));
}

// In-place: `other` must broadcast to self's shape and the result dtype must fit in self
// (PyTorch's "result type Float can't be cast to the desired output type Long").
inline void check_into(const Tensor& self, const Tensor& other, const char* op) {
    const Shape b = broadcast_shapes(self.shape(), other.shape(), op);
    CR_CHECK(b == self.shape(), ValueError, op, ": output with shape ", shape_str(self.shape()),
             " doesn't match the broadcast shape ", shape_str(b));
    const DType r = result_type(self, other);
    CR_CHECK(!(is_floating(r) && !is_floating(self.dtype())) &&
                 !(r == DType::Int64 && self.dtype() == DType::Bool),
             TypeError, op, ": result type ", dtype_name(r),
             " can't be cast to the desired output type ", dtype_name(self.dtype()));
}

// self[i] = f(self[i], other[i]) computed in self's dtype.
template <class F>
void apply_into(const Tensor& self, const Tensor& other, const char* op, const F& f) {
    Tensor o = cast_for_compute(other, self.dtype());
    CR_DISPATCH_ALL(self.dtype(), op, [&] {
        binary_loop<scalar_t, scalar_t>(
            self, self, o, [&](scalar_t x, scalar_t y) { return static_cast<scalar_t>(f(x, y)); });
    });
}

// After an in-place write: bump the version and make self the output of node (if any),
// whose first edge already holds self's previous history.
inline void finish_inplace(Tensor& self, const std::shared_ptr<Node>& node) {
    self.bump_version();
    if (node) rebase_history(self, node);
}

}  // namespace chainrule::detail
