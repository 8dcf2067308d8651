#pragma once
// The firewall's session key: VRF + 5-tuple, one layout for IPv4 and IPv6,
// normalised so that both directions of a flow build the same key.
//
// Layout (40 bytes, five 64-bit words, no padding left undefined):
//   addr[0], port[0]  the lower endpoint, addr[1], port[1] the higher one,
//   where (address, port) pairs are ordered as whole words. The packet's own
//   orientation is returned beside the key (`src_side`), not stored in it:
//   the session remembers which side initiated.
//
// IPv4 addresses are stored v4-mapped (::ffff:a.b.c.d, RFC 4291 2.5.4.2).
// That form is not allowed on the wire in IPv6 (RFC 4942 2.2), so the IPv6
// builder refuses it and the address alone tells the families apart: no
// family byte, and a v4 key can never equal a v6 key. Zero-padding the v4
// address instead would alias the IPv4-compatible ::a.b.c.d, which IPv6
// packets may still carry. It also lets the later policy compiler and the
// show commands treat a v4 address as the /96-prefixed v6 one.
//
// ICMP and ICMPv6 echo request/reply use the echo identifier as both ports,
// so a request and its reply share a session; other informational ICMP has
// ports 0. ICMP errors build no key: the caller matches them to a session
// through their inner header (related traffic, a later step).
#include <nmmintrin.h>
#include <rte_byteorder.h>
#include <rte_ip.h>

#include <cstdint>
#include <cstring>

namespace vp::fw {

struct alignas(8) SessionKey {
  uint8_t addr[2][16];  // [0] lower endpoint, [1] higher; IPv4 as ::ffff:a.b.c.d
  uint16_t port[2];     // network byte order, with the addresses; echo id for ICMP echo
  uint16_t vrf;         // FIB index (meta.vrf, below kMaxFibs = 4096)
  uint8_t proto;        // IP protocol (the IPv6 next header after a fragment header)
  // Keeps the fifth word fully defined for the word compares. The builders
  // set it; it has no initializer, so that a vector's key array costs no
  // construction.
  uint8_t zero;

