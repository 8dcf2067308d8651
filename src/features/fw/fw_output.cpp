// fw-ip4-out and fw-ip6-out: traffic from an unzoned interface may not
// leave by a zoned one. A feature on the ip4-output and ip6-output arcs of
// zoned interfaces, so that unzoned interfaces carry no firewall node at
// all: the opposite direction (zoned to unzoned) is fw-ip4-new's, which
// sees the egress when it classifies. Packets vplane makes itself (ICMP
// errors, resets) are the router's own traffic and pass.
#include "features/fw/fw_state.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"

namespace vp::fw {

namespace {
enum Err : uint16_t { kFromUnzoned, kErrCount };

void fw_out(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  const FwState& st = *g_fw_state.load(std::memory_order_acquire);
  const ArcDef& arc = Arcs::get().arc(meta(p[0]).arc);
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    PktMeta& pm = meta(p[i]);
    const bool ok = (pm.rx_if < kMaxInterfaces && st.if_zone[pm.rx_if] != kNoZone) || (pm.flags & kLocalOrigin);
    if (__builtin_expect(ok, 1)) {
      next[i] = feature_next(arc, pm);
      continue;
    }
    pm.error = uint16_t(self.error_base + kFromUnzoned);
    next[i] = self.next[0];
  }
  t.enqueue_nexts(p, next, n);
}

Names errors() { return names<kErrCount>({{kFromUnzoned, "between an unzoned and a zoned interface"}}); }
}  // namespace

static NodeRegistration reg4{{.name = "fw-ip4-out", .fn = fw_out, .next_names = "error-drop", .errors = errors()}};
static NodeRegistration reg6{{.name = "fw-ip6-out", .fn = fw_out, .next_names = "error-drop", .errors = errors()}};
static FeatureRegistration f4{{.arc = "ip4-output", .node = "fw-ip4-out", .module_only = true}};
static FeatureRegistration f6{{.arc = "ip6-output", .node = "fw-ip6-out", .module_only = true}};

}  // namespace vp::fw
