// ip6-icmp-error: turns a packet into the ICMPv6 error a node asked for
// (meta IcmpReq) in place (RFC 4443): the original packet, as much as fits
// in 1280 bytes, behind a new IPv6 + ICMPv6 header, from an address of the
// interface it came in on (the link-local one when the source is
// link-local or the interface has no global address). Rate-limited per
// thread with the ICMP bucket; never about an ICMPv6 error, an unspecified
// or multicast source, or (except packet too big) a multicast destination.
#include "net/ip/icmp_error.hpp"
#include "net/ip6/ip6.hpp"

namespace vp {

namespace {
bool allowed(const rte_ipv6_hdr* ip, uint32_t avail, uint8_t type) {
  if (ip6_is_unspec(ip->src_addr) || ip6_is_mcast(ip->src_addr)) return false;
  if (ip6_is_mcast(ip->dst_addr) && type != 2) return false;
  if (ip->proto == IPPROTO_ICMPV6 &&
      (avail < sizeof(rte_ipv6_hdr) + 1 || reinterpret_cast<const uint8_t*>(ip + 1)[0] < 128))
    return false;  // errors about errors
  return true;
}

void icmp6_error(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  auto check = [](rte_mbuf* m, const IcmpReq& req, uint32_t avail, const IfFast* f) -> uint16_t {
    if (!allowed(ip6_hdr(m), avail, req.type)) return kIcmpErrorNotAllowed;
    return !f || !f->ip6_on ? kIcmpErrorNoSource : 0xffff;
  };
  auto build = [](rte_mbuf*, uint8_t* h, uint32_t quote, const IcmpReq& req, const IfFast& f, PktMeta& pm) {
    auto* nip = reinterpret_cast<rte_ipv6_hdr*>(h);
    const auto* orig = reinterpret_cast<const rte_ipv6_hdr*>(h + 48);
    nip->vtc_flow = RTE_BE32(0x60000000);
    nip->payload_len = rte_cpu_to_be_16(uint16_t(8 + quote));
    nip->proto = IPPROTO_ICMPV6;
    nip->hop_limits = 64;
    std::memcpy(nip->dst_addr, orig->src_addr, 16);
    bool ll = ip6_is_ll(orig->src_addr) || ip6_is_unspec(f.ip6);
    std::memcpy(nip->src_addr, ll ? f.ip6_ll : f.ip6, 16);
    uint8_t* icmp = h + 40;
    icmp[0] = req.type;
    icmp[1] = req.code;
    icmp[2] = icmp[3] = 0;
    uint32_t param = rte_cpu_to_be_32(req.param);
    std::memcpy(icmp + 4, &param, 4);
    uint16_t c = ip6_l4_cksum(nip, icmp);
    std::memcpy(icmp + 2, &c, 2);
    pm.flags |= kLocalOrigin;
    pm.vrf = ip6_is_ll(nip->dst_addr) ? f.fib6_ll : f.fib6;
  };
  icmp_error_vector(t, self, p, n, "ICMPv6", 48, 1280, check, build);  // 1280: the IPv6 minimum MTU
}
}  // namespace

static NodeRegistration reg{{
    .name = "ip6-icmp-error",
    .fn = icmp6_error,
    .init = icmp_error_init,
    .next_names = names<kIcmpErrorNextCount>({{kIcmpErrorLookup, "ip6-lookup"}, {kIcmpErrorDrop, "error-drop"}}),
    .errors = names<kIcmpErrorErrCount>(
        {{kIcmpErrorSent, "ICMPv6 errors sent"},
         {kIcmpErrorRateLimited, "ICMPv6 error rate limited"},
         {kIcmpErrorNotAllowed, "no ICMPv6 error for this packet"},
         {kIcmpErrorNoSource, "IPv6 not enabled on the interface to send an ICMPv6 error from"}}),
}};

}  // namespace vp
