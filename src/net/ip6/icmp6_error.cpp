// ip6-icmp-error: turns a packet into the ICMPv6 error a node asked for
// (meta IcmpReq) in place (RFC 4443): the original packet, as much as fits
// in 1280 bytes, behind a new IPv6 + ICMPv6 header, from an address of the
// interface it came in on (the link-local one when the source is
// link-local or the interface has no global address). Rate-limited per
// thread with the ICMP bucket; never about an ICMPv6 error, an unspecified
// or multicast source, or (except packet too big) a multicast destination.
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "infra/tsc.hpp"
#include "io/interface.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {

namespace {
enum Next : uint16_t { kLookup, kDrop };
enum Err : uint16_t { kSent, kRateLimited, kNotAllowed, kNoSource };

constexpr uint32_t kMinMtu = 1280;

void init(Thread&, NodeRt& self) { self.state = new IcmpBucket; }

bool allowed(const rte_ipv6_hdr* ip, uint32_t avail, uint8_t type) {
  if (ip6_is_unspec(ip->src_addr) || ip6_is_mcast(ip->src_addr)) return false;
  if (ip6_is_mcast(ip->dst_addr) && type != 2) return false;
  if (ip->proto == IPPROTO_ICMPV6 &&
      (avail < sizeof(rte_ipv6_hdr) + 1 || reinterpret_cast<const uint8_t*>(ip + 1)[0] < 128))
    return false;  // errors about errors
  return true;
}

void icmp6_error(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  auto* b = static_cast<IcmpBucket*>(self.state);
  b->refill(rdtsc(), tsc_hz());
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    IcmpReq req = icmp_req(m);
    auto* ip = ip6_hdr(m);
    uint32_t avail = m->data_len - pm.l3_off;
    const IfFast* f = if_fast(pm.rx_if);
    uint16_t err = 0xffff;
    if (!allowed(ip, avail, req.type))
      err = kNotAllowed;
    else if (!f || !f->ip6_on)
      err = kNoSource;
    else if (!b->take())
      err = kRateLimited;
    if (err != 0xffff) {
      pm.error = uint16_t(self.error_base + err);
      next[i] = self.next[kDrop];
      continue;
    }
    uint32_t quote = std::min<uint32_t>(avail, kMinMtu - 48);
    rte_pktmbuf_adj(m, pm.l3_off);
    rte_pktmbuf_trim(m, uint16_t(m->data_len - quote));
    auto* h = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 48));
    auto* nip = reinterpret_cast<rte_ipv6_hdr*>(h);
    const auto* orig = reinterpret_cast<const rte_ipv6_hdr*>(h + 48);
    nip->vtc_flow = RTE_BE32(0x60000000);
    nip->payload_len = rte_cpu_to_be_16(uint16_t(8 + quote));
    nip->proto = IPPROTO_ICMPV6;
    nip->hop_limits = 64;
    std::memcpy(nip->dst_addr, orig->src_addr, 16);
    bool ll = ip6_is_ll(orig->src_addr) || ip6_is_unspec(f->ip6);
    std::memcpy(nip->src_addr, ll ? f->ip6_ll : f->ip6, 16);
    uint8_t* icmp = h + 40;
    icmp[0] = req.type;
    icmp[1] = req.code;
    icmp[2] = icmp[3] = 0;
    uint32_t param = rte_cpu_to_be_32(req.param);
    std::memcpy(icmp + 4, &param, 4);
    uint16_t c = ip6_l4_cksum(nip, icmp);
    std::memcpy(icmp + 2, &c, 2);
    pm.l3_off = 0;
    pm.flags = uint8_t((pm.flags & ~kHeld) | kLocalOrigin);
    pm.vrf = ip6_is_ll(nip->dst_addr) ? f->fib6_ll : f->fib6;
    t.count_error(self, kSent);
    t.trace(self, m, "ICMPv6 type %u code %u sent to the source", req.type, req.code);
    next[i] = self.next[kLookup];
  }
  t.enqueue_nexts(p, next, n);
}
}  // namespace

static NodeRegistration reg{{
    .name = "ip6-icmp-error",
    .fn = icmp6_error,
    .init = init,
    .next_names = {"ip6-lookup", "error-drop"},
    .errors = {"ICMPv6 errors sent", "ICMPv6 error rate limited", "no ICMPv6 error for this packet",
               "IPv6 not enabled on the interface to send an ICMPv6 error from"},
}};

}  // namespace vp
