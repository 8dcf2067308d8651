#pragma once
// FRR without the kernel in between: a listener for zebra's dplane_fpm_nl
// (zebra connects as the TCP client). Each FPM frame (version 1, type 1:
// netlink) carries rtnetlink messages: next-hop objects (RTM_NEWNEXTHOP; on
// by default in FRR 8.4) and routes, often a route's DELROUTE and NEWROUTE
// together, which are applied as one replace (no moment without a route).
// Interface indexes are those of zebra's namespace, mapped through the
// mirrors there. After a reconnect zebra replays its routes without an end
// marker: routes from before the reconnect that are not sent again within
// the stale timeout are removed. Routes get source "fpm" (priority 20,
// ahead of "netlink" at the same priority), so when zebra also installs the
// same routes in the kernel both copies agree and the FPM one is used.
#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "features/lcp/rtnl_route.hpp"

namespace vp {

class EventLoop;

struct FpmStats {
  uint64_t connections = 0, frames = 0, messages = 0, routes = 0, nexthops = 0, ignored = 0, errors = 0, replaces = 0,
           stale_removed = 0;
  uint64_t busy_ns = 0;  // main-thread CPU time spent reading and applying
};

class FpmServer {
 public:
  FpmServer(EventLoop& loop, const std::string& listen, const std::string& netns, uint32_t stale_s);
  ~FpmServer();
  FpmServer(const FpmServer&) = delete;
  const FpmStats& stats() const { return st_; }
  bool connected() const { return cfd_ >= 0; }
  size_t routes() const { return gen_of_.size(); }

 private:
  void accept_client();
  void readable();
  void frame(const uint8_t* p, size_t n);
  void sweep();
  void drop_client();
  EventLoop& loop_;
  std::string netns_;
  uint32_t stale_s_;
  int lfd_ = -1, cfd_ = -1, tfd_ = -1;
  std::vector<uint8_t> buf_;
  NhTable nhs_;
  uint32_t gen_ = 0;
  struct RouteKey {
    uint32_t table;
    Prefix prefix;  // masked
    bool operator==(const RouteKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const RouteKey& k) {
      return H::combine(std::move(h), k.table, k.prefix.addr.v6, k.prefix.addr.b, k.prefix.len);
    }
  };
  struct Item {
    uint16_t type;
    ops::RouteSpec r;
  };
  std::vector<Item> items_;                         // one frame's routes (kept: no allocation per frame)
  absl::flat_hash_map<RouteKey, uint32_t> gen_of_;  // -> connection that last sent it
  FpmStats st_;
};

struct FpmConfig {
  bool on = false;
  std::string listen = "127.0.0.1:2620";
  std::string netns;  // "" = the lcp default namespace when turned on
  uint32_t stale_s = 30;
};
const FpmConfig& fpm_config();
const FpmServer* fpm_server();
// Main thread; starts (or restarts) the listener when vplaned's loop is attached.
void fpm_set(const FpmConfig& c);
void fpm_attach(EventLoop* loop);  // from lcp_attach; nullptr at shutdown

}  // namespace vp
