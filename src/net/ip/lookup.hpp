#pragma once
// The body of ip4-lookup and ip6-lookup: longest-prefix match for the
// whole vector (runs of one table share it), the load-balance summaries
// prefetched for the whole vector, then each packet's next node. Both nodes
// register a name for every enumerator below (IPv4 included: it shares the
// code, though its packets are never restricted to link-local scope).
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "net/fib/dpo.hpp"
#include "net/fib/fib.hpp"
#include "net/ip/icmp_req.hpp"

namespace vp {

enum LookupNext : uint16_t { kLookupRewrite, kLookupResolve, kLookupLocal, kLookupIcmp, kLookupDrop, kLookupNextCount };
enum LookupErr : uint16_t {
  kLookupNoTable,
  kLookupBlackhole,
  kLookupNoRoute,
  kLookupProhibit,
  kLookupNotForwarded,
  kLookupErrCount
};

// ICMP type/code for "no route" and "prohibited" in each family.
struct LookupIcmp {
  uint8_t type, no_route, prohibited;
};

// dst: host-order keys; local_only: packets that may only be delivered
// locally (IPv6 link-local scope), nullptr when none may; hash: the
// packet's flow hash, computed only when a load-balance has several buckets.
template <class K, class HashFn>
void lookup_vector(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n, const K* dst, const bool* local_only,
                   LookupIcmp icmp, HashFn hash) {
  uint32_t leaf[256];
  NodeId next[256];
  for (uint32_t i = 0; i < n;) {
    uint32_t vrf = meta(p[i]).vrf, j = i + 1;
    while (j < n && meta(p[j]).vrf == vrf) j++;
    const Lpm<K>* mt = nullptr;
    if (vrf < kMaxFibs) {
      if constexpr (sizeof(K) == 4)
        mt = g_fib4[vrf].load(std::memory_order_acquire);
      else
        mt = g_fib6[vrf].load(std::memory_order_acquire);
    }
    if (__builtin_expect(mt != nullptr, 1))
      mt->lookup_bulk(dst + i, leaf + i, j - i);
    else
      for (uint32_t k = i; k < j; k++) leaf[k] = ~0u;
    i = j;
  }
  // Second round of misses: the load-balance summaries, for the whole vector.
  const LbSummary& sum = lb_summary();
  for (uint32_t i = 0; i < n; i++) __builtin_prefetch(sum.addr(leaf[i]));
  // Consecutive packets on the same single-bucket load-balance (the common
  // case) reuse the previous packet's decision: no hash, no further loads.
  uint32_t last_leaf = ~1u, last_dpo = 0;
  NodeId last_next = kNoNode;
  // The last load-balance with several buckets: under ECMP consecutive
  // packets share it but not a bucket, and the pool walk to it is three
  // dependent loads. Valid for this call: a worker inside a node holds off
  // its reclamation.
  uint32_t multi_leaf = ~1u;
  const Lb* multi = nullptr;
  // The trace of a packet decided here (not reused).
  auto trace_decided = [&](uint32_t i, uint32_t d) {
    const PktMeta& pm = meta(p[i]);
    t.trace(self, p[i], "fib %u lb %u dpo %s/%u hash 0x%08x", pm.vrf, leaf[i],
            Registry::get().nodes()[next[i]]->name.c_str(), Dpo::index(d), pm.flow_hash);
  };
  for (uint32_t i = 0; i < n; i++) {
    // Packets that reuse the decision, in a loop of their own: with the
    // rest of the body beside it gcc kept this path's values on the stack.
    for (; i < n && leaf[i] == last_leaf && !(local_only && local_only[i]); i++) {
      PktMeta& pm = meta(p[i]);
      pm.adj = Dpo::index(last_dpo);
      next[i] = last_next;
      if (__builtin_expect(pm.flags & kTraced, 0))
        t.trace(self, p[i], "fib %u lb %u dpo %s/%u", pm.vrf, leaf[i], Registry::get().nodes()[last_next]->name.c_str(),
                Dpo::index(last_dpo));
    }
    // Under ECMP, packets on the last multi-bucket load-balance: a hash and a
    // bucket each; one that does not get an adjacency takes the full path.
    for (; i < n && leaf[i] == multi_leaf && !(local_only && local_only[i]); i++) {
      PktMeta& pm = meta(p[i]);
      pm.flow_hash = hash(p[i]);
      const uint32_t d = lb_pick(multi, pm.flow_hash);
      if (__builtin_expect(Dpo::type(d) != DpoType::adj, 0)) break;
      pm.adj = Dpo::index(d);
      next[i] = self.next[kLookupRewrite];
      if (__builtin_expect(pm.flags & kTraced, 0)) trace_decided(i, d);
    }
    if (i == n) break;
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    const bool restricted = local_only && local_only[i];
    if (__builtin_expect(leaf[i] == ~0u, 0)) {
      pm.error = uint16_t(self.error_base + kLookupNoTable);
      next[i] = self.next[kLookupDrop];
      continue;
    }
    uint32_t d;
    bool single = lb_resolve_single(leaf[i], d);
    if (!single) {
      pm.flow_hash = hash(m);
      if (leaf[i] != multi_leaf) {
        multi_leaf = leaf[i];
        multi = lbs().get(leaf[i]);
      }
      d = lb_pick(multi, pm.flow_hash);
    }
    if (__builtin_expect(restricted, 0) && Dpo::type(d) != DpoType::local) {
      pm.error = uint16_t(self.error_base + kLookupNotForwarded);
      next[i] = self.next[kLookupDrop];
      continue;
    }
    // The common case tested first: a jump table's indirect branch costs
    // more than one compare.
    if (__builtin_expect(Dpo::type(d) == DpoType::adj, 1)) {
      // Not read here: rewrite reads the adjacency anyway, and sends one
      // that is not (or no longer) resolved to the resolver.
      pm.adj = Dpo::index(d);
      next[i] = self.next[kLookupRewrite];
    } else {
      switch (Dpo::type(d)) {
        case DpoType::glean:
          pm.adj = Dpo::index(d);
          next[i] = self.next[kLookupResolve];
          break;
        case DpoType::local:
          next[i] = self.next[kLookupLocal];
          break;
        case DpoType::drop:
          pm.error = uint16_t(self.error_base + kLookupBlackhole);
          next[i] = self.next[kLookupDrop];
          break;
        case DpoType::prohibit:
          want_icmp(m, icmp.type, icmp.prohibited);
          t.count_error(self, kLookupProhibit);
          next[i] = self.next[kLookupIcmp];
          break;
        default:  // unreach: no route
          want_icmp(m, icmp.type, icmp.no_route);
          t.count_error(self, kLookupNoRoute);
          next[i] = self.next[kLookupIcmp];
          break;
      }
    }
    // Only forwarding decisions are reused (errors set per-packet state).
    bool reusable = single && (next[i] == self.next[kLookupRewrite] || next[i] == self.next[kLookupLocal]);
    last_leaf = reusable ? leaf[i] : ~1u;
    last_dpo = d;
    last_next = next[i];
    if (__builtin_expect(pm.flags & kTraced, 0)) trace_decided(i, d);
  }
  t.enqueue_nexts(p, next, n);
}

}  // namespace vp
