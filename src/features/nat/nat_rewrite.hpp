#pragma once
// Rewriting a packet of a translated session: addresses and ports (the
// ICMP echo id as both) set to the session's other tuple, every checksum
// that covers them updated incrementally (RFC 1624): the IPv4 header's, and
// TCP's, UDP's (unless 0, "none") or ICMP's. ICMP errors about a translated
// flow get their quoted packet translated back the same way, and the outer
// ICMP checksum recomputed over the message (errors are short and rare).
#include <rte_ip.h>

#include <cstring>

#include "features/fw/session_table.hpp"
#include "features/nat/checksum.hpp"

namespace vp::nat {

struct Endpoint {
  uint32_t addr;  // network order
  uint16_t port;  // network order
};

// A session's endpoints, [0] the initiator's, on the side of its original
// tuple (`translated` false) or of its translated one.
inline void session_endpoints(const fw::Session& s, const fw::Xlate& x, bool translated, Endpoint e[2]) {
  if (translated) {
    e[0] = {x.addr[0], x.port[0]};
    e[1] = {x.addr[1], x.port[1]};
    return;
  }
  const uint8_t i = s.init_side();
  std::memcpy(&e[0].addr, s.key.addr[i] + 12, 4);
  std::memcpy(&e[1].addr, s.key.addr[i ^ 1] + 12, 4);
  e[0].port = s.key.port[i];
  e[1].port = s.key.port[i ^ 1];
}

// Sets the packet's source and destination, and the checksums. `len`: bytes
// from the IPv4 header to the end of the packet's data. The L4 header of a
// non-first fragment is not there, and that of a truncated packet is left.
inline void rewrite4(rte_ipv4_hdr* ip, uint32_t len, Endpoint src, Endpoint dst) {
  const uint32_t d_addr = csum_delta32(ip->src_addr, src.addr) + csum_delta32(ip->dst_addr, dst.addr);
  ip->hdr_checksum = csum_apply(ip->hdr_checksum, d_addr);
  ip->src_addr = src.addr;
  ip->dst_addr = dst.addr;
  if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) return;
  const uint32_t hl = rte_ipv4_hdr_len(ip);
  auto* l4 = reinterpret_cast<uint8_t*>(ip) + hl;
  uint16_t ports[2], check;
  switch (ip->next_proto_id) {
    case IPPROTO_TCP:
    case IPPROTO_UDP: {
      // A quoted packet may end after its ports (8 bytes of TCP): its
      // checksum is then not there to update.
      if (len < hl + 4) return;
      const bool tcp = ip->next_proto_id == IPPROTO_TCP;
      const uint32_t at = tcp ? 16 : 6;
      std::memcpy(ports, l4, 4);
      if (len >= hl + at + 2) {
        std::memcpy(&check, l4 + at, 2);
        const uint16_t c =
            csum_apply(check, d_addr + csum_delta16(ports[0], src.port) + csum_delta16(ports[1], dst.port));
        check = tcp ? c : udp_fix(check, c);
        std::memcpy(l4 + at, &check, 2);
      }
      std::memcpy(l4, &src.port, 2);
      std::memcpy(l4 + 2, &dst.port, 2);
      return;
    }
    case IPPROTO_ICMP: {
      // Echo only (errors go through rewrite_icmp_error4): the id, which
      // the checksum covers; ICMP has no pseudo-header.
      if (len < hl + 8 || (l4[0] != 8 && l4[0] != 0)) return;
      uint16_t id;
      std::memcpy(&id, l4 + 4, 2);
      const uint16_t nid = l4[0] == 8 ? src.port : dst.port;
      std::memcpy(&check, l4 + 2, 2);
      check = csum_apply(check, csum_delta16(id, nid));
      std::memcpy(l4 + 2, &check, 2);
      std::memcpy(l4 + 4, &nid, 2);
      return;
    }
    default:
      return;
  }
}

// A packet of translated session `s` in direction `dir` (0: from the
// initiator), found through its translated tuple or its original one, takes
// the other tuple.
inline void translate4(const fw::Session& s, const fw::Xlate& x, bool via_xlate, uint8_t dir, rte_ipv4_hdr* ip,
                       uint32_t len) {
  Endpoint e[2];
  session_endpoints(s, x, !via_xlate, e);
  rewrite4(ip, len, e[dir], e[dir ^ 1]);
}

// An ICMP error quoting a packet of session `s`: the quoted packet (in
// direction `dir`, found through its translated tuple or its original one)
// takes the other tuple, and so does the outer header where it names the
// quoted packet's endpoints: the error goes back to the quoted packet's
// source, and comes from its destination or from a router on the way (kept).
inline void translate_icmp_error4(const fw::Session& s, const fw::Xlate& x, bool via_xlate, uint8_t dir,
                                  rte_ipv4_hdr* ip, uint32_t len) {
  Endpoint now[2], to[2];
  session_endpoints(s, x, via_xlate, now);
  session_endpoints(s, x, !via_xlate, to);
  const uint32_t hl = rte_ipv4_hdr_len(ip);
  auto* icmp = reinterpret_cast<uint8_t*>(ip) + hl;
  auto* inner = reinterpret_cast<rte_ipv4_hdr*>(icmp + 8);
  const uint32_t inner_len = len - hl - 8;
  rewrite4(inner, inner_len, to[dir], to[dir ^ 1]);
  const Endpoint osrc = ip->src_addr == now[dir ^ 1].addr ? to[dir ^ 1] : Endpoint{ip->src_addr, 0};
  const uint32_t d_addr = csum_delta32(ip->src_addr, osrc.addr) + csum_delta32(ip->dst_addr, to[dir].addr);
  ip->hdr_checksum = csum_apply(ip->hdr_checksum, d_addr);
  ip->src_addr = osrc.addr;
  ip->dst_addr = to[dir].addr;
  const uint32_t icmp_len = rte_be_to_cpu_16(ip->total_length) - hl;
  const uint32_t n = icmp_len < len - hl ? icmp_len : len - hl;
  icmp[2] = icmp[3] = 0;
  const uint16_t sum = uint16_t(~csum_fold(csum_add_bytes(0, icmp, n)));
  std::memcpy(icmp + 2, &sum, 2);
}

}  // namespace vp::nat
