// Reductions: sum (and sum_to, the engine's one place for undoing broadcasting).
#include "pointwise.h"

namespace chainrule {

namespace detail {

// Splits x's dims into kept (output) and reduced ones for a reduction over `mask`.
struct ReducePlan {
    Shape out_shape;         // keepdim=true shape
    Shape red_shape;         // sizes of reduced dims
    Strides red_strides;     // x's strides of reduced dims
    Strides kept_strides;    // x's strides at out_shape (0 on reduced dims)
    int64_t red_numel = 1;
};

ReducePlan plan_reduce(const Tensor& x, const std::vector<bool>& mask) {
    ReducePlan p;
    for (int64_t d = 0; d < x.dim(); ++d) {
        if (mask[d]) {
            p.out_shape.push_back(1);
            p.kept_strides.push_back(0);
            p.red_shape.push_back(x.shape()[d]);
            p.red_strides.push_back(x.strides()[d]);
            p.red_numel *= x.shape()[d];
        } else {
            p.out_shape.push_back(x.shape()[d]);
            p.kept_strides.push_back(x.strides()[d]);
        }
    }
    return p;
}

Shape squeeze_dims(const Shape& keep_shape, const std::vector<bool>& mask) {
    Shape s;
    for (size_t d = 0; d < keep_shape.size(); ++d) {
        if (!mask[d]) s.push_back(keep_shape[d]);
    }
    return s;
}

}  // namespace detail

// ---- sum -------------------------------------------------------------------
// y = sum_{reduced dims} x        dx = expand(dy, x.shape)
struct SumBackward1 final : Node {
    Shape x_shape;
    Shape keep_shape;  // dy's shape with reduced dims kept as 1
    TensorList apply(TensorList&& g) override {
        return {expand(reshape(g[0], keep_shape), x_shape)};
    }
    std::string name() const override { return "SumBackward1"; }
};

Tensor sum(const Tensor& x, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
    const std::vector<bool> mask = dim_mask(dims, x.dim(), "sum");
    const DType out_dtype =
        dtype.value_or(is_floating(x.dtype()) ? x.dtype() : DType::Int64);
    detail::ReducePlan p = detail::plan_reduce(x, mask);
    Tensor y = empty(p.out_shape, out_dtype);
    const int64_t n_out = y.numel();
    const Tensor& src = x;
    CR_DISPATCH_ALL(x.dtype(), "sum", [&] {
        using In = scalar_t;
        CR_DISPATCH_NUMERIC(out_dtype, "sum", [&] {
            using Out = scalar_t;
            // Accumulate float32 in double: exact enough that results do not depend on order.
            using Acc = std::conditional_t<std::is_floating_point_v<Out>, double, int64_t>;
            const Strides ystr = y.strides();
            const In* base = src.data<In>();
            Out* out = y.data<Out>();
            const auto rplan = kernels::make_plan<1>(p.red_shape, {&p.red_strides});
            const auto oplan = kernels::make_plan<2>(p.out_shape, {&ystr, &p.kept_strides});
            parallel_for(0, n_out, std::max<int64_t>(1, kGrain / std::max<int64_t>(p.red_numel, 1)),
                         [&](int64_t b, int64_t e) {
                kernels::loop_range<2>(
                    oplan, {reinterpret_cast<char*>(out), reinterpret_cast<char*>(const_cast<In*>(base))},
                    {sizeof(Out), sizeof(In)}, b, e,
                    [&](const std::array<char*, 2>& ptr, const std::array<int64_t, 2>& s, int64_t n) {
                        for (int64_t i = 0; i < n; ++i) {
                            Acc acc = 0;
                            char* start = ptr[1] + i * s[1] * static_cast<int64_t>(sizeof(In));
                            kernels::loop_range<1>(
                                rplan, {start}, {sizeof(In)}, 0, p.red_numel,
                                [&](const std::array<char*, 1>& q, const std::array<int64_t, 1>& t,
                                    int64_t m) {
                                    const In* v = reinterpret_cast<const In*>(q[0]);
                                    for (int64_t j = 0; j < m; ++j) acc += static_cast<Acc>(v[j * t[0]]);
                                });
                            reinterpret_cast<Out*>(ptr[0])[i * s[0]] = static_cast<Out>(acc);
                        }
                    });
            });
        });
    });
    if (!keepdim) y = make_view(y, detail::squeeze_dims(p.out_shape, mask),
                                contiguous_strides(detail::squeeze_dims(p.out_shape, mask)), 0);
    if (needs_grad(x)) {
        auto node = make_node<SumBackward1>({&x});
        node->x_shape = x.shape();
        node->keep_shape = p.out_shape;
        set_grad_fn(y, node);
    }
    return y;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
    CR_CHECK(lead >= 0, ValueError, "sum_to: cannot reduce shape ", shape_str(x.shape()), " to ",
             shape_str(shape));
    Dims dims;
    for (int64_t d = 0; d < x.dim(); ++d) {
        if (d < lead) {
            dims.push_back(d);
        } else if (shape[d - lead] == 1 && x.shape()[d] != 1) {
            dims.push_back(d);
        } else {
            CR_CHECK(shape[d - lead] == x.shape()[d], ValueError, "sum_to: cannot reduce shape ",
                     shape_str(x.shape()), " to ", shape_str(shape));
        }
    }
    if (dims.empty()) return reshape(x, shape);
    Tensor s = sum(x, dims, true);
    return lead > 0 ? reshape(s, shape) : s;
}

}  // namespace chainrule
