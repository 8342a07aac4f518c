// chainrule._C: the one extension module. Each bind_*.cpp registers one area; no logic here.
#include "common.h"

PYBIND11_MODULE(_C, m) {
    m.doc() = "chainrule's C++ core";
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const chainrule::TypeError& e) {
            PyErr_SetString(PyExc_TypeError, e.what());
        } catch (const chainrule::RuntimeError& e) {
            PyErr_SetString(PyExc_RuntimeError, e.what());
        }
    });
    using namespace chainrule::bind;
    bind_runtime(m);
    bind_tensor(m);
    bind_creation(m);
    bind_elementwise(m);
    bind_inplace(m);
    bind_reduce(m);
    bind_softmax(m);
    bind_linalg(m);
    bind_shape(m);
    bind_autograd(m);
    bind_scan_sort(m);
    bind_nn(m);
    bind_activation(m);
    bind_loss(m);
    bind_embedding(m);
    bind_optim(m);
    bind_norm(m);
    bind_pool(m);
    bind_conv(m);
    bind_attention(m);
    install_fast_slots(m);
    install_arg_errors(m);
}
