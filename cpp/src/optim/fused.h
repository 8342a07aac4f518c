// Machinery shared by the fused optimizer steps: argument checks, the flat element space
// over all tensors of one call (threaded in contiguous chunks), commit. The update loops are
// per ISA in kernels/optim; their constants are set up in sgd.cpp, adam.cpp, rmsprop.cpp and
// adagrad.cpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "../kernels/optim/optim_kernels.h"
#include "chainrule/optim.h"
#include "chainrule/parallel.h"

namespace chainrule::optim::detail {

// The dtype's loops of a level's table (kernels/optim).
template <class T>
const kernels::OptimKernel<T>& optim_table(const kernels::OptimKernels& k) {
    if constexpr (std::is_same_v<T, float>) {
        return k.s;
    } else {
        return k.d;
    }
}

// torch.lerp's two-sided formula, written as one select so that loops vectorise:
// w < 0.5: a + w (b - a); otherwise b - (1 - w)(b - a) = b + (w - 1)(b - a).
template <class T>
struct Lerp {
    T coeff;     // w or w - 1
    bool small;  // |w| < 0.5: start from a, else from b
    explicit Lerp(double w)
        : coeff(std::abs(static_cast<T>(w)) < T(0.5) ? static_cast<T>(w)
                                                     : static_cast<T>(w) - T(1)),
          small(std::abs(static_cast<T>(w)) < T(0.5)) {}
    T operator()(T a, T b) const { return (small ? a : b) + coeff * (b - a); }
};

// f(T{}) with T = float or double: the dtype was checked before, so no error path here
// (this runs inside parallel regions, where nothing may throw).
template <class F>
void dispatch_float(DType d, const F& f) {
    if (d == DType::Float32) {
        f(float{});
    } else {
        f(double{});
    }
}

// The tensors of one call, checked and laid end to end: element e of the call is element
// e - offset[i] of parameter i, where offset[i] <= e < offset[i + 1].
class FusedCall {
 public:
    // Checks params and grads; call check_* for the state, then prepare(), then update.
    FusedCall(const char* op, const TensorVec& params, const TensorVec& grads);

    // state[i] must have params[i]'s shape and dtype and be contiguous (all of them, or
    // none when `present` is false, in which case the list must be empty).
    void check_state(const char* name, const TensorVec& state, bool present = true) const;
    // Like check_state, but undefined entries are allowed (buffers created by this step).
    void check_optional_state(const char* name, const TensorVec& state) const;
    // steps[i]: a 0-d (one-element) float32/float64 tensor.
    void check_steps(const TensorVec& steps) const;

    // After every check: copies non-contiguous parameters and gradients into contiguous
    // tensors (the update runs on those).
    void prepare();

    size_t size() const { return params_.size(); }
    const Tensor& param(size_t i) const { return *work_params_[i]; }
    const Tensor& grad(size_t i) const { return *work_grads_[i]; }

    // fn(i, begin, end) over element ranges [begin, end) of parameter i, covering every
    // element of every parameter once, in one parallel region split into equal chunks.
    template <class F>
    void for_each_range(const F& fn) const {
        const int64_t total = offsets_.back();
        const size_t n = params_.size();
        parallel_for(0, total, kGrain, [&](int64_t b, int64_t e) {
            size_t i = static_cast<size_t>(std::upper_bound(offsets_.begin(), offsets_.end(), b) -
                                           offsets_.begin() - 1);
            for (; i < n && offsets_[i] < e; ++i) {
                const int64_t lo = std::max(b, offsets_[i]) - offsets_[i];
                const int64_t hi = std::min(e, offsets_[i + 1]) - offsets_[i];
                if (lo < hi) fn(i, lo, hi);
            }
        });
    }

    // Copies the updated parameters back into non-contiguous originals, then bumps the
    // version counters of the parameters and of every tensor in `state`.
    void commit(std::initializer_list<const TensorVec*> state) const;

 private:
    const char* op_;
    const TensorVec& params_;
    const TensorVec& grads_;
    std::vector<const Tensor*> work_params_, work_grads_;  // the originals or copies_
    TensorVec copies_, grad_copies_;  // contiguous copies of non-contiguous inputs
    std::vector<size_t> copied_;      // indices of the parameters in copies_
    std::vector<int64_t> offsets_;
};

// Increments each step counter and returns the new values (as PyTorch's `step_t += 1`
// followed by `step_t.item()`).
std::vector<double> increment_steps(const TensorVec& steps);

}  // namespace chainrule::optim::detail
