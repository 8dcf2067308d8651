// ARP: arp-input answers requests for our addresses (and, with proxy-arp,
// for addresses routed out of another interface) and reports what it learns
// to the neighbour table; ip4-arp resolves next hops for packets that need
// it, holding them briefly (ip-neighbor-wait retries them, for ip6-nd too,
// when a neighbour resolves; they are dropped after a timeout). Requests are
// rate-limited per target.
#include <rte_arp.h>
#include <rte_ether.h>

#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "infra/tsc.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"
#include "net/arp/arp_packet.hpp"
#include "net/arp/hold.hpp"
#include "net/arp/neighbor.hpp"
#include "net/ethernet/ethertype.hpp"
#include "net/fib/adj.hpp"
#include "net/fib/dpo.hpp"
#include "net/fib/fib.hpp"
#include "net/ip4/ip4.hpp"

namespace vp {

namespace {

EthertypeRegistration ethertype{0x0806, "arp-input"};
// ARP replies and gratuitous ARP, once learned from: features may pass them
// on (to a Linux mirror, so that the kernel learns too); by default they
// are freed.
ArcRegistration learned_arc{{.name = "arp-learned", .end_node = "consumed"}};

// ---- arp-input
enum InNext : uint16_t { kOutput, kInDrop, kInNextCount };
enum InErr : uint16_t { kMalformed, kNoAddr, kNotForUs, kReplies, kRequestsAnswered, kProxied, kInErrCount };

uint32_t lookup_dpo(uint32_t fib, uint32_t addr_be) {
  const Ip4Mtrie* mt = fib < kMaxFibs ? g_fib4[fib].load(std::memory_order_acquire) : nullptr;
  return mt ? lb_resolve(mt->lookup(rte_be_to_cpu_32(addr_be)), 0) : Dpo::make(DpoType::unreach);
}

void report(uint32_t sw_if, const rte_arp_ipv4& a) {
  NbrEvent e{};  // v6 = 0
  e.sw_if = sw_if;
  std::memcpy(e.ip, &a.arp_sip, 4);
  std::memcpy(e.mac, a.arp_sha.addr_bytes, 6);
  neighbors().learn(e);
}

void arp_input(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  NodeId next[256];
  static const ArcDef* learned = Arcs::get().find("arp-learned");
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    const IfFast* f = if_fast(pm.rx_if);
    uint16_t err = 0xffff;
    auto* arp = rte_pktmbuf_mtod_offset(m, rte_arp_hdr*, pm.l3_off);
    if (m->data_len < pm.l3_off + sizeof(rte_arp_hdr) || arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
        arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 || arp->arp_plen != 4) {
      err = kMalformed;
    } else if (!f || !f->ip4) {
      err = kNoAddr;
    } else {
      rte_arp_ipv4& a = arp->arp_data;
      uint32_t d = lookup_dpo(f->fib4, a.arp_tip);
      bool ours = Dpo::type(d) == DpoType::local && Dpo::index(d) == pm.rx_if;
      uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
      if (op == RTE_ARP_OP_REPLY || a.arp_sip == a.arp_tip) {
        if (ours || a.arp_sip == a.arp_tip) report(pm.rx_if, a);
        err = kReplies;
      } else if (op == RTE_ARP_OP_REQUEST) {
        bool proxy = false;
        if (!ours && f->proxy_arp && (Dpo::type(d) == DpoType::adj || Dpo::type(d) == DpoType::lb)) {
          const Adj* adj = Dpo::type(d) == DpoType::adj ? adjs().get(Dpo::index(d)) : nullptr;
          proxy = !adj || adj->sw_if != pm.rx_if;
        }
        if (!ours && !proxy) {
          err = kNotForUs;
        } else {
          if (ours) report(pm.rx_if, a);
          // Reply in place.
          auto* eh = rte_pktmbuf_mtod(m, rte_ether_hdr*);
          eh->dst_addr = a.arp_sha;
          std::memcpy(eh->src_addr.addr_bytes, f->mac.b.data(), 6);
          arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
          a.arp_tha = a.arp_sha;
          std::memcpy(a.arp_sha.addr_bytes, f->mac.b.data(), 6);
          uint32_t sip = a.arp_sip, tip = a.arp_tip;  // packed fields: no references
          a.arp_sip = tip;
          a.arp_tip = sip;
          pm.tx_if = pm.rx_if;
          t.count_error(self, proxy ? kProxied : kRequestsAnswered);
          t.trace(self, m, "ARP request for us%s: replied", proxy ? " (proxy)" : "");
          next[i] = self.next[kOutput];
          continue;
        }
      } else {
        err = kMalformed;
      }
    }
    if (err == kReplies) {
      t.count_error(self, kReplies);
      t.trace(self, m, "ARP reply/gratuitous: learned");
      next[i] = arc_enter(f, *learned, pm);
      continue;
    }
    t.trace(self, m, "ARP: %s", self.def->errors[err].c_str());
    pm.error = uint16_t(self.error_base + err);
    next[i] = self.next[kInDrop];
  }
  t.enqueue_nexts(p, next, n);
}

// ---- ip4-arp and ip-neighbor-wait
enum ArpNext : uint16_t { kArpOutput, kArpDrop, kArpLookup, kArpNextCount };
enum ArpErr : uint16_t { kSentReq, kHeldFull, kTimeout, kNoSrc, kBcast, kArpErrCount };

void arp_init(Thread&, NodeRt& self) { self.state = new HoldQueue; }

void ip4_arp(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  auto* st = static_cast<HoldQueue*>(self.state);
  st->begin();
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    const Adj* a = adjs().get(meta(m).adj);
    const IfFast* f = a ? if_fast(a->sw_if) : nullptr;
    auto* ip = ip4_hdr(m);
    uint32_t target = a && !a->glean ? rte_cpu_to_be_32(a->nh.v4_host()) : ip->dst_addr;
    uint16_t err = 0xffff;
    if (!f || !f->ip4)
      err = kNoSrc;
    else if (a->glean && f->ip4_len < 31 && (rte_be_to_cpu_32(target) | (~0u << (32 - f->ip4_len))) == ~0u)
      err = kBcast;  // directed broadcast: never forwarded
    else
      err = st->admit(m, kHeldFull, kTimeout);
    if (err != 0xffff) {
      t.trace(self, m, "resolve: %s", self.def->errors[err].c_str());
      t.drop(self, m, err);
      continue;
    }
    if (st->should_ask(target))
      if (rte_mbuf* r = arp_request_frame(f->mac, f->ip4, target, f->sw_if_index)) {
        t.count_error(self, kSentReq);
        t.enqueue1(self.next[kArpOutput], r);
      }
    t.trace(self, m, "resolving %u.%u.%u.%u on %s: held", reinterpret_cast<uint8_t*>(&target)[0],
            reinterpret_cast<uint8_t*>(&target)[1], reinterpret_cast<uint8_t*>(&target)[2],
            reinterpret_cast<uint8_t*>(&target)[3], f->name.c_str());
    st->push(m);
  }
}

