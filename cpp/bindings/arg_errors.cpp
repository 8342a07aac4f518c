// Names the argument when a Tensor (or int, float, bool, str) argument gets a value of the wrong
// type (None, a str, object(), ...). pybind11 reports it as "exp(): incompatible function
// arguments" plus the signature and the arguments' reprs; torch's wording names the argument:
//     exp(): argument 'input' (position 1) must be Tensor, not NoneType
// Every pybind11 function of _C runs through check_dispatch below, a call straight into
// pybind11's dispatcher; only when that fails does it look at the arguments (error path).
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "common.h"

namespace chainrule::bind {
namespace {

using Dispatcher = PyObject* (*)(PyObject*, PyObject* const*, size_t, PyObject*);
Dispatcher g_pybind_dispatch = nullptr;
PyTypeObject* g_tensor_type = nullptr;
// pybind11 leaves a property accessor's name empty; the errors use the property's.
std::unordered_map<const py::detail::function_record*, std::string> g_property_names;

// The parameter types whose wrong values are recognised here; the rest keep pybind11's message.
enum class Expect { Other, Tensor, Int, Float, Bool, Str };

Expect expect_of(std::string_view type) {
    type = type.substr(0, type.find(" = "));
    if (type == "Tensor") return Expect::Tensor;
    if (type == "typing.SupportsInt | typing.SupportsIndex") return Expect::Int;
    if (type == "typing.SupportsFloat | typing.SupportsIndex") return Expect::Float;
    if (type == "bool") return Expect::Bool;
    if (type == "str") return Expect::Str;
    return Expect::Other;
}

const char* expect_name(Expect e) {
    switch (e) {
        case Expect::Tensor:
            return "Tensor";
        case Expect::Int:
            return "int";
        case Expect::Float:
            return "float";
        case Expect::Bool:
            return "bool";
        case Expect::Str:
            return "str";
        case Expect::Other:
            break;
    }
    return "";
}

// True when pybind11's caster for `e` refuses `v` in any mode (a value it might convert, such
// as a float Tensor for an int, is left to pybind11's message).
bool refuses(Expect e, PyObject* v) {
    const bool number = PyNumber_Check(v) != 0;  // nb_index, nb_int or nb_float
    switch (e) {
        case Expect::Tensor:
            return !PyObject_TypeCheck(v, g_tensor_type);
        case Expect::Int:
            return !number || PyFloat_Check(v);
        case Expect::Float:
            return !number;
        case Expect::Bool:  // None converts to False; anything with nb_bool converts
            return v != Py_None && !(Py_TYPE(v)->tp_as_number && Py_TYPE(v)->tp_as_number->nb_bool);
        case Expect::Str:
            return !PyUnicode_Check(v) && !PyBytes_Check(v) && !PyByteArray_Check(v);
        case Expect::Other:
            break;
    }
    return false;
}

struct SigParam {
    std::string_view name;
    Expect expect = Expect::Other;
};

// The parameters of a pybind11 signature "(self: Tensor, other: Tensor, *, x: int = 1) -> T",
// split at the top-level commas; keyword-only ones after the positional ones.
std::vector<SigParam> parse_params(std::string_view sig, size_t& n_positional) {
    std::vector<SigParam> out;
    n_positional = SIZE_MAX;
    const size_t open = sig.find('(');
    if (open == std::string_view::npos) return out;
    int depth = 0;
    size_t start = open + 1;
    for (size_t i = start; i < sig.size(); ++i) {
        const char c = sig[i];
        if (c == '(' || c == '[' || c == '{') ++depth;
        const bool end = (c == ')' || c == ']' || c == '}') && depth-- == 0;
        if (!end && !(c == ',' && depth == 0)) continue;
        std::string_view piece = sig.substr(start, i - start);
        while (!piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
        start = i + 1;
        if (piece.empty()) {
        } else if (piece[0] == '*' || piece == "/") {
            if (piece != "/" && n_positional == SIZE_MAX) n_positional = out.size();
        } else {
            const size_t colon = piece.find(": ");
            SigParam p{piece.substr(0, colon)};
            if (colon != std::string_view::npos) {
                p.expect = expect_of(piece.substr(colon + 2));
            }
            out.push_back(p);
        }
        if (end) break;
    }
    if (n_positional == SIZE_MAX) n_positional = out.size();
    return out;
}

// type(o).__name__: tp_name without the module part a static type carries ("numpy.ndarray").
std::string type_name_of(PyObject* o) {
    const std::string_view full = Py_TYPE(o)->tp_name;
    return std::string(full.substr(full.rfind('.') + 1));
}

// When the call failed with pybind11's "incompatible function arguments" and a parameter got a
// value its type refuses, replaces the error by one naming that parameter.
void explain_bad_arg(PyObject* self, PyObject* const* args, size_t nargsf, PyObject* kwnames) {
    const py::detail::function_record* rec = py::detail::function_record_ptr_from_PyObject(self);
    // Overloaded functions keep pybind11's message: it lists what each overload takes.
    if (rec == nullptr || rec->next != nullptr || rec->signature == nullptr ||
        !PyErr_ExceptionMatches(PyExc_TypeError)) {
        return;
    }
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    const auto prop = g_property_names.find(rec);
    const std::string name = prop != g_property_names.end() ? prop->second : rec->name;
    const std::string prefix = std::string(rec->name) + "(): incompatible ";
    std::string bad_name, bad_type;
    size_t bad_pos = 0;
    Expect bad_expect = Expect::Other;
    if (PyObject* msg = value ? PyObject_Str(value) : nullptr) {
        const char* text = PyUnicode_AsUTF8(msg);
        if (text != nullptr && std::string_view(text).substr(0, prefix.size()) == prefix) {
            size_t n_positional = 0;
            const std::vector<SigParam> params = parse_params(rec->signature, n_positional);
            const size_t n_args = PyVectorcall_NARGS(nargsf);
            auto check = [&](size_t i, PyObject* arg) {
                if (bad_name.empty() && i < params.size() && refuses(params[i].expect, arg)) {
                    // A method's first parameter is self, however pybind11 names it.
                    bad_name = rec->is_method && i == 0 ? "self" : params[i].name;
                    bad_type = type_name_of(arg);
                    bad_pos = i;
                    bad_expect = params[i].expect;
                }
            };
            for (size_t i = 0; i < n_args && i < n_positional; ++i) check(i, args[i]);
            const Py_ssize_t n_kw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
            for (Py_ssize_t k = 0; k < n_kw && bad_name.empty(); ++k) {
                const char* kw = PyUnicode_AsUTF8(PyTuple_GET_ITEM(kwnames, k));
                for (size_t i = 0; kw != nullptr && i < params.size(); ++i) {
                    if (params[i].name == kw) check(i, args[n_args + static_cast<size_t>(k)]);
                }
            }
        }
        Py_DECREF(msg);
    }
    PyErr_Clear();
    if (bad_name.empty()) {
        PyErr_Restore(type, value, tb);
        return;
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    std::string msg;
    if (rec->is_setter) {
        msg =
            name + ": the assigned value must be " + expect_name(bad_expect) + ", not " + bad_type;
    } else {
        // torch counts positions from 1 and leaves self out of a method's count.
        std::string where;
        if (!(rec->is_method && bad_pos == 0)) {
            where = " (position " + std::to_string(rec->is_method ? bad_pos : bad_pos + 1) + ")";
        }
        msg = name + "(): argument '" + bad_name + "'" + where + " must be " +
              expect_name(bad_expect) + ", not " + bad_type;
    }
    PyErr_SetString(PyExc_TypeError, msg.c_str());
}

PyObject* check_dispatch(PyObject* self, PyObject* const* args, size_t nargsf, PyObject* kwnames) {
    PyObject* result = g_pybind_dispatch(self, args, nargsf, kwnames);
    if (result == nullptr) [[unlikely]] {
        explain_bad_arg(self, args, nargsf, kwnames);
    }
    return result;
}

// Points a pybind11 function (its PyMethodDef, shared by all its overloads) at check_dispatch;
// its record when it is one.
const py::detail::function_record* wrap_function(PyObject* f) {
    if (PyInstanceMethod_Check(f)) f = PyInstanceMethod_GET_FUNCTION(f);
    if (!PyCFunction_Check(f)) return nullptr;
    PyMethodDef* def = reinterpret_cast<PyCFunctionObject*>(f)->m_ml;
    const auto meth = reinterpret_cast<Dispatcher>(reinterpret_cast<void (*)()>(def->ml_meth));
    if (meth != g_pybind_dispatch && meth != check_dispatch) return nullptr;
    def->ml_meth = reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(check_dispatch));
    return py::detail::function_record_ptr_from_PyObject(PyCFunction_GET_SELF(f));
}

// Every function of a module or class of _C: module functions, methods, static methods, and
// property getters/setters; submodules and classes recursively.
void wrap_namespace(py::handle ns, std::unordered_set<PyObject*>& seen) {
    if (!seen.insert(ns.ptr()).second) return;
    // A copy: a class's __dict__ is a mappingproxy.
    for (auto item : py::dict(ns.attr("__dict__"))) {
        py::handle v = item.second;
        const std::string key = py::str(item.first);
        if (PyModule_Check(v.ptr()) || PyType_Check(v.ptr())) {
            const char* attr = PyType_Check(v.ptr()) ? "__module__" : "__name__";
            const std::string owner = py::str(v.attr(attr));
            if (owner.rfind("chainrule._C", 0) == 0) wrap_namespace(v, seen);
        } else if (PyObject_TypeCheck(v.ptr(), &PyStaticMethod_Type)) {
            wrap_function(v.attr("__func__").ptr());
        } else if (PyObject_TypeCheck(v.ptr(), &PyProperty_Type)) {
            for (const char* acc : {"fget", "fset"}) {
                if (const auto* rec = wrap_function(v.attr(acc).ptr())) g_property_names[rec] = key;
            }
        } else {
            wrap_function(v.ptr());
        }
    }
}

}  // namespace

void install_arg_errors(py::module_& m) {
    py::cpp_function probe([] {});  // any pybind11 function: its ml_meth is the dispatcher
    g_pybind_dispatch = reinterpret_cast<Dispatcher>(
        reinterpret_cast<void (*)()>(PyCFunction_GET_FUNCTION(probe.ptr())));
    g_tensor_type = reinterpret_cast<PyTypeObject*>(m.attr("Tensor").ptr());
    std::unordered_set<PyObject*> seen;
    wrap_namespace(m, seen);
}

}  // namespace chainrule::bind
