#pragma once
// Typed operations for IPv4 routing (the CLI parses into these, the API
// will call them). Each validates first and changes nothing on error.
#include <optional>
#include <vector>

#include "infra/parse.hpp"
#include "net/fib/fib.hpp"

namespace vp::ops {

void ip_table_add(uint32_t id);
void ip_table_del(uint32_t id);
void set_interface_ip_table(uint32_t sw_if, uint32_t id);
void set_interface_address(uint32_t sw_if, const Prefix& p, bool del);
void set_proxy_arp(uint32_t sw_if, bool on);

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

void neighbor_add(uint32_t sw_if, const IpAddr& ip, const Mac& mac);
void neighbor_del(uint32_t sw_if, const IpAddr& ip);

}  // namespace vp::ops
