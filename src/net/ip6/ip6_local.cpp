// ip6-local: packets for one of our addresses, and multicast. ICMPv6 echo
// requests are answered here, Neighbor Discovery goes to ip6-nd-input, and
// everything else walks the ip6-punt arc, whose end node (ip6-local-end)
// answers UDP with port unreachable and other protocols with a parameter
// problem (unrecognised next header). The Linux control plane takes these
// over by registering a feature on ip6-punt.
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {

namespace {
enum LocalNext : uint16_t { kLookup, kNd, kLocalNextCount };
enum LocalErr : uint16_t { kEcho, kBadCksum, kMalformed, kLocalErrCount };
enum EndNext : uint16_t { kIcmp, kEndDrop, kEndNextCount };
enum EndErr : uint16_t { kMcast, kUdp, kProto, kIcmpOther, kEndErrCount };

ArcRegistration punt_arc{{.name = "ip6-punt", .end_node = "ip6-local-end"}};

void ip6_local(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  static const ArcDef* arc = Arcs::get().find("ip6-punt");
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    auto* ip = ip6_hdr(m);
    uint32_t avail = m->data_len - pm.l3_off;
    uint8_t* l4 = reinterpret_cast<uint8_t*>(ip + 1);
    if (ip->proto == IPPROTO_ICMPV6) {
      if (avail < sizeof(rte_ipv6_hdr) + 4) {
        t.drop(self, m, kMalformed);
        next[i] = kNoNode;
        continue;
      }
      if (ip6_l4_cksum(ip, l4) != 0 && ip6_l4_cksum(ip, l4) != 0xffff) {
        t.trace(self, m, "ICMPv6: bad checksum");
        t.drop(self, m, kBadCksum);
        next[i] = kNoNode;
        continue;
      }
      if (l4[0] >= 133 && l4[0] <= 137) {
        next[i] = self.next[kNd];
        continue;
      }
      if (l4[0] == 128 && !ip6_is_mcast(ip->dst_addr)) {
        // Echo reply in place: swap addresses (the pseudo-header sum is
        // unchanged), type 128 -> 129, fix the checksum.
        uint8_t src[16];
        std::memcpy(src, ip->src_addr, 16);
        std::memcpy(ip->src_addr, ip->dst_addr, 16);
        std::memcpy(ip->dst_addr, src, 16);
        l4[0] = 129;
        uint16_t c;
        std::memcpy(&c, l4 + 2, 2);
        uint32_t sum = uint32_t(rte_be_to_cpu_16(c)) + 0xfeff;  // - 0x0100, ones' complement
        c = rte_cpu_to_be_16(uint16_t(sum + (sum >> 16)));
        std::memcpy(l4 + 2, &c, 2);
        ip->hop_limits = 64;
        pm.flags |= kLocalOrigin;
        const IfFast* f = if_fast(pm.rx_if);
        pm.vrf = f && ip6_is_ll(ip->dst_addr) ? f->fib6_ll : pm.vrf;
        t.count_error(self, kEcho);
        t.trace(self, m, "ICMPv6 echo request: reply sent");
        next[i] = self.next[kLookup];
        continue;
      }
    }
    next[i] = arc_enter(if_fast(pm.rx_if), *arc, pm);
    t.trace(self, m, "for us: next header %u, punted", ip->proto);
  }
  t.enqueue_nexts(p, next, n);
}

void ip6_local_end(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    auto* ip = ip6_hdr(m);
    uint8_t proto;
    uint32_t l4_off, nh_off;
    bool known = ip6_upper(ip, m->data_len - meta(m).l3_off, proto, l4_off, nh_off);
    uint16_t err;
    if (ip6_is_mcast(ip->dst_addr) || !known) {
      err = kMcast;  // nobody here wants it, and no error is sent
    } else if (proto == IPPROTO_UDP) {
      want_icmp(m, 1, 4);
      t.count_error(self, kUdp);
      next[i] = self.next[kIcmp];
      continue;
    } else if (proto == IPPROTO_ICMPV6) {
      err = kIcmpOther;
    } else {
      want_icmp(m, 4, 1, nh_off);
      t.count_error(self, kProto);
      next[i] = self.next[kIcmp];
      continue;
    }
    meta(m).error = uint16_t(self.error_base + err);
    next[i] = self.next[kEndDrop];
  }
  t.enqueue_nexts(p, next, n);
}
}  // namespace

static NodeRegistration reg{{
    .name = "ip6-local",
    .fn = ip6_local,
    .next_names = names<kLocalNextCount>({{kLookup, "ip6-lookup"}, {kNd, "ip6-nd-input"}}),
    .errors = names<kLocalErrCount>(
        {{kEcho, "echo replies sent"}, {kBadCksum, "bad ICMPv6 checksum"}, {kMalformed, "malformed ICMPv6"}}),
}};
static NodeRegistration reg_end{{
    .name = "ip6-local-end",
    .fn = ip6_local_end,
    .next_names = names<kEndNextCount>({{kIcmp, "ip6-icmp-error"}, {kEndDrop, "error-drop"}}),
    .errors = names<kEndErrCount>({{kMcast, "multicast or fragment not handled"},
                                   {kUdp, "UDP port unreachable (ICMPv6 sent)"},
                                   {kProto, "unknown next header (ICMPv6 parameter problem sent)"},
                                   {kIcmpOther, "ICMPv6 type not handled"}}),
}};

}  // namespace vp
