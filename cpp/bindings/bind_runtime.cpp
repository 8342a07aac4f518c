// dtypes, threads, seeds, generators and cr.config().
#include "chainrule/cpu.h"
#include "chainrule/generator.h"
#include "chainrule/parallel.h"
#include "common.h"

namespace chainrule::bind {

namespace {

Tensor generator_state(const Generator& g) {
    const Generator::State st = g.state();
    Tensor t = empty({static_cast<int64_t>(st.size())}, DType::Int64);
    for (size_t i = 0; i < st.size(); ++i) t.data<int64_t>()[i] = static_cast<int64_t>(st[i]);
    return t;
}

Generator::State generator_state_arg(const Tensor& t) {
    Generator::State st{};
    CR_CHECK(t.dtype() == DType::Int64 && t.dim() == 1 &&
                 t.shape()[0] == static_cast<int64_t>(st.size()),
             ValueError, "set_state: expected an int64 tensor of shape (", st.size(),
             ",) from get_state; got ", dtype_name(t.dtype()), " of shape ", shape_str(t.shape()));
    for (size_t i = 0; i < st.size(); ++i) {
        st[i] = static_cast<uint64_t>(t.data<int64_t>()[static_cast<int64_t>(i) * t.strides()[0]]);
    }
    return st;
}

}  // namespace

void bind_runtime(py::module_& m) {
    py::enum_<DType>(m, "dtype")
        .value("bool", DType::Bool)
        .value("int64", DType::Int64)
        .value("float32", DType::Float32)
        .value("float64", DType::Float64)
        .def("__repr__", [](DType d) { return std::string("chainrule.") + dtype_name(d); })
        .def("__str__", [](DType d) { return std::string("chainrule.") + dtype_name(d); })
        .def_property_readonly("is_floating_point", [](DType d) { return is_floating(d); })
        .def_property_readonly("itemsize", [](DType d) { return itemsize(d); });

    m.def("get_num_threads", &get_num_threads, "Threads used by parallel regions.");
    m.def(
        "set_num_threads",
        [](int n) {
            CR_CHECK(n >= 1, ValueError, "set_num_threads: expected a positive number; got ", n);
            set_num_threads(n);
        },
        py::arg("n"), "Sets the threads used by every parallel region (one global count).");

    py::class_<Generator>(m, "Generator", "A private random stream for `generator=` arguments.")
        .def(py::init<>())
        .def(
            "manual_seed",
            [](Generator& g, uint64_t seed) -> Generator& {
                g.manual_seed(seed);
                return g;
            },
            py::arg("seed"), py::return_value_policy::reference_internal,
            "Restarts this stream from seed (an int); returns the generator.")
        .def("initial_seed", &Generator::initial_seed,
             "The seed this stream was last started from.")
        .def(
            "get_state", [](const Generator& g) { return generator_state(g); },
            "The stream's position as an int64 tensor, for set_state.")
        .def(
            "set_state",
            [](Generator& g, const Tensor& state) -> Generator& {
                g.set_state(generator_state_arg(state));
                return g;
            },
            py::arg("new_state"), py::return_value_policy::reference_internal,
            "Moves the stream to a position saved by get_state; returns the generator.");
    m.def(
        "get_rng_state", [] { return generator_state(default_generator()); },
        "The default generator's state as an int64 tensor.");
    m.def(
        "set_rng_state",
        [](const Tensor& state) { default_generator().set_state(generator_state_arg(state)); },
        py::arg("new_state"), "Restores a state from get_rng_state.");
    m.def(
        "manual_seed",
        [](uint64_t seed) -> Generator& {
            manual_seed(seed);
            return default_generator();
        },
        py::arg("seed"), py::return_value_policy::reference,
        "Seeds the default generator, making every random draw reproducible; returns it.");
    m.def(
        "initial_seed", [] { return default_generator().initial_seed(); },
        "The seed the default generator was last started from.");
    m.def("default_generator", &default_generator, py::return_value_policy::reference,
          "The global cr.Generator used by draws without generator=.");

    m.def("_build_info", [] {
        py::dict d;
#ifdef CHAINRULE_OPENMP
        d["openmp"] = true;
#else
        d["openmp"] = false;
#endif
#if defined(__clang__)
        d["compiler"] = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
        d["compiler"] = std::string("gcc ") + __VERSION__;
#else
        d["compiler"] = "unknown";
#endif
        d["simd"] = cpu_capability_name(cpu_capability());  // the dispatch level in use
        return d;
    });

    m.def(
        "_cpu_levels",
        [] {
            py::list out;
            for (int l = 0; l < kCpuCapabilityCount; ++l) {
                const auto level = static_cast<CpuCapability>(l);
                out.append(
                    py::make_tuple(cpu_capability_name(level), cpu_capability_available(level)));
            }
            return out;
        },
        "The CPU levels of the kernels (chainrule/cpu_levels.def), lowest first, each as (name, "
        "available here): the values CHAINRULE_CPU_CAPABILITY accepts.");

    m.def("_fail_allocation_after", &Storage::fail_allocation_after, py::arg("n"),
          "Test hook: the n-th tensor allocation from now (0: the next) raises as if out of "
          "memory; n < 0 disarms.");
    m.def("_allocation_failure_pending", &Storage::allocation_failure_pending,
          "Test hook: True while an armed allocation failure has not happened yet.");
}

}  // namespace chainrule::bind
