// IPv6 Neighbor Discovery (RFC 4861). ip6-nd-input answers neighbour
// solicitations for our addresses (link-local and global, including DAD
// probes) with an advertisement built in place, and reports what it learns
// from solicitations and advertisements to the neighbour table. Router
// advertisements are off: solicitations for them are counted and dropped.
// ip6-nd resolves next hops for packets that need it with a solicitation to
// the solicited-node group, holding them meanwhile (hold.hpp).
#include <rte_ether.h>
#include <rte_hash_crc.h>

#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "infra/tsc.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"
#include "net/arp/hold.hpp"
#include "net/arp/neighbor.hpp"
#include "net/fib/adj.hpp"
#include "net/fib/dpo.hpp"
#include "net/fib/fib.hpp"
#include "net/ip6/ip6.hpp"
#include "net/ip6/nd_packet.hpp"

namespace vp {

namespace {

constexpr uint8_t kNs = 135, kNa = 136;
constexpr uint8_t kOptSrcLl = 1, kOptTgtLl = 2;

// ---- ip6-nd-input
// Neighbour advertisements and router messages vplane does not act on, once
// counted: features may pass them on (to a Linux mirror: the kernel keeps its
// own neighbours and routers); by default they are freed.
ArcRegistration learned_arc{{.name = "nd-learned", .end_node = "consumed"}};

enum InNext : uint16_t { kOutput, kInDrop, kInNextCount };
enum InErr : uint16_t { kInvalid, kNotOurs, kNsAnswered, kNaReceived, kRsIgnored, kRaIgnored, kRedirect, kInErrCount };

// The link-layer address option of a type, or nullptr.
const uint8_t* find_lla(const uint8_t* opt, int32_t len, uint8_t type, bool& bad) {
  const uint8_t* found = nullptr;
  while (len >= 2) {
    uint32_t olen = uint32_t(opt[1]) * 8;
    if (olen == 0 || int32_t(olen) > len) {
      bad = true;
      return nullptr;
    }
    if (opt[0] == type && olen >= 8) found = opt + 2;
    opt += olen;
    len -= int32_t(olen);
  }
  return found;
}

bool is_ours(const IfFast* f, uint32_t rx_if, const uint8_t* target) {
  if (std::memcmp(target, f->ip6_ll, 16) == 0) return true;
  const Lpm6* mt = f->fib6 < kMaxFibs ? g_fib6[f->fib6].load(std::memory_order_acquire) : nullptr;
  if (!mt) return false;
  uint32_t d = lb_resolve(mt->lookup(ip6_key(target)), 0);
  return Dpo::type(d) == DpoType::local && Dpo::index(d) == rx_if;
}

void report(uint32_t sw_if, const uint8_t* ip, const uint8_t* mac) {
  NbrEvent e{};
  e.sw_if = sw_if;
  std::memcpy(e.ip, ip, 16);
  std::memcpy(e.mac, mac, 6);
  e.v6 = 1;
  neighbors().learn(e);
}

// Rewrites the solicitation into our advertisement for target.
void make_na(rte_mbuf* m, const IfFast* f, const uint8_t* target, const uint8_t* to_mac, bool dad) {
  PktMeta& pm = meta(m);
  auto* ip = ip6_hdr(m);
  uint8_t dst[16];
  static const uint8_t all_nodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::memcpy(dst, dad ? all_nodes : ip->src_addr, 16);
  uint8_t tgt[16];
  std::memcpy(tgt, target, 16);
  uint8_t eth_dst[6] = {0x33, 0x33, 0, 0, 0, 1};
  if (!dad) std::memcpy(eth_dst, to_mac, 6);
  rte_pktmbuf_adj(m, uint16_t(pm.l3_off - RTE_ETHER_HDR_LEN));
  rte_pktmbuf_trim(m, uint16_t(m->data_len - (RTE_ETHER_HDR_LEN + 40 + 32)));
  pm.l3_off = RTE_ETHER_HDR_LEN;
  auto* eh = rte_pktmbuf_mtod(m, rte_ether_hdr*);
  std::memcpy(eh->dst_addr.addr_bytes, eth_dst, 6);
  std::memcpy(eh->src_addr.addr_bytes, f->mac.b.data(), 6);
  eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
  ip = ip6_hdr(m);
  ip->vtc_flow = RTE_BE32(0x60000000);
  ip->payload_len = RTE_BE16(32);
  ip->proto = IPPROTO_ICMPV6;
  ip->hop_limits = 255;
  std::memcpy(ip->src_addr, tgt, 16);
  std::memcpy(ip->dst_addr, dst, 16);
  auto* na = reinterpret_cast<uint8_t*>(ip + 1);
  std::memset(na, 0, 32);
  na[0] = kNa;
  na[4] = uint8_t(0x80 | (dad ? 0 : 0x40) | 0x20);  // router, solicited, override
  std::memcpy(na + 8, tgt, 16);
  na[24] = kOptTgtLl;
  na[25] = 1;
  std::memcpy(na + 26, f->mac.b.data(), 6);
  uint16_t c = ip6_l4_cksum(ip, na);
  std::memcpy(na + 2, &c, 2);
  pm.tx_if = pm.rx_if;
}

void nd_input(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  NodeId next[256];
  static const ArcDef* learned = Arcs::get().find("nd-learned");
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    const IfFast* f = if_fast(pm.rx_if);
    auto* ip = ip6_hdr(m);
    auto* icmp = reinterpret_cast<const uint8_t*>(ip + 1);
    int32_t len = int32_t(m->data_len) - int32_t(pm.l3_off) - int32_t(sizeof(rte_ipv6_hdr));
    len = std::min<int32_t>(len, rte_be_to_cpu_16(ip->payload_len));
    uint8_t type = icmp[0];
    uint16_t err = 0xffff;
    bool bad = false;
    if (!f || ip->hop_limits != 255 || icmp[1] != 0) {
      err = kInvalid;
    } else if (type == kNs) {
      bool dad = ip6_is_unspec(ip->src_addr);
      const uint8_t* lla = len >= 24 ? find_lla(icmp + 24, len - 24, kOptSrcLl, bad) : nullptr;
      if (len < 24 || bad || ip6_is_mcast(icmp + 8) || (dad && lla) ||
          (dad && !(ip6_is_mcast(ip->dst_addr) && ip->dst_addr[11] == 1))) {
        err = kInvalid;
      } else if (!is_ours(f, pm.rx_if, icmp + 8)) {
        err = kNotOurs;
      } else {
        if (lla && !dad) report(pm.rx_if, ip->src_addr, lla);
        uint8_t to_mac[6];
        std::memcpy(to_mac, lla ? lla : rte_pktmbuf_mtod(m, rte_ether_hdr*)->src_addr.addr_bytes, 6);
        make_na(m, f, icmp + 8, to_mac, dad);
        t.count_error(self, kNsAnswered);
        t.trace(self, m, "ND: solicitation for us: advertised");
        next[i] = self.next[kOutput];
        continue;
      }
    } else if (type == kNa) {
      const uint8_t* lla = len >= 24 ? find_lla(icmp + 24, len - 24, kOptTgtLl, bad) : nullptr;
      if (len < 24 || bad || ip6_is_mcast(icmp + 8) || (ip6_is_mcast(ip->dst_addr) && (icmp[4] & 0x40))) {
        err = kInvalid;
      } else {
        if (lla) report(pm.rx_if, icmp + 8, lla);
        err = kNaReceived;
      }
    } else {
      err = type == 133 ? kRsIgnored : type == 134 ? kRaIgnored : kRedirect;
    }
    if (err >= kNaReceived) {  // consumed, not an error
      t.count_error(self, err);
      t.trace(self, m, "ND: %s", self.def->errors[err].c_str());
      next[i] = arc_enter(f, *learned, pm);
      continue;
    }
    t.trace(self, m, "ND: %s", self.def->errors[err].c_str());
    pm.error = uint16_t(self.error_base + err);
    next[i] = self.next[kInDrop];
  }
  t.enqueue_nexts(p, next, n);
}

// ---- ip6-nd
enum NdNext : uint16_t { kNdOutput, kNdDrop, kNdLookup, kNdNextCount };
enum NdErr : uint16_t { kSentNs, kHeldFull, kTimeout, kNoSrc, kNdErrCount };

void nd_init(Thread&, NodeRt& self) { self.state = new HoldQueue; }

void ip6_nd(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  auto* st = static_cast<HoldQueue*>(self.state);
  st->begin();
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    const Adj* a = adjs().get(meta(m).adj);
    const IfFast* f = a ? if_fast(a->sw_if) : nullptr;
    const uint8_t* target = a && !a->glean ? a->nh.b.data() : ip6_hdr(m)->dst_addr;
    uint16_t err = !f || !f->ip6_on ? uint16_t(kNoSrc) : st->admit(m, kHeldFull, kTimeout);
    if (err != 0xffff) {
      t.trace(self, m, "resolve: %s", self.def->errors[err].c_str());
      t.drop(self, m, err);
      continue;
    }
    if (st->should_ask(rte_hash_crc(target, 16, 0)))
      if (rte_mbuf* r = ns_frame(f->mac, f->ip6_ll, target, f->sw_if_index)) {
        t.count_error(self, kSentNs);
        t.enqueue1(self.next[kNdOutput], r);
      }
    t.trace(self, m, "resolving on %s: held", f->name.c_str());
    st->push(m);
  }
}

}  // namespace

