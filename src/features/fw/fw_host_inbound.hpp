#pragma once
// What a zone's host-inbound-traffic lets reach the router itself, as Junos
// names it. ARP never comes here (it is not IP); IPv6 neighbour discovery
// (router and neighbour solicitations and advertisements, redirects) always
// passes, as ARP does.
#include <cstring>

#include "features/fw/fw_packet.hpp"
#include "features/fw/fw_state.hpp"

namespace vp::fw {

template <bool kV6>
bool is_neighbor_discovery(const L4& l4) {
  return kV6 && l4.proto == IPPROTO_ICMPV6 && l4.len >= 1 && l4.p[0] >= 133 && l4.p[0] <= 137;
}

namespace detail {
inline uint16_t dport(const L4& l4) {
  if (l4.len < 4) return 0;
  uint16_t d;
  std::memcpy(&d, l4.p + 2, 2);
  return rte_be_to_cpu_16(d);
}
}  // namespace detail

template <bool kV6>
bool host_inbound_allowed(const ZoneRt& z, const L4& l4) {
  if (is_neighbor_discovery<kV6>(l4)) return true;
  const uint32_t sv = z.services, pr = z.protocols;
  if (sv == kSvcAll && pr == kProtoAll) return true;
  switch (l4.proto) {
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
      const uint8_t echo = kV6 ? 128 : 8;
      return (sv & kSvcPing) && l4.len >= 1 && l4.p[0] == echo;
    }
    case IPPROTO_TCP: {
      const uint16_t d = detail::dport(l4);
      return ((sv & kSvcSsh) && d == 22) || ((sv & kSvcDns) && d == 53) || ((pr & kProtoBgp) && d == 179);
    }
    case IPPROTO_UDP: {
      const uint16_t d = detail::dport(l4);
      // WireGuard interfaces do not exist yet, so `wireguard` has no port to open.
      return ((sv & kSvcDns) && d == 53) || ((sv & kSvcNtp) && d == 123) || ((sv & kSvcIke) && (d == 500 || d == 4500));
    }
    case 89:  // OSPF, OSPFv3
      return pr & kProtoOspf;
    case 112:  // VRRP
      return pr & kProtoVrrp;
    default:
      return false;
  }
}

}  // namespace vp::fw
