// ip4-lookup: longest-prefix match in the packet's VRF for the whole vector
// at once (prefetched), then load-balance by the symmetric flow hash to an
// adjacency (ip4-rewrite), a neighbour to resolve (ip4-arp), ourselves
// (ip4-local), or an ICMP error / drop.
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "net/fib/adj.hpp"
#include "net/fib/dpo.hpp"
#include "net/fib/fib.hpp"
#include "net/ip4/ip4.hpp"

namespace vp {

namespace {
enum Next : uint16_t { kRewrite, kArp, kLocal, kIcmp, kDrop };
enum Err : uint16_t { kNoTable, kBlackhole, kNoRoute, kProhibit };

void ip4_lookup(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  uint32_t dst[256], leaf[256];
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    dst[i] = rte_be_to_cpu_32(ip4_hdr(p[i])->dst_addr);
  }
  // Runs of one VRF share a table (almost always the whole vector).
  for (uint32_t i = 0; i < n;) {
    uint32_t vrf = meta(p[i]).vrf, j = i + 1;
    while (j < n && meta(p[j]).vrf == vrf) j++;
    const Ip4Mtrie* mt = vrf < kMaxFibs ? g_fib4[vrf].load(std::memory_order_acquire) : nullptr;
    if (__builtin_expect(mt != nullptr, 1))
      mt->lookup_bulk(dst + i, leaf + i, j - i);
    else
      for (uint32_t k = i; k < j; k++) leaf[k] = ~0u;
    i = j;
  }
  // Second pass of misses: the load-balance summaries, for the whole vector.
  const LbSummary& sum = lb_summary();
  for (uint32_t i = 0; i < n; i++) __builtin_prefetch(sum.addr(leaf[i]));
  // Consecutive packets on the same single-bucket load-balance (the common
  // case) reuse the previous packet's decision: no hash, no further loads.
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
    if (leaf[i] == last_leaf) {
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
      pm.flow_hash = flow_hash4(ip4_hdr(m));
      d = lb_resolve(leaf[i], pm.flow_hash);
    }
    switch (Dpo::type(d)) {
      case DpoType::adj: {
        pm.adj = Dpo::index(d);
        const Adj* a = adjs().get(pm.adj);
        next[i] = a && a->complete ? self.next[kRewrite] : self.next[kArp];
        break;
      }
      case DpoType::glean:
        pm.adj = Dpo::index(d);
        next[i] = self.next[kArp];
        break;
      case DpoType::local:
        next[i] = self.next[kLocal];
        break;
      case DpoType::drop:
        pm.error = uint16_t(self.error_base + kBlackhole);
        next[i] = self.next[kDrop];
        break;
      case DpoType::prohibit:
        want_icmp(m, 3, 13);
        next[i] = self.next[kIcmp];
        break;
      default:  // unreach: no route
        t.count_error(self, kNoRoute);
        want_icmp(m, 3, 0);
        next[i] = self.next[kIcmp];
        break;
    }
    // Only forwarding decisions are reused (errors set per-packet state).
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
    .name = "ip4-lookup",
    .fn = ip4_lookup,
    .next_names = {"ip4-rewrite", "ip4-arp", "ip4-local", "ip4-icmp-error", "error-drop"},
    .errors = {"no such table", "blackhole route", "no route (ICMP unreachable sent)", "prohibited"},
}};

}  // namespace vp
