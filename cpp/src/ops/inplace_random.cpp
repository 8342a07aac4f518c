// In-place random fills (uniform_, normal_, bernoulli_) drawing from a Generator, so that
// cr.manual_seed makes them reproducible. Their gradient is zero, as in PyTorch.
#include <cmath>

#include "pointwise.h"

namespace chainrule {

namespace {

// self = random draws          dself = 0
struct RandomFillBackward final : Node {
    explicit RandomFillBackward(const char* nm) : name_(nm) {}
    TensorList apply(TensorList&& g) override { return {zeros(g[0].shape(), g[0].dtype())}; }
    std::string name() const override { return name_; }
    const char* name_;
};

// Fills self element by element (row-major order) with draw(gen) cast to its dtype; the
// draws are sequential, so one seed gives one result whatever the thread count.
template <class Draw>
Tensor& fill_random(Tensor& self, const char* op, const char* node_name, const Draw& draw) {
    std::shared_ptr<RandomFillBackward> node;
    if (needs_grad(self)) node = make_node<RandomFillBackward>({&self}, node_name);
    Tensor out = self.is_contiguous() ? self.detach() : empty(self.shape(), self.dtype());
    const int64_t n = out.numel();
    CR_DISPATCH_ALL(self.dtype(), op, [&] {
        scalar_t* p = out.data<scalar_t>();
        for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(draw(scalar_t{}));
    });
    if (!self.is_contiguous()) detail::copy_cast(self, out);
    detail::finish_inplace(self, node);
    return self;
}

}  // namespace

// ---- uniform_ ----------------------------------------------------------------
// self ~ U[from, to)     dself = 0
Tensor& uniform_(Tensor& self, double from, double to, Generator* gen) {
    check_inplace(self, "uniform_");
    detail::check_floating(self, "uniform_");
    CR_CHECK(from <= to, ValueError,
             "uniform_: expects to return a [from, to) range, but found "
             "from=",
             from, " > to=", to);
    CR_CHECK(std::isfinite(from) && std::isfinite(to), ValueError,
             "uniform_: from and to must be finite; got from=", from, ", to=", to);
    Generator& g = gen ? *gen : default_generator();
    const double width = to - from;
    // Draws in the tensor's precision, so that uniform_() after manual_seed(s) equals
    // cr.rand after the same seed.
    return fill_random(self, "uniform_", "UniformBackward0", [&](auto tag) -> double {
        if constexpr (std::is_same_v<decltype(tag), float>) {
            return static_cast<float>(from) + static_cast<float>(width) * g.next_float();
        } else {
            return from + width * g.next_double();
        }
    });
}

// ---- normal_ -----------------------------------------------------------------
// self ~ N(mean, std^2)  dself = 0
Tensor& normal_(Tensor& self, double mean, double std, Generator* gen) {
    check_inplace(self, "normal_");
    detail::check_floating(self, "normal_");
    CR_CHECK(std >= 0.0, ValueError, "normal_: expects std >= 0.0; got std=", std);
    Generator& g = gen ? *gen : default_generator();
    return fill_random(self, "normal_", "NormalBackward0",
                       [&](auto) -> double { return mean + std * g.next_normal(); });
}

// ---- bernoulli_ --------------------------------------------------------------
// self ~ Bernoulli(p) (0 or 1 in self's dtype)     dself = 0
Tensor& bernoulli_(Tensor& self, double p, Generator* gen) {
    check_inplace(self, "bernoulli_");
    CR_CHECK(p >= 0.0 && p <= 1.0, ValueError, "bernoulli_: expects p to be in [0, 1]; got p=", p);
    Generator& g = gen ? *gen : default_generator();
    return fill_random(self, "bernoulli_", "BernoulliBackward2",
                       [&](auto) -> double { return g.next_double() < p ? 1.0 : 0.0; });
}

}  // namespace chainrule
