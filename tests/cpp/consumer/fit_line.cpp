// Fits y = 3x - 2 with a Linear layer, mean squared error and Adam through the installed C++
// API; exits non-zero unless the weights come out right.
#include <cmath>
#include <cstdio>

#include "chainrule/autograd.h"
#include "chainrule/ops.h"
#include "chainrule/optim.h"

using namespace chainrule;

int main() {
    manual_seed(0);
    const Tensor x = randn({256, 1});
    const Tensor y =
        add(mul(x, scalar_tensor(3.0, DType::Float32)), scalar_tensor(-2.0, DType::Float32));
    Tensor w = zeros({1, 1}), b = zeros({1});
    w.set_requires_grad(true);
    b.set_requires_grad(true);
    const optim::TensorVec params{w, b};
    const optim::TensorVec m{zeros({1, 1}), zeros({1})}, v{zeros({1, 1}), zeros({1})};
    const optim::TensorVec steps{zeros({}), zeros({})};
    optim::AdamOptions options;
    options.lr = 0.05;
    for (int i = 0; i < 600; ++i) {
        w.set_grad(Tensor());
        b.set_grad(Tensor());
        mse_loss(linear(x, w, b), y).backward();
        optim::adam_step(params, {w.grad(), b.grad()}, m, v, {}, steps, options);
    }
    const float wv = *w.data<float>(), bv = *b.data<float>();
    std::printf("fit_line: w = %.4f, b = %.4f\n", wv, bv);
    return std::fabs(wv - 3.0f) < 1e-2f && std::fabs(bv + 2.0f) < 1e-2f ? 0 : 1;
}
