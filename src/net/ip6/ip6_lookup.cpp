// ip6-lookup: longest-prefix match in the packet's table for the whole
// vector at once (level by level, prefetched), then load-balance by the
// symmetric flow hash to an adjacency (ip6-rewrite), a neighbour to resolve
// (ip6-nd), ourselves (ip6-local), or an ICMPv6 error / drop. Packets with a
// link-local source or destination are never forwarded (RFC 4291 2.5.6);
// only what vplane itself sends may use them.
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "net/fib/adj.hpp"
#include "net/fib/dpo.hpp"
#include "net/fib/fib.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {

namespace {
enum Next : uint16_t { kRewrite, kNd, kLocal, kIcmp, kDrop };
enum Err : uint16_t { kNoTable, kBlackhole, kNoRoute, kProhibit, kLinkLocal };

void ip6_lookup(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  u128 dst[256];
  uint32_t leaf[256];
  bool ll[256];
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    const rte_ipv6_hdr* ip = ip6_hdr(p[i]);
    dst[i] = ip6_key(ip->dst_addr);
    ll[i] = (ip6_is_ll(ip->src_addr) || ip6_is_ll(ip->dst_addr)) && !(meta(p[i]).flags & kLocalOrigin);
  }
  // Runs of one table share it (almost always the whole vector).
  for (uint32_t i = 0; i < n;) {
    uint32_t vrf = meta(p[i]).vrf, j = i + 1;
    while (j < n && meta(p[j]).vrf == vrf) j++;
    const Ip6Mtrie* mt = vrf < kMaxFibs ? g_fib6[vrf].load(std::memory_order_acquire) : nullptr;
    if (__builtin_expect(mt != nullptr, 1))
      mt->lookup_bulk(dst + i, leaf + i, j - i);
    else
      for (uint32_t k = i; k < j; k++) leaf[k] = ~0u;
    i = j;
  }
  const LbSummary& sum = lb_summary();
  for (uint32_t i = 0; i < n; i++) __builtin_prefetch(sum.addr(leaf[i]));
  // Consecutive packets on the same single-bucket load-balance reuse the
  // previous packet's decision.
  uint32_t last_leaf = ~1u, last_dpo = 0;
  NodeId last_next = kNoNode;
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    if (__builtin_expect(leaf[i] == ~0u, 0)) {
      pm.error = uint16_t(self.error_base + kNoTable);
      next[i] = self.next[kDrop];
      continue;
    }
    if (leaf[i] == last_leaf && !ll[i]) {
      pm.adj = Dpo::index(last_dpo);
      next[i] = last_next;
      if (__builtin_expect(pm.flags & kTraced, 0))
        t.trace(self, m, "fib %u lb %u dpo %s/%u", pm.vrf, leaf[i], Registry::get().nodes()[last_next]->name.c_str(),
                Dpo::index(last_dpo));
      continue;
    }
    uint32_t d;
    bool single = lb_resolve_single(leaf[i], d);
    if (!single) {
      pm.flow_hash = flow_hash6(ip6_hdr(m));
      d = lb_resolve(leaf[i], pm.flow_hash);
    }
    DpoType type = Dpo::type(d);
    if (__builtin_expect(ll[i], 0) && type != DpoType::local) {
      pm.error = uint16_t(self.error_base + kLinkLocal);
      next[i] = self.next[kDrop];
      last_leaf = ~1u;
      continue;
    }
    switch (type) {
      case DpoType::adj: {
        pm.adj = Dpo::index(d);
        const Adj* a = adjs().get(pm.adj);
        next[i] = a && a->complete ? self.next[kRewrite] : self.next[kNd];
        break;
      }
      case DpoType::glean:
        pm.adj = Dpo::index(d);
        next[i] = self.next[kNd];
        break;
      case DpoType::local:
        next[i] = self.next[kLocal];
        break;
      case DpoType::drop:
        pm.error = uint16_t(self.error_base + kBlackhole);
        next[i] = self.next[kDrop];
        break;
      case DpoType::prohibit:
        want_icmp(m, 1, 1);
        t.count_error(self, kProhibit);
        next[i] = self.next[kIcmp];
        break;
      default:  // unreach: no route
        t.count_error(self, kNoRoute);
        want_icmp(m, 1, 0);
        next[i] = self.next[kIcmp];
        break;
    }
    bool reusable = single && (next[i] == self.next[kRewrite] || next[i] == self.next[kLocal]);
    last_leaf = reusable ? leaf[i] : ~1u;
    last_dpo = d;
    last_next = next[i];
    if (__builtin_expect(pm.flags & kTraced, 0))
      t.trace(self, m, "fib %u lb %u dpo %s/%u hash 0x%08x", pm.vrf, leaf[i],
              Registry::get().nodes()[next[i]]->name.c_str(), Dpo::index(d), pm.flow_hash);
  }
  t.enqueue_nexts(p, next, n);
}
}  // namespace

static NodeRegistration reg{{
    .name = "ip6-lookup",
    .fn = ip6_lookup,
    .next_names = {"ip6-rewrite", "ip6-nd", "ip6-local", "ip6-icmp-error", "error-drop"},
    .errors = {"no such table", "blackhole route", "no route (ICMPv6 unreachable sent)", "prohibited",
               "link-local source or destination not forwarded"},
}};

}  // namespace vp
