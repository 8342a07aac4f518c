// Shared by the binding files: the Tensor <-> Python conversion and small argument helpers.
// A Tensor crosses into Python as its TensorImpl, so one impl is always one Python object
// (t.grad is t.grad) and Python subclasses such as nn.Parameter work.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "chainrule/autograd.h"
#include "chainrule/ops.h"

namespace py = pybind11;

namespace pybind11::detail {
template <>
struct type_caster<chainrule::Tensor> {
    PYBIND11_TYPE_CASTER(chainrule::Tensor, const_name("Tensor"));
    using ImplCaster = make_caster<std::shared_ptr<chainrule::TensorImpl>>;

    bool load(handle src, bool convert) {
        // None is not a Tensor. The holder caster below would take it (in convert mode) as a
        // null shared_ptr, an undefined Tensor that the op then dereferences. Arguments that
        // may be None are declared std::optional<Tensor> or py::handle + optional_tensor_arg.
        if (src.ptr() == Py_None) return false;
        ImplCaster c;
        if (!c.load(src, convert)) return false;
        value = chainrule::Tensor(cast_op<std::shared_ptr<chainrule::TensorImpl>>(c));
        return true;
    }
    static handle cast(const chainrule::Tensor& t, return_value_policy policy, handle parent) {
        if (!t.defined()) return none().release();
        return ImplCaster::cast(t.impl_ptr(), policy, parent);
    }
};
}  // namespace pybind11::detail

namespace chainrule::bind {

using TensorClass = py::class_<TensorImpl, std::shared_ptr<TensorImpl>>;

// The registered cr.Tensor class, for files that add methods to it.
TensorClass tensor_class(py::module_& m);

// A Python int/float/bool as a wrapped scalar, a Tensor as itself; anything else is a
// TypeError naming `op`.
Tensor to_tensor_arg(py::handle h, const char* op);
// Like to_tensor_arg but returns an undefined Tensor instead of throwing.
Tensor try_tensor_arg(py::handle h);
// None as an undefined Tensor, a Tensor as itself; anything else (numbers included) is a
// TypeError: "<op>: <what> must be a Tensor or None; got <type>".
Tensor optional_tensor_arg(py::handle h, const char* op, const char* what);
// dims from None / int / sequence of ints.
std::vector<int64_t> dims_arg(py::handle h, const char* op);
// shape from *args: f(2, 3) or f((2, 3)) or f([2, 3]).
Shape shape_args(const py::args& args, const char* op);
// DType from cr.float32 etc. (py::none -> fallback).
DType dtype_arg(py::handle h, DType fallback);
// A number (or a one-element tensor that does not require grad) as a double; anything else is
// a TypeError "<op>: <what> must be a number".
double number_arg(py::handle h, const char* op, const char* what);
// None as nullopt, else a number as for clamp's bounds ("<op>: bounds must be numbers").
std::optional<double> opt_double(py::handle h, const char* op);
// dims from None or () (every dim), an int or a non-empty sequence of ints.
std::vector<int64_t> opt_dims(py::handle h, const char* op);
// As opt_dims, and [] also means every dim (the reductions' dim=).
std::vector<int64_t> red_dims(py::handle h, const char* op);
// x cast to dtype (dtype=None: x itself), for the dtype= of mean, norm and softmax.
Tensor cast_opt(const Tensor& x, py::handle dtype);

using BinaryOp = Tensor (*)(const Tensor&, const Tensor&);
// Binds `cr.name(input, other)` and `Tensor.name(other)`; operands may be Python numbers.
// `doc` is the function's docstring; the method gets method_doc(name, doc).
void def_binary(py::module_& m, TensorClass& cls, const char* name, BinaryOp fn,
                const char* doc = nullptr);
// The docstring of a Tensor method bound next to cr.<name>: the function doc's summary line
// and a pointer to the function (help(t.sum) stays short; pybind11 copies the string).
std::string method_doc(const char* name, const char* doc);

void bind_tensor(py::module_& m);
void bind_creation(py::module_& m);
void bind_elementwise(py::module_& m);
void bind_reduce(py::module_& m);
void bind_inplace(py::module_& m);
void bind_softmax(py::module_& m);
void bind_scan_sort(py::module_& m);
void bind_linalg(py::module_& m);
void bind_shape(py::module_& m);
void bind_autograd(py::module_& m);
void bind_runtime(py::module_& m);
void bind_nn(py::module_& m);
void bind_activation(py::module_& m);
void bind_loss(py::module_& m);
void bind_embedding(py::module_& m);
void bind_optim(py::module_& m);
void bind_conv(py::module_& m);
void bind_norm(py::module_& m);
void bind_pool(py::module_& m);
void bind_attention(py::module_& m);
// Replaces the Tensor type's + - * / slots by direct calls into the core (after binding).
void install_fast_slots(py::module_& m);
// Routes every pybind11 function of `m` through a check that, when a call fails because an
// argument got a value of the wrong type (None for a Tensor, ...), names that argument
// (arg_errors.cpp). Called last.
void install_arg_errors(py::module_& m);

}  // namespace chainrule::bind
