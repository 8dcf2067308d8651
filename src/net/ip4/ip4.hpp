#pragma once
// Small IPv4 helpers shared by the ip4 nodes.
#include <nmmintrin.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "graph/meta.hpp"
#include "net/ip/icmp_req.hpp"

namespace vp {

inline rte_ipv4_hdr* ip4_hdr(rte_mbuf* m) { return rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, meta(m).l3_off); }

// The symmetric flow hash of a tuple given as values (addresses and ports as
// they sit in the packet): both directions hash alike. NAT computes the
// hash a packet would have after its translation with it.
inline uint32_t flow_hash4_of(uint32_t s, uint32_t d, uint16_t sport, uint16_t dport, uint8_t proto, bool ports) {
  // Ordered with min/max, not a swap: compilers branch on the swap, and
  // which address is the smaller one is a coin toss per packet.
  const uint32_t a = std::min(s, d), b = std::max(s, d);
  const uint32_t pp = ports && (proto == IPPROTO_TCP || proto == IPPROTO_UDP)
                          ? uint32_t(std::min(sport, dport)) << 16 | std::max(sport, dport)
                          : 0;
  uint32_t h = _mm_crc32_u32(0, a);
  h = _mm_crc32_u32(h, b);
  return _mm_crc32_u32(h, pp ^ proto);
}

namespace detail {
inline uint32_t flow_mix4(const rte_ipv4_hdr* ip, bool ports_known) {
  uint16_t pp[2] = {0, 0};
  const bool ports = ports_known && (ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP);
  if (ports) std::memcpy(pp, reinterpret_cast<const uint8_t*>(ip) + rte_ipv4_hdr_len(ip), 4);
  return flow_hash4_of(ip->src_addr, ip->dst_addr, pp[0], pp[1], ip->next_proto_id, ports);
}
}  // namespace detail

// Symmetric 5-tuple hash: both directions of a flow hash alike. Fragments
// hash without ports, so that all of a datagram's fragments hash alike.
inline uint32_t flow_hash4(const rte_ipv4_hdr* ip) {
  return detail::flow_mix4(ip, !(ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)));
}
// A first fragment's hash as if it were whole: that of the datagram's flow.
inline uint32_t flow_hash4_whole(const rte_ipv4_hdr* ip) { return detail::flow_mix4(ip, true); }

// True when the header checksum verifies. The common 20-byte header is
// summed as two 64-bit words and one 32-bit word with end-around carries,
// then folded to 16 bits (RFC 1071): a dependency chain of about eight
// operations per packet where 32-bit words and masked folds took twelve.
inline bool ip4_csum_ok(const rte_ipv4_hdr* ip) {
  if (__builtin_expect(ip->version_ihl != 0x45, 0)) return rte_ipv4_cksum(ip) == 0;
  uint64_t a, b;
  uint32_t c;
  std::memcpy(&a, ip, 8);
  std::memcpy(&b, reinterpret_cast<const uint8_t*>(ip) + 8, 8);
  std::memcpy(&c, reinterpret_cast<const uint8_t*>(ip) + 16, 4);
  uint64_t s;
  bool carry = __builtin_add_overflow(a, b, &s);
  carry = __builtin_add_overflow(s, uint64_t(c) + carry, &s);
  s += carry;  // cannot wrap again: s is below 2^33 when the add carried
  uint32_t t;
  carry = __builtin_add_overflow(uint32_t(s), uint32_t(s >> 32), &t);
  t += carry;
  uint16_t u;
  carry = __builtin_add_overflow(uint16_t(t), uint16_t(t >> 16), &u);
  return uint16_t(u + carry) == 0xffff;
}

// RFC 1624 incremental update of the header checksum for a TTL decrement.
// Ones' complement sums do not depend on byte order (RFC 1071), so the
// field is updated as stored: no byte swaps (two per packet before, with
// partial-register moves on their critical path).
inline void ip4_ttl_dec(rte_ipv4_hdr* ip) {
  ip->time_to_live--;
  uint32_t c = uint32_t(ip->hdr_checksum) + RTE_BE16(0x0100);
  ip->hdr_checksum = uint16_t(c + (c >> 16));
}

}  // namespace vp
