// lcp-punt: traffic for vplane's own addresses that vplane does not answer
// itself (TCP and UDP to the router, routing protocols, multicast) leaves,
// frame and all, on the Linux mirror of the interface it arrived on. A
// feature on the ip4-punt and ip6-punt arcs, enabled by "lcp create"; an
// interface without a mirror continues along the arc.
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
    const IfFast* f = if_fast(pm.rx_if);
    if (__builtin_expect(!f || f->lcp_mirror == kNoIf, 0)) {
      next[i] = feature_next(pm);
      continue;
    }
    pm.tx_if = f->lcp_mirror;
    cadd(t.ifc(pm.rx_if).punts, 1);
    next[i] = self.next[kOutput];
    punted++;
    t.trace(self, p[i], "to the Linux mirror %s", if_fast(f->lcp_mirror) ? if_fast(f->lcp_mirror)->name.c_str() : "?");
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

}  // namespace vp
