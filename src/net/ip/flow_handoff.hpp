#pragma once
// The shape of a handoff node (ip4-flow-handoff, ip6-flow-handoff, and
// features' own, such as nat44-handoff): per packet, the symmetric flow hash
// (kept in meta.flow_hash for the features after it) and the owner among
// the forwarding threads; packets this thread owns continue on the arc, the
// others are handed off in bulk, one call per destination thread per
// vector, and continue on their owner at meta.next.
#include "graph/feature.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"
#include "net/ip/flow_owner.hpp"

namespace vp {

enum FlowHandoffErr : uint16_t { kHandedOff, kKept, kFlowHandoffErrCount };
inline Names flow_handoff_errors() {
  return names<kFlowHandoffErrCount>({{kHandedOff, "handed off to another worker"}, {kKept, "kept on this worker"}});
}

// `owner(m, own, hash)`: the owner thread of packet m, given its symmetric hash.
template <class HashFn, class OwnerFn>
void flow_handoff(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n, HashFn hash, OwnerFn owner_of) {
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
    const uint32_t owner = owner_of(p[i], own, pm.flow_hash);
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

}  // namespace vp
