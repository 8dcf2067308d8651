// ip6-rewrite: hop-limit check and decrement (no header checksum in IPv6),
// MTU check (routers never fragment IPv6: ICMPv6 packet too big), the
// adjacency's Ethernet header, then the ip6-output arc to interface-output.
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"
#include "net/ip/rewrite.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {

namespace {
enum Next : uint16_t { kNd, kIcmp, kDrop, kNextCount };
enum Err : uint16_t { kHopLimit, kTooBig, kLocalTooBig, kErrCount };

ArcRegistration output_arc{{.name = "ip6-output", .end_node = "interface-output", .on_tx = true}};

template <bool kRun>
void rewrite(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  static const ArcDef* arc = Arcs::get().find("ip6-output");
  NodeId next[256];
  AdjCursor<kRun> c(*arc);
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    if (!c.at(pm.adj)) {
      next[i] = self.next[kNd];
      continue;
    }
    const Adj* a = c.a;
    auto* ip = ip6_hdr(m);
    const bool forwarded = !(pm.flags & kLocalOrigin);
    if (__builtin_expect(ip->hop_limits <= 1, 0) && forwarded) {
      want_icmp(m, 3, 0);
      t.count_error(self, kHopLimit);
      next[i] = self.next[kIcmp];
      continue;
    }
    uint32_t tl = rte_be_to_cpu_16(ip->payload_len) + uint32_t(sizeof(rte_ipv6_hdr));
    if (__builtin_expect(tl > a->mtu, 0)) {
      if (!forwarded) {
        pm.error = uint16_t(self.error_base + kLocalTooBig);
        next[i] = self.next[kDrop];
        continue;
      }
      want_icmp(m, 2, 0, a->mtu);
      t.count_error(self, kTooBig);
      next[i] = self.next[kIcmp];
      continue;
    }
    ip->hop_limits -= forwarded;
    next[i] = c.send(m, pm);
    if (__builtin_expect(pm.flags & kTraced, 0))
      t.trace(self, m, "tx %s adj %u hlim %u len %u", c.ifname(), pm.adj, ip->hop_limits, tl);
  }
  t.enqueue_nexts(p, next, n);
}

void ip6_rewrite(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  one_run(p, n) ? rewrite<true>(t, self, p, n) : rewrite<false>(t, self, p, n);
}
}  // namespace

static NodeRegistration reg{{
    .name = "ip6-rewrite",
    .fn = ip6_rewrite,
    .next_names = names<kNextCount>({{kNd, "ip6-nd"}, {kIcmp, "ip6-icmp-error"}, {kDrop, "error-drop"}}),
    .errors = names<kErrCount>({{kHopLimit, "hop limit expired (ICMPv6 sent)"},
                                {kTooBig, "packet too big (ICMPv6 sent)"},
                                {kLocalTooBig, "own packet larger than the MTU"}}),
}};

}  // namespace vp
