#include "features/fw/fw_runtime.hpp"

namespace vp::fw {

namespace {
RulebaseStatus g_status;
}

void changed(Change c) {
  if (c == Change::kRules) g_status.config_generation++;
}
RulebaseStatus rulebase_status() { return g_status; }
uint64_t policy_hits(uint32_t) { return 0; }
void reset_policy_hits(uint32_t) {}

}  // namespace vp::fw
