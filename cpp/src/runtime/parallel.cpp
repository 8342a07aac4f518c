// The global thread count and the fork handler (libgomp's pool does not survive fork()).
#include "chainrule/parallel.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace chainrule {

namespace {
int default_threads() {
#ifdef CHAINRULE_OPENMP
    // OMP_NUM_THREADS when set, else the CPUs this process may run on (as PyTorch).
    return std::max(1, omp_get_max_threads());
#else
    return 1;
#endif
}

std::atomic<int> g_threads{0};  // 0: not yet initialised
std::atomic<bool> g_forked{false};

void after_fork_in_child() {
    // The OpenMP pool of the parent does not exist in the child; entering a parallel region
    // would hang, so the child runs serially.
    g_forked = true;
    g_threads = 1;
}

struct ForkHandlerInstaller {
    ForkHandlerInstaller() { pthread_atfork(nullptr, nullptr, &after_fork_in_child); }
} g_install_fork_handler;
}  // namespace

int get_num_threads() {
    int n = g_threads.load(std::memory_order_relaxed);
    if (n == 0) {
        n = default_threads();
        g_threads = n;
    }
    return n;
}

void set_num_threads(int n) {
    if (g_forked) return;  // stay serial in a forked child
    g_threads = std::max(1, n);
}

bool in_parallel_region() {
#ifdef CHAINRULE_OPENMP
    return omp_in_parallel() != 0;
#else
    return false;
#endif
}

}  // namespace chainrule
