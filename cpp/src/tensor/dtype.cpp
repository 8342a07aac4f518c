// Names and result-type promotion for DType.
#include "chainrule/dtype.h"

namespace chainrule {

const char* dtype_name(DType d) {
    switch (d) {
        case DType::Bool:
            return "bool";
        case DType::Int64:
            return "int64";
        case DType::Float32:
            return "float32";
        case DType::Float64:
            return "float64";
    }
    return "?";
}

void ResultType::add(DType d, OperandKind k) {
    // A Python float is a float32 participant, as PyTorch treats wrapped floats as the
    // default dtype; a Python int stays int64.
    if (k == OperandKind::Scalar && d == DType::Float64) d = kDefaultFloat;
    int& slot = k == OperandKind::Tensor ? dim_ : k == OperandKind::ZeroDim ? zero_ : wrapped_;
    slot = slot < 0 ? static_cast<int>(d) : std::max(slot, static_cast<int>(d));
}

namespace {
// PyTorch's combine_categories: a lower tier wins only when it is of a higher category.
int combine(int higher, int lower) {
    if (higher < 0) return lower;
    if (lower < 0) return higher;
    const auto h = static_cast<DType>(higher);
    const auto l = static_cast<DType>(lower);
    if (is_floating(h)) return higher;
    if (h == DType::Bool || is_floating(l)) return static_cast<int>(promote_types(h, l));
    return higher;
}
}  // namespace

DType ResultType::result() const {
    const int r = combine(dim_, combine(zero_, wrapped_));
    return r < 0 ? kDefaultFloat : static_cast<DType>(r);
}

}  // namespace chainrule
