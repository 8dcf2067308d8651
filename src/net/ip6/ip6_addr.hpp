#pragma once
// IPv6 address classes on raw (network-order) bytes: the data path's and
// the control plane's one definition.
#include <cstdint>
#include <cstring>

namespace vp {

inline bool ip6_is_ll(const uint8_t* a) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }  // fe80::/10
inline bool ip6_is_mcast(const uint8_t* a) { return a[0] == 0xff; }
inline bool ip6_is_unspec(const uint8_t* a) {
  static const uint8_t z[16] = {};
  return std::memcmp(a, z, 16) == 0;
}

}  // namespace vp
