#pragma once
// Incremental Internet checksum updates (RFC 1624, eqn. 3:
// HC' = ~(~HC + ~m + m')), for rewriting addresses and ports without
// reading the payload. Every helper works on values as they sit in the
// packet (network byte order): the one's complement sum is byte-order
// independent as long as old and new values are summed the same way.
//
// UDP over IPv4 may carry checksum 0 ("none", RFC 768): a rewrite leaves it
// 0, and a computed 0 is sent as 0xffff (udp_fix).
#include <cstdint>
#include <cstring>

namespace vp::nat {

// Adds the 16-bit words of `bytes` bytes at p to a one's complement sum (not
// yet folded; an odd last byte is padded with zero).
inline uint32_t csum_add_bytes(uint32_t sum, const void* p, uint32_t bytes) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (uint32_t i = 0; i + 1 < bytes; i += 2) {
    uint16_t w;
    std::memcpy(&w, b + i, 2);
    sum += w;
  }
  if (bytes & 1) {
    uint16_t w = 0;
    std::memcpy(&w, b + bytes - 1, 1);
    sum += w;
  }
  return sum;
}

inline uint16_t csum_fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

// A checksum field after a 16-bit value in its coverage went from `from` to `to`.
inline uint16_t csum_update16(uint16_t check, uint16_t from, uint16_t to) {
  const uint32_t sum = uint32_t(uint16_t(~check)) + uint16_t(~from) + to;
  return uint16_t(~csum_fold(sum));
}

// The same for a 32-bit value (an IPv4 address).
inline uint16_t csum_update32(uint16_t check, uint32_t from, uint32_t to) {
  const uint32_t sum =
      uint32_t(uint16_t(~check)) + uint16_t(~from) + uint16_t(~(from >> 16)) + uint16_t(to) + uint16_t(to >> 16);
  return uint16_t(~csum_fold(sum));
}

// The same for `bytes` bytes (an even count: an IPv6 address, a prefix).
inline uint16_t csum_update_bytes(uint16_t check, const void* from, const void* to, uint32_t bytes) {
  uint32_t sum = uint16_t(~check);
  const auto* f = static_cast<const uint8_t*>(from);
  const auto* t = static_cast<const uint8_t*>(to);
  for (uint32_t i = 0; i + 1 < bytes; i += 2) {
    uint16_t a, b;
    std::memcpy(&a, f + i, 2);
    std::memcpy(&b, t + i, 2);
    sum += uint16_t(~a);
    sum += b;
  }
  return uint16_t(~csum_fold(sum));
}

// The difference a change of `from` into `to` makes to a checksum, to apply
// to several checksums alike (csum_apply): one sum for the IPv4 header and
// the L4 checksum, both of which cover the addresses.
inline uint32_t csum_delta32(uint32_t from, uint32_t to) {
  return uint32_t(uint16_t(~from)) + uint16_t(~(from >> 16)) + uint16_t(to) + uint16_t(to >> 16);
}
inline uint32_t csum_delta16(uint16_t from, uint16_t to) { return uint32_t(uint16_t(~from)) + to; }
// Words summing to `sum` taken out of the coverage, as a delta: for a
// change that removes more than it adds (IPv6 addresses replaced by IPv4
// ones in a pseudo-header, a pseudo-header dropped altogether).
inline uint32_t csum_neg(uint32_t sum) { return uint16_t(~csum_fold(sum)); }
inline uint16_t csum_apply(uint16_t check, uint32_t delta) {
  return uint16_t(~csum_fold(uint32_t(uint16_t(~check)) + csum_fold(delta)));
}

// An offloaded checksum (RTE_MBUF_F_TX_L4_MASK, a GSO frame): the field
// holds the pseudo-header's sum, not complemented, and whoever completes it
// sums the L4 header and payload. So a pseudo-header delta is added as it
// is, and a port change must not be (the completion sums the new port).
inline uint16_t csum_partial_apply(uint16_t partial, uint32_t delta) {
  return csum_fold(uint32_t(partial) + csum_fold(delta));
}

// A UDP checksum of 0 means "none" over IPv4 and stays so; a computed 0 is
// written as 0xffff, its other representation (RFC 768).
inline uint16_t udp_fix(uint16_t old_check, uint16_t new_check) {
  if (old_check == 0) return 0;
  return new_check == 0 ? 0xffff : new_check;
}

}  // namespace vp::nat
