#pragma once
// Route conversions, and route batches (Routes.Apply and each message of Routes.Stream). Decoding
// is pure conversion and runs on the API thread; applying runs on the main
// thread. Per item: validated and applied, or rejected with a reason and
// nothing changed. Atomic: every item validated against the state before
// the batch; any rejection and none is applied.
#include <string>
#include <vector>

#include "api/convert.hpp"
#include "net/ip/ip_ops.hpp"
#include "vplane/v1/routes.pb.h"

namespace vp::api {

// Routes between the API (routes.proto) and the typed operations.
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

struct RouteItem {
  ops::RouteSpec spec;
  ops::RouteOp op = ops::RouteOp::add;
  std::string error;  // set: rejected while decoding
};
struct DecodedBatch {
  uint64_t id = 0;
  bool atomic = false;
  std::vector<RouteItem> items;
};

DecodedBatch decode_batch(const ::vplane::v1::RouteBatch& b);
void apply_batch(const DecodedBatch& b, ::vplane::v1::BatchReply* reply);
inline void apply_batch(const ::vplane::v1::RouteBatch& b, ::vplane::v1::BatchReply* reply) {
  apply_batch(decode_batch(b), reply);
}

}  // namespace vp::api
