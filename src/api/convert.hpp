#pragma once
// Between the API's messages and the typed operations' values. Every
// conversion of client bytes validates and throws vp::Error with a message
// naming the bad field.
#include <string>

#include "infra/error.hpp"
#include "infra/parse.hpp"
#include "net/ip/ip_ops.hpp"
#include "vplane/v1/vplane.pb.h"

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

inline RouteSource source_from(pb::RouteSource s) {
  switch (s) {
    case pb::SOURCE_API:
      return RouteSource::api;
    case pb::SOURCE_STATIC:
      return RouteSource::static_cli;
    case pb::SOURCE_FPM:
      return RouteSource::fpm;
    case pb::SOURCE_NETLINK:
      return RouteSource::netlink;
    default:
      fail("unknown route source {}", int(s));
  }
}

inline pb::RouteSource source_to(RouteSource s) {
  switch (s) {
    case RouteSource::static_cli:
      return pb::SOURCE_STATIC;
    case RouteSource::fpm:
      return pb::SOURCE_FPM;
    case RouteSource::netlink:
      return pb::SOURCE_NETLINK;
    default:
      return pb::SOURCE_API;  // connected routes are reported as api (they are not the client's)
  }
}

inline RouteKind kind_from(pb::RouteKind k) {
  switch (k) {
    case pb::ROUTE_PATHS:
      return RouteKind::paths;
    case pb::ROUTE_DROP:
      return RouteKind::drop;
    case pb::ROUTE_UNREACHABLE:
      return RouteKind::unreachable;
    case pb::ROUTE_PROHIBIT:
      return RouteKind::prohibit;
    default:
      fail("unknown route kind {}", int(k));
  }
}

inline pb::RouteKind kind_to(RouteKind k) {
  switch (k) {
    case RouteKind::drop:
      return pb::ROUTE_DROP;
    case RouteKind::unreachable:
      return pb::ROUTE_UNREACHABLE;
    case RouteKind::prohibit:
      return pb::ROUTE_PROHIBIT;
    default:
      return pb::ROUTE_PATHS;
  }
}

inline ops::RouteSpec route_from(const pb::Route& r) {
  ops::RouteSpec s;
  if (!r.has_prefix()) fail("a route needs a prefix");
  s.prefix = prefix_from(r.prefix());
  s.table = r.table();
  s.source = source_from(r.source());
  s.kind = kind_from(r.kind());
  for (auto& p : r.paths()) {
    RoutePath x;
    if (!p.next_hop().empty()) {
      x.nh = ip_from(p.next_hop(), "next hop");
      x.has_nh = true;
    }
    if (p.has_sw_if_index()) x.sw_if = p.sw_if_index();
    if (p.weight() > 65535) fail("weight {} is out of range (1-65535)", p.weight());
    x.weight = uint16_t(p.weight() ? p.weight() : 1);
    s.paths.push_back(x);
  }
  return s;
}

}  // namespace vp::api
