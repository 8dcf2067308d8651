#pragma once
// Small IPv6 helpers shared by the ip6 and ND nodes.
#include <nmmintrin.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "graph/meta.hpp"
#include "net/ip/icmp_req.hpp"
#include "net/ip6/ip6_addr.hpp"

namespace vp {

inline rte_ipv6_hdr* ip6_hdr(rte_mbuf* m) { return rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, meta(m).l3_off); }

namespace detail {
inline uint32_t flow_mix6(const rte_ipv6_hdr* ip, uint8_t proto, const void* l4) {
  uint64_t s[2], d[2];
  std::memcpy(s, ip->src_addr, 16);
  std::memcpy(d, ip->dst_addr, 16);
  // min/max rather than a swap: see flow_hash4.
  uint64_t a = std::min(s[0] ^ s[1], d[0] ^ d[1]), b = std::max(s[0] ^ s[1], d[0] ^ d[1]);
  uint32_t ports = 0;
  if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
    uint16_t pp[2];
    std::memcpy(pp, l4, 4);
    ports = uint32_t(std::min(pp[0], pp[1])) << 16 | std::max(pp[0], pp[1]);
  }
  uint32_t h = uint32_t(_mm_crc32_u64(0, a));
  h = uint32_t(_mm_crc32_u64(h, b));
  return _mm_crc32_u32(h, ports ^ proto);
}
}  // namespace detail

// Symmetric 5-tuple hash: both directions of a flow hash alike. Ports are
// used when TCP/UDP follows the fixed header directly (so a fragment header
// leaves them out, and all of a datagram's fragments hash alike).
inline uint32_t flow_hash6(const rte_ipv6_hdr* ip) { return detail::flow_mix6(ip, ip->proto, ip + 1); }
// A first fragment's hash as if it were whole: that of the datagram's flow.
// The caller has checked that the fragment header and 4 bytes after it are there.
inline uint32_t flow_hash6_whole(const rte_ipv6_hdr* ip) {
  if (ip->proto != IPPROTO_FRAGMENT) return flow_hash6(ip);
  const auto* fh = reinterpret_cast<const uint8_t*>(ip + 1);
  return detail::flow_mix6(ip, fh[0], fh + 8);
}

// The ICMPv6 (or any upper-layer) checksum over the pseudo-header, for a
// header followed directly by the upper layer, payload_len bytes long.
inline uint16_t ip6_l4_cksum(const rte_ipv6_hdr* ip, const void* l4) {
  uint32_t sum = rte_raw_cksum(l4, rte_be_to_cpu_16(ip->payload_len)) + rte_ipv6_phdr_cksum(ip, 0);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

// The solicited-node multicast group of an address (ff02::1:ffXX:XXXX) and
// its Ethernet group (33:33:ff:XX:XX:XX).
inline void ip6_solicited_node(const uint8_t* target, uint8_t* group, uint8_t* mac) {
  static const uint8_t pfx[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};
  std::memcpy(group, pfx, 13);
  std::memcpy(group + 13, target + 13, 3);
  mac[0] = mac[1] = 0x33;
  std::memcpy(mac + 2, group + 12, 4);
}

// Walks extension headers (hop-by-hop, routing, destination options) to the
// upper layer. Returns false for a fragment or a truncated chain. `nh_off`
// is the offset (from the IPv6 header) of the next-header field naming the
// upper layer: the pointer of an ICMPv6 parameter problem.
inline bool ip6_upper(const rte_ipv6_hdr* ip, uint32_t avail, uint8_t& proto, uint32_t& l4_off, uint32_t& nh_off) {
  const auto* b = reinterpret_cast<const uint8_t*>(ip);
  proto = ip->proto;
  l4_off = sizeof(rte_ipv6_hdr);
  nh_off = 6;
  for (int k = 0; k < 8 && (proto == 0 || proto == 43 || proto == 60); k++) {
    if (l4_off + 8 > avail) return false;
    nh_off = l4_off;
    proto = b[l4_off];
    l4_off += (uint32_t(b[l4_off + 1]) + 1) * 8;
  }
  return proto != 44 && l4_off <= avail;
}

}  // namespace vp
