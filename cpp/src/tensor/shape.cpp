// Shape arithmetic: sizes, contiguous strides, broadcasting and dim wrapping.
#include "chainrule/shape.h"

#include <sstream>

#include "chainrule/errors.h"

namespace chainrule {

int64_t numel_of(const Shape& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

Strides contiguous_strides(const Shape& s) {
    // Zero dims count as 1, so an empty tensor's strides can overflow even though it holds no
    // bytes: (0, 2^40, 2^40) would need a stride of 2^80. The first dim's extent is no stride.
    Strides st(s.size());
    int64_t acc = 1;
    bool overflow = false;
    for (size_t i = s.size(); i-- > 0;) {
        st[i] = acc;
        if (i > 0) overflow |= __builtin_mul_overflow(acc, std::max<int64_t>(s[i], 1), &acc);
    }
    CR_CHECK(!overflow, RuntimeError, "shape ", shape_str(s),
             " is too large: its strides overflow int64 (zero dims count as 1)");
    return st;
}

std::string shape_str(const Shape& s) {
    std::ostringstream os;
    os << '(';
    for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
    if (s.size() == 1) os << ',';
    os << ')';
    return os.str();
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
    if (a == b) return a;
    const size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (size_t i = 0; i < n; ++i) {
        const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
        const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
        CR_CHECK(da == db || da == 1 || db == 1, ValueError, op, ": shapes ", shape_str(a), " and ",
                 shape_str(b), " cannot be broadcast together (dim ", i, ": ", da, " vs ", db, ")");
        out[i] = da == 1 ? db : da;
    }
    return out;
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
    const int64_t n = std::max<int64_t>(ndim, 1);
    CR_CHECK(dim >= -n && dim < n, IndexError, op, ": dim ", dim,
             " is out of range for a tensor with ", ndim, " dims (expected ", -n, "..", n - 1, ")");
    return dim < 0 ? dim + n : dim;
}

std::vector<bool> dim_mask(const std::vector<int64_t>& dims, int64_t ndim, const char* op) {
    std::vector<bool> mask(static_cast<size_t>(std::max<int64_t>(ndim, 0)), dims.empty());
    for (int64_t d : dims) {
        const int64_t w = wrap_dim(d, ndim, op);
        if (ndim == 0) continue;
        CR_CHECK(!mask[w], ValueError, op, ": dim ", w, " appears more than once in the dim list");
        mask[w] = true;
    }
    return mask;
}

}  // namespace chainrule
