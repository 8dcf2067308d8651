#pragma once
// Linux -> vplane: a netlink listener in a mirrors' namespace copies what
// Linux tools and routing daemons set there into vplane, as route source
// "netlink": routes (kernel table 254 "main" -> vplane table 0, table N ->
// vplane table N when it exists), addresses and link admin state/MTU of the
// mirrors, and permanent neighbours. Messages are applied on the main thread
// in slices (lcp netlink batch) so a full-table burst never holds it, and
// gathered for up to a delay (lcp netlink delay) when they trickle in, so a
// wake-up pays for many of them; when
// the socket overflows (ENOBUFS) the routes are dumped again and vplane's
// netlink routes made equal to the kernel's, counted and logged.
#include <linux/netlink.h>

#include <cstdint>
#include <map>
#include <string>

namespace vp {

class EventLoop;

struct NlStats {
  uint64_t messages = 0, routes = 0, ignored = 0, errors = 0, overflows = 0, resyncs = 0;
  uint64_t busy_ns = 0;  // main-thread CPU time spent reading and applying
  uint64_t wakeups = 0;  // slices read
};

struct NlConfig {
  uint32_t rcvbuf = 64u << 20;  // bytes; the kernel doubles it
  uint32_t batch = 4096;        // messages applied per main-loop turn
  uint32_t delay_us = 1000;     // after the first message, wait this long for more (0: read at once)
};
NlConfig& nl_config();

class NlListener {
 public:
  NlListener(EventLoop& loop, std::string netns);
  ~NlListener();
  NlListener(const NlListener&) = delete;
  void resync();  // dump the kernel's routes, make vplane's netlink routes equal
  const NlStats& stats() const { return st_; }
  const std::string& netns() const { return ns_; }
  void set_rcvbuf(uint32_t bytes);
  // vplane has just set a mirror's link (state, MTU) in Linux. Link
  // messages for it still queued are older than that and must not be
  // applied back (two echoes of different states in flight would bounce
  // for ever): a request on this socket puts a marker behind them, and
  // until its answer arrives the mirror's link and address messages are
  // skipped (vplane has just made the mirror's addresses its own, too).
  void mark_link(int ifindex);

 private:
  void readable();
  void drain();
  void handle(const nlmsghdr* nh);
  void route(const nlmsghdr* nh, void* seen);
  void addr(const nlmsghdr* nh);
  void link(const nlmsghdr* nh);
  void neigh(const nlmsghdr* nh);
  EventLoop& loop_;
  std::string ns_;
  int fd_ = -1, tfd_ = -1;  // the socket; the delay's timer
  bool backlog_ = false;    // the last slice stopped at the batch size: more is waiting
  NlStats st_;
  std::map<int, std::pair<bool, uint32_t>> links_;  // ifindex -> last (up, mtu) seen
  std::map<int, uint32_t> pending_;                 // ifindex -> marker sequence number
  uint32_t seq_ = 0, portid_ = 0;
};

}  // namespace vp
