// Trains MLP 784-256-256-10 (batch 128, cross-entropy, Adam) with the C++ API alone, to
// compare with the same training through Python (bench/python/train_step.py --cpp-baseline
// prints both). Usage: train_mlp [steps] [threads].
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "chainrule/autograd.h"
#include "chainrule/ops.h"
#include "chainrule/optim.h"
#include "chainrule/parallel.h"

using namespace chainrule;

namespace {

// PyTorch's default Linear initialisation: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
struct Linear {
    Tensor weight, bias;
    Linear(int64_t in, int64_t out) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(in));
        weight = empty({out, in});
        bias = empty({out});
        uniform_(weight, -bound, bound);
        uniform_(bias, -bound, bound);
        weight.set_requires_grad(true);
        bias.set_requires_grad(true);
    }
    Tensor operator()(const Tensor& x) const { return linear(x, weight, bias); }
};

struct Adam {
    optim::TensorVec params, exp_avgs, exp_avg_sqs, steps;
    optim::AdamOptions options;
    explicit Adam(optim::TensorVec ps) : params(std::move(ps)) {
        for (const Tensor& p : params) {
            exp_avgs.push_back(zeros(p.shape()));
            exp_avg_sqs.push_back(zeros(p.shape()));
            steps.push_back(zeros({}));
        }
    }
    void zero_grad() {
        for (Tensor& p : params) p.set_grad(Tensor());
    }
    void step() {
        optim::TensorVec grads;
        for (const Tensor& p : params) grads.push_back(p.grad());
        optim::adam_step(params, grads, exp_avgs, exp_avg_sqs, {}, steps, options);
    }
};

}  // namespace

int main(int argc, char** argv) {
    const int steps = argc > 1 ? std::atoi(argv[1]) : 200;
    if (argc > 2) set_num_threads(std::atoi(argv[2]));
    manual_seed(0);
    Linear fc1(784, 256), fc2(256, 256), fc3(256, 10);
    Adam adam({fc1.weight, fc1.bias, fc2.weight, fc2.bias, fc3.weight, fc3.bias});
    const Tensor x = randn({128, 784});
    const Tensor y = randint(0, 10, {128});

    auto train_step = [&] {
        adam.zero_grad();
        Tensor loss = cross_entropy(fc3(relu(fc2(relu(fc1(x))))), y);
        loss.backward();
        adam.step();
        return loss;
    };
    // The loss must fall on a fixed batch: a check that the program trains, before timing.
    const float first = *train_step().data<float>();
    for (int i = 0; i < 20; ++i) train_step();
    const float later = *train_step().data<float>();
    if (!(later < first)) {
        std::fprintf(stderr, "train_mlp: loss did not fall (%.4f -> %.4f)\n", first, later);
        return 1;
    }
    std::vector<double> times;
    for (int i = 0; i < steps; ++i) {
        const auto start = std::chrono::steady_clock::now();
        train_step();
        times.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    std::printf(
        "MLP 784-256-256-10, batch 128, threads %d: loss %.4f -> %.4f, median step "
        "%.3f ms over %d steps\n",
        get_num_threads(), first, later, times[times.size() / 2] * 1e3, steps);
    return 0;
}
