#pragma once
// Parsers for the values operators type: MAC, IPv4/IPv6 addresses and
// prefixes, numbers. All throw vp::Error with a message naming the bad text.
#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace vp {

struct Mac {
  std::array<uint8_t, 6> b{};
  bool operator==(const Mac&) const = default;
  std::string str() const;
  bool is_multicast() const { return b[0] & 1; }
};

struct IpAddr {
  bool v6 = false;
  std::array<uint8_t, 16> b{};  // v4 uses the first 4 bytes, network order
  bool operator==(const IpAddr&) const = default;
  auto operator<=>(const IpAddr&) const = default;
  std::string str() const;
  uint32_t v4_host() const { return uint32_t(b[0]) << 24 | b[1] << 16 | b[2] << 8 | b[3]; }
  // Network-order bytes: 4 for IPv4, 16 for IPv6 (the API's encoding).
  std::string packed() const { return std::string(reinterpret_cast<const char*>(b.data()), v6 ? 16 : 4); }
};

struct Prefix {
  IpAddr addr;
  uint8_t len = 0;
  std::string str() const;
  bool operator==(const Prefix&) const = default;
  // Zeroes the host bits.
  Prefix masked() const;
  bool contains(const IpAddr& a) const;
};

Mac parse_mac(std::string_view s);
bool try_parse_ip(std::string_view s, IpAddr& out);
IpAddr parse_ip(std::string_view s);
Prefix parse_prefix(std::string_view s);
uint64_t parse_uint(std::string_view s, uint64_t max, std::string_view what);

}  // namespace vp
