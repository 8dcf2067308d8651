#pragma once
// Typed operations for IPv4 and IPv6 routing (the CLI parses into these, the
// API calls them). Each validates first and changes nothing on error. The
// family of a table operation is explicit; elsewhere it is the address's.
#include <absl/container/inlined_vector.h>

#include <optional>
#include <vector>

#include "infra/parse.hpp"
#include "net/fib/fib.hpp"
#include "net/ip6/ip6_addr.hpp"

namespace vp::ops {

void ip_table_add(bool v6, uint32_t id);
void ip_table_del(bool v6, uint32_t id);
void set_interface_ip_table(uint32_t sw_if, bool v6, uint32_t id);
void set_interface_address(uint32_t sw_if, const Prefix& p, bool del);
void set_proxy_arp(uint32_t sw_if, bool on);
// IPv6 on an interface without a global address: link-local only
// (VPP's "enable ip6 interface"). An IPv6 address enables it too.
void ip6_enable(uint32_t sw_if, bool on);

struct Route {
  Prefix prefix;
  uint32_t table = 0;
  RouteSource source = RouteSource::static_cli;
  RouteKind kind = RouteKind::paths;
  std::optional<RoutePath> path;
};
void route_add(const Route& r);
// With no path: every path the source has for the prefix.
void route_del(const Route& r);

// Route changes with any number of paths (the API's batches). check
// validates against the current state and changes nothing; apply checks
// first, then applies completely.
enum class RouteOp { add, del, replace };
struct RouteSpec {
  Prefix prefix;
  uint32_t table = 0;
  RouteSource source = RouteSource::api;
  RouteKind kind = RouteKind::paths;
  absl::InlinedVector<RoutePath, 1> paths;  // one path needs no allocation
};
void route_check(const RouteSpec& r, RouteOp op);
void route_apply(const RouteSpec& r, RouteOp op);

void neighbor_add(uint32_t sw_if, const IpAddr& ip, const Mac& mac);
void neighbor_del(uint32_t sw_if, const IpAddr& ip);

// fe80::/10
inline bool is_link_local(const IpAddr& a) { return a.v6 && ip6_is_ll(a.b.data()); }
// fe80::/64 with the modified EUI-64 interface id from a MAC (RFC 4291).
IpAddr link_local_from_mac(const Mac& m);

}  // namespace vp::ops
