// var_mean / std_mean: the variance (or standard deviation) and the mean over the same dims,
// with one node for both outputs.
#include "pointwise.h"

namespace chainrule {

// ---- var_mean / std_mean -----------------------------------------------------
// v = sum((x - m)^2) / (N - c), m = mean(x)   (s = sqrt(v) for std_mean)
// dx = dv * 2 (x - m) / (N - c) + dm / N       (dv = ds / (2 s) for std_mean)
struct VarMeanBackward final : Node {
    bool is_std = false;
    bool keepdim = false;
    std::vector<int64_t> dims;  // wrapped, ascending
    double n = 1, correction = 1;
    SavedTensor x, mean_k, std_k;
    const char* nm() const { return is_std ? "StdMeanBackward0" : "VarMeanBackward0"; }
    Tensor keep(const Tensor& g) const {
        if (keepdim) return g;
        Tensor r = g;
        for (int64_t d : dims) r = unsqueeze(r, d);
        return r;
    }
    TensorList apply(TensorList&& g) override {
        Tensor xv = x.unpack(nm()), mk = mean_k.unpack(nm());
        Tensor dv = keep(g[0]);
        if (is_std) {
            // dv = ds / (2 s), 0 where s == 0 (as PyTorch and std's own backward), not NaN
            Tensor sk = std_k.unpack(nm());
            dv = where(eq(sk, wrapped_scalar(0.0)), scalar_tensor(0.0, dv.dtype()),
                       div(dv, mul(sk, wrapped_scalar(2.0))));
        }
        Tensor dx = mul(mul(dv, sub(xv, mk)), wrapped_scalar(2.0 / (n - correction)));
        dx = add(dx, div(keep(g[1]), wrapped_scalar(n)));
        return {dx};
    }
    std::string name() const override { return nm(); }
    void release_saved() override {
        x.reset();
        mean_k.reset();
        std_k.reset();
    }
};

namespace {
std::pair<Tensor, Tensor> var_mean_impl(const Tensor& x, const std::vector<int64_t>& dims,
                                        double correction, bool keepdim, bool is_std) {
    const char* op = is_std ? "std_mean" : "var_mean";
    detail::check_floating(x, op);
    const std::vector<bool> mask = dim_mask(dims, x.dim(), op);
    std::vector<int64_t> wrapped;
    double n = 1;
    for (int64_t d = 0; d < x.dim(); ++d) {
        if (mask[static_cast<size_t>(d)]) {
            wrapped.push_back(d);
            n *= static_cast<double>(x.shape()[d]);
        }
    }
    Tensor v, m, mk;
    {
        NoGradGuard ng;
        v = is_std ? std(x, wrapped, correction, keepdim) : var(x, wrapped, correction, keepdim);
        mk = mean(x, wrapped, true);
        m = keepdim ? mk : mean(x, wrapped, false);
    }
    if (needs_grad(x)) {
        auto node = make_node<VarMeanBackward>({&x});
        node->is_std = is_std;
        node->keepdim = keepdim;
        node->dims = wrapped;
        node->n = n;
        node->correction = correction;
        node->x = x;
        node->mean_k = mk;
        if (is_std) {
            NoGradGuard ng;
            node->std_k = keepdim ? v : std(x, wrapped, correction, true);
        }
        set_grad_fn(v, node, 0);
        set_grad_fn(m, node, 1);
    }
    return {v, m};
}
}  // namespace

std::pair<Tensor, Tensor> var_mean(const Tensor& x, const std::vector<int64_t>& dims,
                                   double correction, bool keepdim) {
    return var_mean_impl(x, dims, correction, keepdim, false);
}

std::pair<Tensor, Tensor> std_mean(const Tensor& x, const std::vector<int64_t>& dims,
                                   double correction, bool keepdim) {
    return var_mean_impl(x, dims, correction, keepdim, true);
}

}  // namespace chainrule
