// ip4-flow-handoff and ip6-flow-handoff: pin each flow to one forwarding
// thread, its owner, so that stateful features further along the arc see
// both directions of a flow on the thread that holds its state. A feature on
// the ip4-unicast and ip6-unicast arcs, enabled per interface with
// "set interface feature <if> ip4-flow-handoff arc ip4-unicast"; stateful
// features enable it themselves and register with runs_after it.
//
// Per packet: the symmetric flow hash (stored in meta.flow_hash for the
// features after it), the owner among the forwarding threads, and the next
// node on the arc. Packets this thread owns continue here; the others are
// handed off in bulk, one call per destination thread per vector, and
// continue on their owner at meta.next.
#include "net/ip/flow_handoff.hpp"

#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "graph/threads.hpp"
#include "io/interface.hpp"
#include "net/ip4/ip4.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {

namespace {
void owners_init(Thread&, NodeRt& self) { self.state = new FlowOwners(threads().forwarding()); }

uint32_t by_hash(rte_mbuf*, const FlowOwners& own, uint32_t hash) { return own.owner(hash); }

void ip4_flow_handoff(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  flow_handoff(
      t, self, p, n, [](rte_mbuf* m) { return flow_hash4(ip4_hdr(m)); }, by_hash);
}
void ip6_flow_handoff(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  flow_handoff(
      t, self, p, n, [](rte_mbuf* m) { return flow_hash6(ip6_hdr(m)); }, by_hash);
}
}  // namespace

// Counters, not drops: every packet leaves by the arc, here or on its owner.
static NodeRegistration reg4{{
    .name = "ip4-flow-handoff",
    .fn = ip4_flow_handoff,
    .init = owners_init,
    .errors = flow_handoff_errors(),
}};
static NodeRegistration reg6{{
    .name = "ip6-flow-handoff",
    .fn = ip6_flow_handoff,
    .init = owners_init,
    .errors = flow_handoff_errors(),
}};
static FeatureRegistration f4{{.arc = "ip4-unicast", .node = "ip4-flow-handoff"}};
static FeatureRegistration f6{{.arc = "ip6-unicast", .node = "ip6-flow-handoff"}};

}  // namespace vp
