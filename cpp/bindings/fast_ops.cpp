// Number-protocol slots for + - * / on cr.Tensor that call the core directly. pybind11's
// generic dispatcher costs more than a small add itself; these slots are what `a + b` runs.
#include "common.h"

namespace chainrule::bind {

namespace {

// Sets the Python error for the exception in flight, as the module's translators would.
void set_python_error() {
    try {
        throw;
    } catch (py::error_already_set& e) {
        e.restore();
    } catch (const TypeError& e) {
        PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const RuntimeError& e) {
        PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (const std::invalid_argument& e) {
        PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const std::out_of_range& e) {
        PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const std::bad_alloc&) {
        PyErr_NoMemory();
    } catch (const std::exception& e) {
        PyErr_SetString(PyExc_RuntimeError, e.what());
    }
}

template <Tensor (*Op)(const Tensor&, const Tensor&), const char* Name>
PyObject* binary_slot(PyObject* a, PyObject* b) {
    try {
        Tensor x = to_tensor_arg(a, Name);
        Tensor y = to_tensor_arg(b, Name);
        return py::cast(Op(x, y)).release().ptr();
    } catch (...) {
        set_python_error();
        return nullptr;
    }
}

template <Tensor& (*Op)(Tensor&, const Tensor&), const char* Name>
PyObject* inplace_slot(PyObject* a, PyObject* b) {
    try {
        Tensor x = to_tensor_arg(a, Name);
        Tensor y = to_tensor_arg(b, Name);
        Op(x, y);
        Py_INCREF(a);
        return a;
    } catch (...) {
        set_python_error();
        return nullptr;
    }
}

constexpr char kAdd[] = "add";
constexpr char kSub[] = "sub";
constexpr char kMul[] = "mul";
constexpr char kDiv[] = "div";
constexpr char kAdd_[] = "add_";
constexpr char kSub_[] = "sub_";
constexpr char kMul_[] = "mul_";
constexpr char kDiv_[] = "div_";

Tensor add1(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor sub1(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor& iadd1(Tensor& a, const Tensor& b) { return add_(a, b); }
Tensor& isub1(Tensor& a, const Tensor& b) { return sub_(a, b); }

}  // namespace

void install_fast_slots(py::module_& m) {
    auto* type = reinterpret_cast<PyTypeObject*>(m.attr("Tensor").ptr());
    PyNumberMethods* num = type->tp_as_number;
    // The slot receives operands in expression order, so one function serves both the
    // direct and the reflected operator (2.0 - t arrives as nb_subtract(2.0, t)).
    num->nb_add = &binary_slot<add1, kAdd>;
    num->nb_subtract = &binary_slot<sub1, kSub>;
    num->nb_multiply = &binary_slot<mul, kMul>;
    num->nb_true_divide = &binary_slot<div, kDiv>;
    num->nb_inplace_add = &inplace_slot<iadd1, kAdd_>;
    num->nb_inplace_subtract = &inplace_slot<isub1, kSub_>;
    num->nb_inplace_multiply = &inplace_slot<mul_, kMul_>;
    num->nb_inplace_true_divide = &inplace_slot<div_, kDiv_>;
    PyType_Modified(type);
}

}  // namespace chainrule::bind
