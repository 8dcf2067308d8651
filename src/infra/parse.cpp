#include "infra/parse.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

#include "infra/error.hpp"

namespace vp {

std::string Mac::str() const {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5]);
}

std::string IpAddr::str() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, b.data(), buf, sizeof buf);
  return buf;
}

std::string Prefix::str() const { return fmt::format("{}/{}", addr.str(), len); }

Prefix Prefix::masked() const {
  Prefix p = *this;
  for (int bit = len; bit < (addr.v6 ? 128 : 32); bit++) p.addr.b[bit / 8] &= uint8_t(~(0x80 >> (bit % 8)));
  return p;
}

bool Prefix::contains(const IpAddr& a) const {
  if (a.v6 != addr.v6) return false;
  Prefix x{a, len};
  return x.masked().addr == masked().addr;
}

Mac parse_mac(std::string_view s) {
  Mac m;
  unsigned v[6];
  char tail;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
    fail("bad MAC address '{}' (expected xx:xx:xx:xx:xx:xx)", s);
  for (int i = 0; i < 6; i++) m.b[i] = uint8_t(v[i]);
  return m;
}

bool try_parse_ip(std::string_view s, IpAddr& out) {
  std::string str(s);
  IpAddr a;
  if (inet_pton(AF_INET, str.c_str(), a.b.data()) == 1) {
    out = a;
    return true;
  }
  if (inet_pton(AF_INET6, str.c_str(), a.b.data()) == 1) {
    a.v6 = true;
    out = a;
    return true;
  }
  return false;
}

IpAddr parse_ip(std::string_view s) {
  IpAddr a;
  if (!try_parse_ip(s, a)) fail("bad IP address '{}'", s);
  return a;
}

Prefix parse_prefix(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) fail("bad prefix '{}' (expected address/length)", s);
  Prefix p;
  p.addr = parse_ip(s.substr(0, slash));
  p.len = uint8_t(parse_uint(s.substr(slash + 1), p.addr.v6 ? 128 : 32, "prefix length"));
  return p;
}

uint64_t parse_uint(std::string_view s, uint64_t max, std::string_view what) {
  uint64_t v = 0;
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) fail("bad {} '{}' (expected a number)", what, s);
  if (v > max) fail("{} {} is out of range (max {})", what, v, max);
  return v;
}

}  // namespace vp
