// ip4-local: packets for one of our addresses. ICMP echo requests are
// answered here; everything else walks the ip4-punt arc, whose end node
// (ip4-local-end) answers UDP with port unreachable and other protocols with
// protocol unreachable. The Linux control plane will take these over by
// registering a feature on ip4-punt.
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"
#include "net/ip4/ip4.hpp"

namespace vp {

namespace {
enum LocalNext : uint16_t { kLookup, kLocalNextCount };
enum LocalErr : uint16_t { kEcho, kLocalErrCount };
enum EndNext : uint16_t { kIcmp, kEndDrop, kEndNextCount };
enum EndErr : uint16_t { kMcast, kUdp, kProto, kIcmpOther, kEndErrCount };

ArcRegistration punt_arc{{.name = "ip4-punt", .end_node = "ip4-local-end"}};

void ip4_local(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  static const ArcDef* arc = Arcs::get().find("ip4-punt");
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    auto* ip = ip4_hdr(m);
    uint32_t hl = rte_ipv4_hdr_len(ip), tl = rte_be_to_cpu_16(ip->total_length);
    uint8_t* l4 = reinterpret_cast<uint8_t*>(ip) + hl;
    bool first_frag = !(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG));
    if (ip->next_proto_id == IPPROTO_ICMP && first_frag && tl >= hl + 8 && l4[0] == 8 &&
        reinterpret_cast<uint8_t*>(&ip->dst_addr)[0] < 224) {
      // Echo reply in place: swap addresses, type 8 -> 0, fix both checksums.
      uint32_t src = ip->src_addr;  // packed header: no references
      ip->src_addr = ip->dst_addr;
      ip->dst_addr = src;
      l4[0] = 0;
      uint16_t c;
      std::memcpy(&c, l4 + 2, 2);
      uint32_t sum = rte_be_to_cpu_16(c) + 0x0800;
      c = rte_cpu_to_be_16(uint16_t(sum + (sum >> 16)));
      std::memcpy(l4 + 2, &c, 2);
      ip->time_to_live = 64;
      ip->hdr_checksum = 0;
      ip->hdr_checksum = rte_ipv4_cksum(ip);
      t.count_error(self, kEcho);
      t.trace(self, m, "ICMP echo request: reply sent");
      next[i] = self.next[kLookup];
      continue;
    }
    next[i] = arc_enter(if_fast(pm.rx_if), *arc, pm);
    t.trace(self, m, "for us: proto %u, punted", ip->next_proto_id);
  }
  t.enqueue_nexts(p, next, n);
}

void ip4_local_end(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    auto* ip = ip4_hdr(m);
    uint8_t d0 = reinterpret_cast<uint8_t*>(&ip->dst_addr)[0];
    uint16_t err;
    if (d0 >= 224) {
      err = kMcast;  // multicast/broadcast: nobody here wants it, and no error is sent
    } else if (ip->next_proto_id == IPPROTO_UDP) {
      want_icmp(m, 3, 3);
      t.count_error(self, kUdp);
      next[i] = self.next[kIcmp];
      continue;
    } else if (ip->next_proto_id == IPPROTO_ICMP) {
      err = kIcmpOther;
    } else {
      want_icmp(m, 3, 2);
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
    .name = "ip4-local",
    .fn = ip4_local,
    .next_names = names<kLocalNextCount>({{kLookup, "ip4-lookup"}}),
    .errors = names<kLocalErrCount>({{kEcho, "echo replies sent"}}),
}};
static NodeRegistration reg_end{{
    .name = "ip4-local-end",
    .fn = ip4_local_end,
    .next_names = names<kEndNextCount>({{kIcmp, "ip4-icmp-error"}, {kEndDrop, "error-drop"}}),
    .errors = names<kEndErrCount>({{kMcast, "multicast/broadcast not forwarded"},
                                   {kUdp, "UDP port unreachable (ICMP sent)"},
                                   {kProto, "protocol unreachable (ICMP sent)"},
                                   {kIcmpOther, "ICMP type not handled"}}),
}};

}  // namespace vp
