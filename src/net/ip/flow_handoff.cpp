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
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "graph/threads.hpp"
#include "io/interface.hpp"
#include "net/ip/flow_owner.hpp"
#include "net/ip4/ip4.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {

namespace {
enum Err : uint16_t { kHandedOff, kKept, kErrCount };

void owners_init(Thread&, NodeRt& self) { self.state = new FlowOwners(threads().forwarding()); }

template <class HashFn>
void flow_handoff(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n, HashFn hash) {
  const FlowOwners& own = *static_cast<const FlowOwners*>(self.state);
  const uint32_t me = t.index();
  // The node is a feature of one arc only, so every packet is on the same
  // arc: looked up once per vector, not once per packet.
  const ArcDef& arc = Arcs::get().arc(meta(p[0]).arc);
  NodeId next[256];
  rte_mbuf* away[256];
  uint32_t away_to[256];
  uint32_t n_away = 0;
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    PktMeta& pm = meta(p[i]);
    pm.flow_hash = hash(p[i]);
    const uint32_t owner = own.owner(pm.flow_hash);
    // Before any handoff: the owner continues at meta.next with the arc
    // position already past this node, so it never comes back here.
    pm.next = feature_next(arc, pm);
    if (__builtin_expect(pm.flags & kTraced, 0))
      t.trace(self, p[i], "flow hash 0x%08x owner thread %u", pm.flow_hash, owner);
    next[i] = owner == me ? pm.next : kNoNode;  // kNoNode: handed off below, skipped by enqueue_nexts
    if (owner != me) {
      away[n_away] = p[i];
      away_to[n_away++] = owner;
    }
  }
  t.count_error(self, kHandedOff, n_away);
  t.count_error(self, kKept, n - n_away);
  t.enqueue_nexts(p, next, n);
  // One handoff per destination: take the first packet's owner, hand off its
  // packets in order, compact the rest and repeat. A few passes over at most
  // a vector, one per other thread that owns some of it.
  while (n_away) {
    const uint32_t dst = away_to[0];
    rte_mbuf* batch[256];
    uint32_t k = 0, rest = 0;
    for (uint32_t i = 0; i < n_away; i++) {
      if (away_to[i] == dst) {
        batch[k++] = away[i];
      } else {
        away[rest] = away[i];
        away_to[rest++] = away_to[i];
      }
    }
    t.handoff(dst, batch, k);
    n_away = rest;
  }
}

void ip4_flow_handoff(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  flow_handoff(t, self, p, n, [](rte_mbuf* m) { return flow_hash4(ip4_hdr(m)); });
}
void ip6_flow_handoff(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  flow_handoff(t, self, p, n, [](rte_mbuf* m) { return flow_hash6(ip6_hdr(m)); });
}
}  // namespace

// Counters, not drops: every packet leaves by the arc, here or on its owner.
static NodeRegistration reg4{{
    .name = "ip4-flow-handoff",
    .fn = ip4_flow_handoff,
    .init = owners_init,
    .errors = names<kErrCount>({{kHandedOff, "handed off to another worker"}, {kKept, "kept on this worker"}}),
}};
static NodeRegistration reg6{{
    .name = "ip6-flow-handoff",
    .fn = ip6_flow_handoff,
    .init = owners_init,
    .errors = names<kErrCount>({{kHandedOff, "handed off to another worker"}, {kKept, "kept on this worker"}}),
}};
static FeatureRegistration f4{{.arc = "ip4-unicast", .node = "ip4-flow-handoff"}};
static FeatureRegistration f6{{.arc = "ip6-unicast", .node = "ip6-flow-handoff"}};

}  // namespace vp
