// Thread-local grad mode and the process-wide anomaly flag.
#include "chainrule/autograd.h"

namespace chainrule {

namespace {
thread_local bool t_grad_enabled = true;
bool g_anomaly = false;
}  // namespace

bool grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool enabled) { t_grad_enabled = enabled; }
bool anomaly_enabled() { return g_anomaly; }
void set_anomaly_enabled(bool enabled) { g_anomaly = enabled; }

}  // namespace chainrule
