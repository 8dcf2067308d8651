#pragma once
// Shared by ip4-rewrite and ip6-rewrite: the adjacency, its interface and
// that interface's output arc, and the final step that puts the Ethernet
// header on.
#include <rte_mbuf.h>

#include <cstring>

#include "graph/feature.hpp"
#include "graph/meta.hpp"
#include "io/interface.hpp"
#include "net/fib/adj.hpp"

namespace vp {

// kRun: the vector is taken for one run on one adjacency (one_run()), and
// a packet on the last packet's adjacency reuses its lookup. Otherwise
// (ECMP, many next hops) every packet looks its adjacency up: there a "same
// as the last one" test kept the lookup's results live from packet to
// packet and made its chain of loads wait on the branch, which cost more
// than the loads it saved (ECMP ip4-rewrite 14 -> 11 clocks without it).
template <bool kRun>
struct AdjCursor {
  const ArcDef& arc;  // the family's output arc
  uint32_t last = ~0u;
  const Adj* a = nullptr;
  const IfFast* f = nullptr;
  NodeId out;

  explicit AdjCursor(const ArcDef& output_arc) : arc(output_arc), out(output_arc.end) {}

  // The packet's adjacency; false when it is missing or not resolved (the
  // neighbour went away under us).
  bool at(uint32_t adj) {
    if (!kRun || adj != last) {
      last = adj;
      a = adjs().get(adj);
      f = a ? if_fast(a->sw_if) : nullptr;
      out = arc_first(f, arc);
    }
    return __builtin_expect(a && a->complete, 1);
  }

  // Puts the adjacency's 14-byte Ethernet header right in front of the L3
  // header (the common case, l3_off 14, is just an overwrite), sets tx_if,
  // enters the output arc; returns the next node.
  NodeId send(rte_mbuf* m, PktMeta& pm) const {
    if (__builtin_expect(pm.l3_off != 14, 0)) {
      if (pm.l3_off > 14)
        rte_pktmbuf_adj(m, uint16_t(pm.l3_off - 14));
      else
        rte_pktmbuf_prepend(m, uint16_t(14 - pm.l3_off));
      pm.l3_off = 14;
    }
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), a->rewrite, 14);
    pm.tx_if = a->sw_if;
    // `out` is arc_first(f, arc) already: arc_enter would walk f's arcs a
    // second time per packet (1-1.5 ticks of ip6-rewrite with an output
    // feature enabled); setting the position is all it adds.
    if (out != arc.end) {
      pm.arc = arc.index;
      pm.arc_pos = 0;
    }
    return out;
  }
  const char* ifname() const { return f ? f->name.c_str() : "?"; }
};

// A vector whose first, middle and last packets share an adjacency.
inline bool one_run(rte_mbuf** p, uint32_t n) {
  uint32_t x = meta(p[0]).adj;
  return meta(p[n / 2]).adj == x && meta(p[n - 1]).adj == x;
}

}  // namespace vp