  bool v4() const {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(addr[0], kMapped, 12) == 0;
  }
};
static_assert(sizeof(SessionKey) == 40, "five 64-bit words");

inline bool operator==(const SessionKey& a, const SessionKey& b) {
  uint64_t x[5], y[5];
  std::memcpy(x, &a, 40);
  std::memcpy(y, &b, 40);
  // One OR of XORs: no early exit, which would branch on data per word.
  return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

// CRC32-C over the five words (the SSE4.2 instruction the flow hash uses),
// in two independent chains to halve the latency, then a multiplicative
// finish: CRC is linear, and the finish keeps the high bits that pick the
// bucket from being a linear function of the same bits that pick the owner
// worker (flow_owner_slot takes the high bits of a CRC flow hash too).
// Symmetric because the key itself is normalised.
inline uint32_t session_hash(const SessionKey& k) {
  uint64_t w[5];
  std::memcpy(w, &k, 40);
  uint64_t a = _mm_crc32_u64(0x9e3779b9, w[0]);
  uint64_t b = _mm_crc32_u64(0x7f4a7c15, w[1]);
  a = _mm_crc32_u64(a, w[2]);
  b = _mm_crc32_u64(b, w[3]);
  a = _mm_crc32_u64(a, w[4]);
  return uint32_t(((a << 32 | b) * 0x9e3779b97f4a7c15ull) >> 32);
}

enum class KeyStatus : uint8_t {
  kOk,
  kTruncated,   // the packet ends inside the IP or L4 header the key needs
  kFragment,    // not the first fragment: no L4 header (the fragment table's concern)
  kIcmpError,   // ICMP/ICMPv6 error: matched through its inner header by the caller
  kBadAddress,  // IPv6 with a v4-mapped source or destination (never valid on the wire)
};

// Which endpoint of the key the packet came from: 0 = addr[0]/port[0].
// Compared with the session's initiator side, it gives the packet's
// direction (0 = from the initiator).
struct KeyBuild {
  SessionKey key;
  uint8_t src_side;
};

namespace detail {

// The key is built in registers and written as five 64-bit words: built
// byte by byte on the stack and read back as words, every read waited for
// a failed store-to-load forward (about a tenth of the node's time).
//
// Word layout (little-endian): w[0], w[1] addr[0]; w[2], w[3] addr[1];
// w[4] = port[0] | port[1] << 16 | vrf << 32 | proto << 48.
//
// Orders the two endpoints (address words, then ports): any total order
// works, as long as both directions take the same one, and this one needs
// no byte swaps.
inline void set_words(SessionKey& key, uint8_t& src_side, uint64_t s0, uint64_t s1, uint64_t d0, uint64_t d1,
                      uint16_t sport, uint16_t dport, uint16_t vrf, uint8_t proto) {
  // Without branches: which endpoint is lower is a coin toss per packet,
  // and a mispredicted branch here cost more than the rest of the key.
  const uint64_t swap = uint64_t(s0 > d0) | (uint64_t(s0 == d0) & uint64_t(s1 > d1)) |
                        (uint64_t(s0 == d0) & uint64_t(s1 == d1) & uint64_t(sport > dport));
  const uint64_t m = 0 - swap, x0 = (s0 ^ d0) & m, x1 = (s1 ^ d1) & m;
  const uint64_t a0 = s0 ^ x0, a1 = s1 ^ x1, b0 = d0 ^ x0, b1 = d1 ^ x1;
  const uint16_t xp = uint16_t((sport ^ dport) & m), p0 = sport ^ xp, p1 = dport ^ xp;
  const uint64_t w[5] = {a0, a1, b0, b1,
                         uint64_t(p0) | uint64_t(p1) << 16 | uint64_t(vrf) << 32 | uint64_t(proto) << 48};
  std::memcpy(&key, w, sizeof w);
  src_side = uint8_t(swap);
}

// Ports (or echo id) from the L4 header at `l4`, `len` bytes available, as
// they are in the packet (network order).
inline KeyStatus l4_ports(uint8_t proto, const uint8_t* l4, uint32_t len, uint16_t& sport, uint16_t& dport) {
  sport = dport = 0;
  switch (proto) {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_SCTP:
    case 136: {  // UDP-Lite
      if (len < 4) return KeyStatus::kTruncated;
      uint32_t pp;
      std::memcpy(&pp, l4, 4);
      sport = uint16_t(pp);
      dport = uint16_t(pp >> 16);
      return KeyStatus::kOk;
    }
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: {
      if (len < 8) return KeyStatus::kTruncated;
      const uint8_t type = l4[0];
      const bool v6 = proto == IPPROTO_ICMPV6;
      const bool echo = v6 ? (type == 128 || type == 129) : (type == 8 || type == 0);
      // ICMPv6 errors are types 0-127 (RFC 4443 2.1); ICMP's are these five.
      const bool error = v6 ? type < 128 : (type == 3 || type == 4 || type == 5 || type == 11 || type == 12);
      if (error) return KeyStatus::kIcmpError;
      if (echo) {
        std::memcpy(&sport, l4 + 4, 2);
        dport = sport;
      }
      return KeyStatus::kOk;
    }
    default:
      return KeyStatus::kOk;
  }
}

}  // namespace detail

// `len`: bytes available from the start of the IPv4 header. A first
// fragment builds its key from its L4 header like any packet.
// Written straight into the caller's key (a vector's key array): built
// aside and copied, the copy's 16-byte reads would wait on the 8-byte writes.
inline KeyStatus session_key4(const rte_ipv4_hdr* ip, uint32_t len, uint16_t vrf, SessionKey& key, uint8_t& src_side) {
  if (len < sizeof(rte_ipv4_hdr)) return KeyStatus::kTruncated;
  const uint32_t hl = uint32_t(ip->version_ihl & 0xf) * 4;
  if (hl < sizeof(rte_ipv4_hdr) || len < hl) return KeyStatus::kTruncated;
  if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) return KeyStatus::kFragment;
  uint16_t sp, dp;
  const auto* l4 = reinterpret_cast<const uint8_t*>(ip) + hl;
  if (KeyStatus st = detail::l4_ports(ip->next_proto_id, l4, len - hl, sp, dp); st != KeyStatus::kOk) return st;
  // ::ffff:a.b.c.d as the second word: bytes 10-11 0xff, 12-15 the address.
  const uint64_t mapped = 0xffff0000ull;
  uint32_t src, dst;
  std::memcpy(&src, &ip->src_addr, 4);
  std::memcpy(&dst, &ip->dst_addr, 4);
  detail::set_words(key, src_side, 0, mapped | uint64_t(src) << 32, 0, mapped | uint64_t(dst) << 32, sp, dp, vrf,
                    ip->next_proto_id);
  return KeyStatus::kOk;
}
inline KeyStatus session_key4(const rte_ipv4_hdr* ip, uint32_t len, uint16_t vrf, KeyBuild& out) {
  return session_key4(ip, len, vrf, out.key, out.src_side);
}

// `len`: bytes available from the start of the IPv6 header. Only a
// fragment header directly after the fixed header is looked through (it
// has a fixed size, so it costs one compare); any other extension header
// (hop-by-hop, routing, destination options) is not walked: the key then
// carries that header's number as its protocol and ports 0, like a
// protocol without ports.
inline KeyStatus session_key6(const rte_ipv6_hdr* ip, uint32_t len, uint16_t vrf, SessionKey& key, uint8_t& src_side) {
  if (len < sizeof(rte_ipv6_hdr)) return KeyStatus::kTruncated;
  uint64_t s[2], d[2];
  std::memcpy(s, ip->src_addr, 16);
  std::memcpy(d, ip->dst_addr, 16);
  // v4-mapped (::ffff:0:0/96): never valid on the wire, and it would alias IPv4 keys.
  const uint64_t mapped_hi = 0xffff0000ull, low32 = 0xffffffffull;
  if ((s[0] == 0 && (s[1] & low32) == mapped_hi) || (d[0] == 0 && (d[1] & low32) == mapped_hi))
    return KeyStatus::kBadAddress;
  const auto* l4 = reinterpret_cast<const uint8_t*>(ip + 1);
  uint32_t l4_len = len - sizeof(rte_ipv6_hdr);
  uint8_t proto = ip->proto;
  if (proto == IPPROTO_FRAGMENT) {
    if (l4_len < 8) return KeyStatus::kTruncated;
    uint16_t off;
    std::memcpy(&off, l4 + 2, 2);
    if (rte_be_to_cpu_16(off) & 0xfff8) return KeyStatus::kFragment;
    proto = l4[0];
    l4 += 8;
    l4_len -= 8;
  }
  uint16_t sp, dp;
  if (KeyStatus st = detail::l4_ports(proto, l4, l4_len, sp, dp); st != KeyStatus::kOk) return st;
  detail::set_words(key, src_side, s[0], s[1], d[0], d[1], sp, dp, vrf, proto);
  return KeyStatus::kOk;
}
inline KeyStatus session_key6(const rte_ipv6_hdr* ip, uint32_t len, uint16_t vrf, KeyBuild& out) {
  return session_key6(ip, len, vrf, out.key, out.src_side);
}

}  // namespace vp::fw
