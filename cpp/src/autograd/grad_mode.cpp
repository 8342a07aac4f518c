// Thread-local grad mode and the process-wide anomaly flag.
#include <atomic>

#include "chainrule/autograd.h"

namespace chainrule {

namespace {
thread_local bool t_grad_enabled = true;
std::atomic<bool> g_anomaly{false};  // read by backward walks on any thread
}  // namespace

bool grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool enabled) { t_grad_enabled = enabled; }
bool anomaly_enabled() { return g_anomaly.load(std::memory_order_relaxed); }
void set_anomaly_enabled(bool enabled) { g_anomaly.store(enabled, std::memory_order_relaxed); }

}  // namespace chainrule