// Input node: held IPv4 and IPv6 packets go back to their lookup.
uint32_t neighbor_wait(Thread& t, NodeRt&) {
  static const NodeId ids[2][2] = {{Registry::get().id("ip4-arp"), Registry::get().id("ip4-lookup")},
                                   {Registry::get().id("ip6-nd"), Registry::get().id("ip6-lookup")}};
  uint32_t out = 0;
  for (auto& [resolver, lookup] : ids)
    if (auto* st = static_cast<HoldQueue*>(t.node(resolver).state); st && st->n) out += st->release(t, lookup);
  return out;
}

}  // namespace

rte_mbuf* arp_request_frame(const Mac& src, uint32_t sip_be, uint32_t tip_be, uint32_t tx_if) {
  rte_mbuf* r = rte_pktmbuf_alloc(eal().pool);
  if (!r) return nullptr;
  auto* eh = reinterpret_cast<rte_ether_hdr*>(rte_pktmbuf_append(r, 60));
  if (!eh) {
    rte_pktmbuf_free(r);
    return nullptr;
  }
  std::memset(eh, 0, 60);
  std::memset(eh->dst_addr.addr_bytes, 0xff, 6);
  std::memcpy(eh->src_addr.addr_bytes, src.b.data(), 6);
  eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
  auto* arp = reinterpret_cast<rte_arp_hdr*>(eh + 1);
  arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
  arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
  arp->arp_hlen = 6;
  arp->arp_plen = 4;
  arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
  std::memcpy(arp->arp_data.arp_sha.addr_bytes, src.b.data(), 6);
  arp->arp_data.arp_sip = sip_be;
  arp->arp_data.arp_tip = tip_be;
  meta_init(r, kNoIf);
  meta(r).tx_if = tx_if;
  return r;
}

static NodeRegistration reg_in{{
    .name = "arp-input",
    .fn = arp_input,
    .next_names = names<kInNextCount>({{kOutput, "interface-output"}, {kInDrop, "error-drop"}}),
    .errors = names<kInErrCount>({{kMalformed, "malformed ARP"},
                                  {kNoAddr, "no IPv4 address on the interface"},
                                  {kNotForUs, "ARP for another host"},
                                  {kReplies, "replies received"},
                                  {kRequestsAnswered, "requests answered"},
                                  {kProxied, "requests answered by proxy"}}),
}};
static NodeRegistration reg_arp{{
    .name = "ip4-arp",
    .fn = ip4_arp,
    .init = arp_init,
    .next_names =
        names<kArpNextCount>({{kArpOutput, "interface-output"}, {kArpDrop, "error-drop"}, {kArpLookup, "ip4-lookup"}}),
    .errors = names<kArpErrCount>({{kSentReq, "ARP requests sent"},
                                   {kHeldFull, "hold queue full"},
                                   {kTimeout, "address resolution timed out"},
                                   {kNoSrc, "no IPv4 address on the egress interface"},
                                   {kBcast, "directed broadcast not forwarded"}}),
}};
static NodeRegistration reg_wait{{.name = "ip-neighbor-wait", .input = neighbor_wait}};

}  // namespace vp
