// Argument checks, copy-in/copy-out and step counters shared by the fused optimizer steps.
#include "fused.h"

#include <utility>

#include "../ops/pointwise.h"

namespace chainrule::optim::detail {

namespace {
Tensor contiguous_copy(const Tensor& t) {
    Tensor c = empty(t.shape(), t.dtype());
    chainrule::detail::copy_cast(c, t);
    return c;
}
}  // namespace

FusedCall::FusedCall(const char* op, const TensorVec& params, const TensorVec& grads)
    : op_(op), params_(params), grads_(grads) {
    CR_CHECK(grads.size() == params.size(), ValueError, op,
             ": expected one grad per parameter; got ", params.size(), " parameters and ",
             grads.size(), " grads");
    offsets_.reserve(params.size() + 1);
    offsets_.push_back(0);
    for (size_t i = 0; i < params.size(); ++i) {
        const Tensor& p = params[i];
        const Tensor& g = grads[i];
        CR_CHECK(p.defined(), ValueError, op, ": parameter ", i, " is None");
        CR_CHECK(is_floating(p.dtype()), TypeError, op, ": parameter ", i,
                 " must be a float32 or float64 tensor; got ", dtype_name(p.dtype()));
        CR_CHECK(p.storage()->writable(), ValueError, op, ": parameter ", i,
                 " is read-only (it wraps a read-only NumPy array)");
        CR_CHECK(g.defined(), ValueError, op, ": the grad of parameter ", i, " is None");
        CR_CHECK(g.shape() == p.shape(), ValueError, op, ": the grad of parameter ", i,
                 " has shape ", shape_str(g.shape()), " but the parameter has shape ",
                 shape_str(p.shape()));
        CR_CHECK(g.dtype() == p.dtype(), TypeError, op, ": the grad of parameter ", i,
                 " has dtype ", dtype_name(g.dtype()), " but the parameter has dtype ",
                 dtype_name(p.dtype()));
        offsets_.push_back(offsets_.back() + p.numel());
    }
    // A tensor listed twice would be updated twice, concurrently: rejected (sorted impls,
    // no per-call hash table).
    std::vector<std::pair<const TensorImpl*, size_t>> impls(params.size());
    for (size_t i = 0; i < params.size(); ++i) impls[i] = {params[i].impl(), i};
    std::sort(impls.begin(), impls.end());
    for (size_t k = 1; k < impls.size(); ++k) {
        CR_CHECK(impls[k].first != impls[k - 1].first, ValueError, op, ": parameter ",
                 std::max(impls[k].second, impls[k - 1].second),
                 " is the same tensor as parameter ",
                 std::min(impls[k].second, impls[k - 1].second),
                 "; a parameter can be updated once per call");
    }
}

void FusedCall::check_state(const char* name, const TensorVec& state, bool present) const {
    if (!present) {
        CR_CHECK(state.empty(), ValueError, op_, ": expected no ", name, " tensors; got ",
                 state.size());
        return;
    }
    CR_CHECK(state.size() == params_.size(), ValueError, op_, ": expected one ", name,
             " per parameter; got ", params_.size(), " parameters and ", state.size(), " ", name,
             " tensors");
    for (size_t i = 0; i < state.size(); ++i) {
        CR_CHECK(state[i].defined(), ValueError, op_, ": ", name, " of parameter ", i, " is None");
    }
    check_optional_state(name, state);
}

void FusedCall::check_optional_state(const char* name, const TensorVec& state) const {
    CR_CHECK(state.size() == params_.size(), ValueError, op_, ": expected one ", name,
             " per parameter; got ", params_.size(), " parameters and ", state.size(), " ", name,
             " tensors");
    for (size_t i = 0; i < state.size(); ++i) {
        const Tensor& s = state[i];
        if (!s.defined()) continue;
        const Tensor& p = params_[i];
        CR_CHECK(s.shape() == p.shape(), ValueError, op_, ": ", name, " of parameter ", i,
                 " has shape ", shape_str(s.shape()), " but the parameter has shape ",
                 shape_str(p.shape()));
        CR_CHECK(s.dtype() == p.dtype(), TypeError, op_, ": ", name, " of parameter ", i,
                 " has dtype ", dtype_name(s.dtype()), " but the parameter has dtype ",
                 dtype_name(p.dtype()));
        CR_CHECK(s.is_contiguous(), ValueError, op_, ": ", name, " of parameter ", i,
                 " must be contiguous");
        CR_CHECK(s.storage()->writable(), ValueError, op_, ": ", name, " of parameter ", i,
                 " is read-only");
        CR_CHECK(!s.same(p) && s.storage() != p.storage(), ValueError, op_, ": ", name,
                 " of parameter ", i, " shares memory with the parameter");
    }
}

void FusedCall::check_steps(const TensorVec& steps) const {
    CR_CHECK(steps.size() == params_.size(), ValueError, op_,
             ": expected one step counter per parameter; got ", params_.size(), " parameters and ",
             steps.size(), " step counters");
    for (size_t i = 0; i < steps.size(); ++i) {
        const Tensor& s = steps[i];
        CR_CHECK(s.defined(), ValueError, op_, ": the step counter of parameter ", i, " is None");
        CR_CHECK(s.numel() == 1 && is_floating(s.dtype()), TypeError, op_,
                 ": the step counter of parameter ", i,
                 " must be a one-element float32 or float64 tensor; got shape ",
                 shape_str(s.shape()), " and dtype ", dtype_name(s.dtype()));
    }
}

void FusedCall::prepare() {
    const size_t n = params_.size();
    work_params_.resize(n);
    work_grads_.resize(n);
    for (size_t i = 0; i < n; ++i) {
        work_params_[i] = &params_[i];
        work_grads_[i] = &grads_[i];
        if (!params_[i].is_contiguous()) {
            copies_.push_back(contiguous_copy(params_[i]));
            copied_.push_back(i);
        }
        if (!grads_[i].is_contiguous()) grad_copies_.push_back(contiguous_copy(grads_[i]));
    }
    // Pointers into copies_/grad_copies_ are taken once they no longer grow.
    for (size_t k = 0; k < copied_.size(); ++k) work_params_[copied_[k]] = &copies_[k];
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) {
        if (!grads_[i].is_contiguous()) work_grads_[i] = &grad_copies_[k++];
    }
}

void FusedCall::commit(std::initializer_list<const TensorVec*> state) const {
    for (size_t k = 0; k < copied_.size(); ++k) {
        chainrule::detail::copy_cast(params_[copied_[k]], copies_[k]);
    }
    for (const Tensor& p : params_) p.bump_version();
    for (const TensorVec* list : state) {
        for (const Tensor& s : *list) {
            if (s.defined()) s.bump_version();
        }
    }
}

std::vector<double> increment_steps(const TensorVec& steps) {
    std::vector<double> out(steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
        const Tensor& s = steps[i];
        if (s.dtype() == DType::Float32) {
            float* v = s.data<float>();
            *v += 1.0f;
            out[i] = *v;
        } else {
            double* v = s.data<double>();
            *v += 1.0;
            out[i] = *v;
        }
        s.bump_version();
    }
    return out;
}

}  // namespace chainrule::optim::detail
