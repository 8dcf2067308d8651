// ip6-input: validates the IPv6 header (version, payload length), trims
// Ethernet padding, picks the table (the interface's, or its link-local
// table for fe80::/10 destinations), then walks the ip6-unicast feature arc
// to ip6-lookup. Multicast goes to ip6-local (ND lives there; nothing
// multicast is forwarded).
#include <arpa/inet.h>

#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"
#include "net/ethernet/ethertype.hpp"
#include "net/fib/fib.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {

namespace {
enum Next : uint16_t { kLocal, kDrop, kNextCount };
enum Err : uint16_t { kTooShort, kVersion, kBadLen, kNotEnabled, kBadSrc, kBadDst, kErrCount };

ArcRegistration unicast_arc{{.name = "ip6-unicast", .end_node = "ip6-lookup"}};
EthertypeRegistration ethertype{0x86dd, "ip6-input"};

// Which check a malformed header fails (off the fast path).
__attribute__((noinline)) uint16_t classify(const rte_ipv6_hdr* ip, uint32_t avail, const IfFast* f) {
  if (avail < sizeof(rte_ipv6_hdr)) return kTooShort;
  if ((reinterpret_cast<const uint8_t*>(ip)[0] >> 4) != 6) return kVersion;
  if (rte_be_to_cpu_16(ip->payload_len) + sizeof(rte_ipv6_hdr) > avail) return kBadLen;
  if (!f || !f->ip6_on) return kNotEnabled;
  if (ip6_is_mcast(ip->src_addr)) return kBadSrc;
  if (ip6_is_unspec(ip->dst_addr)) return kBadDst;
  return 0xffff;
}

void ip6_input(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  static const ArcDef* arc = Arcs::get().find("ip6-unicast");
  NodeId next[256];
  uint32_t last_if = kNoIf;
  const IfFast* f = nullptr;
  const Lpm6* mt = nullptr;
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    if (pm.rx_if != last_if) {
      last_if = pm.rx_if;
      f = if_fast(last_if);
      mt = f && f->ip6_on && f->fib6 < kMaxFibs ? g_fib6[f->fib6].load(std::memory_order_acquire) : nullptr;
    }
    auto* ip = ip6_hdr(m);
    uint32_t avail = m->data_len > pm.l3_off ? m->data_len - pm.l3_off : 0;
    uint32_t tl = rte_be_to_cpu_16(ip->payload_len) + uint32_t(sizeof(rte_ipv6_hdr));
    // Fast path: version 6, sane length, enabled, unicast source, some destination.
    uint16_t err = 0xffff;
    if (__builtin_expect(!(avail >= sizeof(rte_ipv6_hdr) && (reinterpret_cast<uint8_t*>(ip)[0] >> 4) == 6 &&
                           tl <= avail && mt && !ip6_is_mcast(ip->src_addr)),
                         0) ||
        __builtin_expect(ip6_is_unspec(ip->dst_addr), 0))
      err = classify(ip, avail, f);
    if (__builtin_expect(err != 0xffff, 0)) {
      pm.error = uint16_t(self.error_base + err);
      next[i] = self.next[kDrop];
      t.trace(self, m, "IP6: dropped: %s", self.def->errors[err].c_str());
      continue;
    }
    if (__builtin_expect(avail > tl, 0)) rte_pktmbuf_trim(m, uint16_t(avail - tl));  // Ethernet padding
    if (__builtin_expect(ip6_is_ll(ip->dst_addr), 0)) {
      pm.vrf = f->fib6_ll;
      next[i] = arc_enter(f, *arc, pm);
    } else if (__builtin_expect(ip6_is_mcast(ip->dst_addr), 0)) {
      pm.vrf = f->fib6;
      next[i] = self.next[kLocal];
    } else {
      pm.vrf = f->fib6;
      // Start the FIB's first-level miss now; ip6-lookup reads it a node later.
      mt->prefetch(ip6_key(ip->dst_addr));
      next[i] = arc_enter(f, *arc, pm);
    }
    if (__builtin_expect(pm.flags & kTraced, 0)) {
      char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
      inet_ntop(AF_INET6, ip->src_addr, s, sizeof s);
      inet_ntop(AF_INET6, ip->dst_addr, d, sizeof d);
      t.trace(self, m, "IP6: %s -> %s proto %u hlim %u len %u vrf %u", s, d, ip->proto, ip->hop_limits, tl, pm.vrf);
    }
  }
  t.enqueue_nexts(p, next, n);
}
}  // namespace

static NodeRegistration reg{{
    .name = "ip6-input",
    .fn = ip6_input,
    .next_names = names<kNextCount>({{kLocal, "ip6-local"}, {kDrop, "error-drop"}}),
    .errors = names<kErrCount>({{kTooShort, "packet too short"},
                                {kVersion, "not IPv6"},
                                {kBadLen, "bad payload length"},
                                {kNotEnabled, "IPv6 not enabled on the interface"},
                                {kBadSrc, "multicast source"},
                                {kBadDst, "unspecified destination"}}),
}};

}  // namespace vp
