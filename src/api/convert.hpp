#pragma once
// Between the API's shared messages (common.proto) and vplane's values:
// addresses, prefixes, MACs, interfaces. Every conversion of client bytes validates and
// throws vp::Error with a message naming the bad field.
#include <string>

#include "infra/error.hpp"
#include "infra/parse.hpp"
#include "io/interface.hpp"
#include "vplane/v1/common.pb.h"

namespace vp::api {

namespace pb = ::vplane::v1;

inline IpAddr ip_from(const std::string& b, const char* what) {
  IpAddr a;
  if (b.size() == 4) {
    std::memcpy(a.b.data(), b.data(), 4);
  } else if (b.size() == 16) {
    a.v6 = true;
    std::memcpy(a.b.data(), b.data(), 16);
  } else {
    fail("{}: an address is 4 (IPv4) or 16 (IPv6) bytes, not {}", what, b.size());
  }
  return a;
}

inline std::string ip_bytes(const IpAddr& a) { return a.packed(); }

// The interface a request names by sw_if_index.
inline Interface& iface(uint32_t sw_if) {
  Interface* i = ifs().at(sw_if);
  if (!i) fail("no interface with index {}", sw_if);
  return *i;
}

inline Prefix prefix_from(const pb::IpPrefix& p) {
  Prefix x{ip_from(p.address(), "prefix"), 0};
  if (p.length() > (x.addr.v6 ? 128u : 32u)) fail("prefix length {} is out of range", p.length());
  x.len = uint8_t(p.length());
  return x;
}

inline void prefix_to(const Prefix& p, pb::IpPrefix* out) {
  out->set_address(ip_bytes(p.addr));
  out->set_length(p.len);
}

inline Mac mac_from(const std::string& b) {
  if (b.size() != 6) fail("a MAC address is 6 bytes, not {}", b.size());
  Mac m;
  std::memcpy(m.b.data(), b.data(), 6);
  return m;
}

inline std::string mac_bytes(const Mac& m) { return std::string(reinterpret_cast<const char*>(m.b.data()), 6); }

}  // namespace vp::api