rte_mbuf* ns_frame(const Mac& src, const uint8_t* src_ip, const uint8_t* target, uint32_t tx_if) {
  rte_mbuf* r = rte_pktmbuf_alloc(eal().pool);
  if (!r) return nullptr;
  constexpr uint16_t kLen = RTE_ETHER_HDR_LEN + 40 + 32;
  auto* eh = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(r, kLen));
  if (!eh) {
    rte_pktmbuf_free(r);
    return nullptr;
  }
  std::memset(eh, 0, kLen);
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(eh + 1);
  ip6_solicited_node(target, ip->dst_addr, eh->dst_addr.addr_bytes);
  std::memcpy(eh->src_addr.addr_bytes, src.b.data(), 6);
  eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV6);
  ip->vtc_flow = RTE_BE32(0x60000000);
  ip->payload_len = RTE_BE16(32);
  ip->proto = IPPROTO_ICMPV6;
  ip->hop_limits = 255;
  std::memcpy(ip->src_addr, src_ip, 16);
  auto* ns = reinterpret_cast<uint8_t*>(ip + 1);
  ns[0] = kNs;
  std::memcpy(ns + 8, target, 16);
  ns[24] = kOptSrcLl;
  ns[25] = 1;
  std::memcpy(ns + 26, src.b.data(), 6);
  uint16_t c = ip6_l4_cksum(ip, ns);
  std::memcpy(ns + 2, &c, 2);
  meta_init(r, kNoIf);
  meta(r).l3_off = RTE_ETHER_HDR_LEN;
  meta(r).tx_if = tx_if;
  return r;
}

static NodeRegistration reg_in{{
    .name = "ip6-nd-input",
    .fn = nd_input,
    .next_names = names<kInNextCount>({{kOutput, "interface-output"}, {kInDrop, "error-drop"}}),
    .errors = names<kInErrCount>({{kInvalid, "invalid ND packet"},
                                  {kNotOurs, "solicitation for another address"},
                                  {kNsAnswered, "solicitations answered"},
                                  {kNaReceived, "advertisements received"},
                                  {kRsIgnored, "router solicitations ignored (advertisements off)"},
                                  {kRaIgnored, "router advertisements ignored"},
                                  {kRedirect, "redirects ignored"}}),
}};
static NodeRegistration reg_nd{{
    .name = "ip6-nd",
    .fn = ip6_nd,
    .init = nd_init,
    .next_names =
        names<kNdNextCount>({{kNdOutput, "interface-output"}, {kNdDrop, "error-drop"}, {kNdLookup, "ip6-lookup"}}),
    .errors = names<kNdErrCount>({{kSentNs, "neighbour solicitations sent"},
                                  {kHeldFull, "hold queue full"},
                                  {kTimeout, "address resolution timed out"},
                                  {kNoSrc, "IPv6 not enabled on the egress interface"}}),
}};

}  // namespace vp
