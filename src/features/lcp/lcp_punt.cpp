// lcp-punt: traffic for vplane's own addresses that vplane does not answer
// itself (TCP and UDP to the router, routing protocols, multicast), and the
// ARP replies and neighbour/router advertisements vplane learned from,
// leave, frame and all, on the Linux mirror of the interface they arrived
// on. A feature on the ip4-punt, ip6-punt, arp-learned and nd-learned arcs,
// enabled by "lcp create"; an interface without a mirror continues along
// the arc.
#include "features/lcp/lcp.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"

namespace vp {

namespace {
enum Next : uint16_t { kOutput, kNextCount };
enum Err : uint16_t { kPunted, kErrCount };

void lcp_punt(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  NodeId next[256];
  uint32_t punted = 0;
  for (uint32_t i = 0; i < n; i++) {
    PktMeta& pm = meta(p[i]);
    const uint32_t mirror = pm.rx_if < kMaxInterfaces ? g_lcp_mirror[pm.rx_if].load(std::memory_order_relaxed) : kNoIf;
    if (__builtin_expect(mirror == kNoIf, 0)) {
      next[i] = feature_next(pm);
      continue;
    }
    pm.tx_if = mirror;
    cadd(t.ifc(pm.rx_if).punts, 1);
    next[i] = self.next[kOutput];
    punted++;
    t.trace(self, p[i], "to the Linux mirror %s", if_fast(mirror) ? if_fast(mirror)->name.c_str() : "?");
  }
  t.count_error(self, kPunted, punted);
  t.enqueue_nexts(p, next, n);
}
}  // namespace

static NodeRegistration reg{{
    .name = "lcp-punt",
    .fn = lcp_punt,
    .next_names = names<kNextCount>({{kOutput, "interface-output"}}),
    .errors = names<kErrCount>({{kPunted, "punted to the Linux mirror"}}),
}};
static FeatureRegistration f4{{.arc = "ip4-punt", .node = "lcp-punt"}};
static FeatureRegistration f6{{.arc = "ip6-punt", .node = "lcp-punt"}};
static FeatureRegistration farp{{.arc = "arp-learned", .node = "lcp-punt"}};
static FeatureRegistration fnd{{.arc = "nd-learned", .node = "lcp-punt"}};

}  // namespace vp
