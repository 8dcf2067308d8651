#include "features/lcp/netlink.hpp"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <vector>

#include "control/event_loop.hpp"
#include "features/lcp/busy.hpp"
#include "features/lcp/lcp.hpp"
#include "features/lcp/nl_attrs.hpp"
#include "features/lcp/rtnl_route.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/netns.hpp"
#include "net/fib/fib.hpp"
#include "net/ip/ip_ops.hpp"

namespace vp {

NlConfig& nl_config() {
  static NlConfig c;
  return c;
}

namespace {
constexpr uint32_t kGroups =
    RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE;

using RouteKey = std::pair<uint32_t, std::string>;  // (vplane table, "v6|prefix") of routes in a dump

int open_socket(const std::string& ns, uint32_t groups, uint32_t rcvbuf) {
  NetnsGuard g(ns);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) fail("netlink socket in '{}': {}", ns, std::strerror(errno));
  int sz = int(rcvbuf);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = groups;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int e = errno;
    close(fd);
    fail("netlink bind in '{}': {}", ns, std::strerror(e));
  }
  return fd;
}
}  // namespace

NlListener::NlListener(EventLoop& loop, std::string netns) : loop_(loop), ns_(std::move(netns)) {
  fd_ = open_socket(ns_, kGroups, nl_config().rcvbuf);
  sockaddr_nl me{};
  socklen_t len = sizeof me;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&me), &len);
  portid_ = me.nl_pid;
  tfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (tfd_ < 0) {
    close(fd_);
    fail("timerfd: {}", std::strerror(errno));
  }
  loop_.add_fd(fd_, [this] { readable(); });
  loop_.add_fd(tfd_, [this] {
    uint64_t x;
    [[maybe_unused]] ssize_t r = read(tfd_, &x, sizeof x);
    loop_.pause_fd(fd_, false);
    drain();
  });
  resync();
}

NlListener::~NlListener() {
  loop_.del_fd(fd_);
  loop_.del_fd(tfd_);
  close(fd_);
  close(tfd_);
}

void NlListener::set_rcvbuf(uint32_t bytes) {
  int sz = int(bytes);
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) != 0)
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
}

// A first message after a quiet spell: let more gather for the delay
// (the socket stays quiet in the loop meanwhile), unless a backlog is
// already waiting.
void NlListener::readable() {
  uint32_t delay = nl_config().delay_us;
  if (!delay || backlog_) return drain();
  loop_.pause_fd(fd_, true);
  itimerspec t{};
  t.it_value.tv_sec = delay / 1000000;
  t.it_value.tv_nsec = long(delay % 1000000) * 1000;
  timerfd_settime(tfd_, 0, &t, nullptr);
}

// Level-triggered: after a slice of messages the loop serves everything
// else and comes back while the socket still has data.
void NlListener::drain() {
  // Notifications come one per datagram: several datagrams per syscall.
  constexpr unsigned kVec = 16, kBuf = 1 << 16;
  static thread_local std::vector<char> buf(kVec * kBuf);
  static thread_local iovec iov[kVec];
  static thread_local mmsghdr mm[kVec];
  BusyTimer busy(st_.busy_ns);
  st_.wakeups++;
  uint32_t done = 0;
  backlog_ = false;
  while (done < nl_config().batch) {
    for (unsigned i = 0; i < kVec; i++) {
      iov[i] = {buf.data() + size_t(i) * kBuf, kBuf};
      mm[i] = {};
      mm[i].msg_hdr.msg_iov = &iov[i];
      mm[i].msg_hdr.msg_iovlen = 1;
    }
    int got = recvmmsg(fd_, mm, kVec, MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno == ENOBUFS) {
        st_.overflows++;
        log::warn("lcp: netlink socket in '{}' overflowed: the kernel dropped messages; resynchronising routes",
                  ns_.empty() ? "(own)" : ns_);
        // What is still queued is older than the dump about to be taken and
        // would undo it (an add whose delete was dropped): discard it first.
        while (recv(fd_, buf.data(), kBuf, MSG_DONTWAIT) > 0 || errno == ENOBUFS || errno == EINTR) {
        }
        resync();
        continue;
      }
      if (errno != EAGAIN && errno != EINTR) log::warn("lcp: netlink recv in '{}': {}", ns_, std::strerror(errno));
      return;
    }
    for (int k = 0; k < got; k++) {
      int n = int(mm[k].msg_len);
      for (auto* nh = reinterpret_cast<const nlmsghdr*>(iov[k].iov_base); mnl_nlmsg_ok(nh, n);
           nh = mnl_nlmsg_next(nh, &n)) {
        handle(nh);
        done++;
      }
    }
  }
  backlog_ = true;
}

void NlListener::handle(const nlmsghdr* nh) {
  st_.messages++;
  try {
    switch (nh->nlmsg_type) {
      case RTM_NEWROUTE:
      case RTM_DELROUTE:
        route(nh, nullptr);
        break;
      case RTM_NEWADDR:
      case RTM_DELADDR:
        addr(nh);
        break;
      case RTM_NEWLINK:
        link(nh);
        break;
      case RTM_NEWNEIGH:
      case RTM_DELNEIGH:
        neigh(nh);
        break;
      default:
        st_.ignored++;
    }
  } catch (const Error& e) {
    st_.errors++;
    log::debug("lcp: netlink message not applied: {}", e.what());
  }
}

// seen: during a dump, collects the (table, prefix) of every route applied.
void NlListener::route(const nlmsghdr* nh, void* seen) {
  ops::RouteSpec r;
  switch (decode_route(nh, ns_, nullptr, RouteSource::netlink, r)) {
    case Decoded::ignore:
      st_.ignored++;
      return;
    case Decoded::error:
      st_.errors++;
      return;
    case Decoded::apply:
      break;
  }
  if (seen) static_cast<std::set<RouteKey>*>(seen)->insert({r.table, r.prefix.masked().str()});
  st_.routes++;
  apply_route(nh->nlmsg_type, r);
}

void NlListener::addr(const nlmsghdr* nh) {
  if (!nl_holds(nh, sizeof(ifaddrmsg))) return void(st_.errors++);
  auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nh));
  // Older than the addresses vplane just set on the mirror (see mark_link).
  if (pending_.count(int(ifa->ifa_index))) return void(st_.ignored++);
  uint32_t phy;
  bool v6 = ifa->ifa_family == AF_INET6;
  if ((ifa->ifa_family != AF_INET && !v6) || !ops::lcp_phy_of(ns_, int(ifa->ifa_index), phy))
    return void(st_.ignored++);
  const nlattr* tb[kNlAttrs] = {};
  mnl_attr_parse(nh, sizeof(ifaddrmsg), nl_attr_cb, tb);
  const nlattr* a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  if (!nl_valid_addr(a, v6)) return void(st_.errors++);
  Prefix p{nl_addr(a, v6), ifa->ifa_prefixlen};
  if (ops::is_link_local(p.addr)) return void(st_.ignored++);  // each side has its own (the same EUI-64)
  const Interface* i = ifs().at(phy);
  bool have = i && std::find(i->addrs.begin(), i->addrs.end(), p) != i->addrs.end();
  bool add = nh->nlmsg_type == RTM_NEWADDR;
  if (add != have) ops::set_interface_address(phy, p, !add);
}

// Admin state and MTU, on changes only: a mirror starts up, with the MTU of
// its interface (lcp create), and repeating those is not an instruction.
void NlListener::link(const nlmsghdr* nh) {
  if (!nl_holds(nh, sizeof(ifinfomsg))) return void(st_.errors++);
  auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nh));
  uint32_t phy;
  if (!ops::lcp_phy_of(ns_, ifi->ifi_index, phy)) return void(st_.ignored++);
  const nlattr* tb[kNlAttrs] = {};
  mnl_attr_parse(nh, sizeof(ifinfomsg), nl_attr_cb, tb);
  bool up = ifi->ifi_flags & IFF_UP;
  uint32_t mtu = 0;
  if (tb[IFLA_MTU] && !nl_u32(tb[IFLA_MTU], mtu)) return void(st_.errors++);
  if (auto p = pending_.find(ifi->ifi_index); p != pending_.end()) {
    if (nh->nlmsg_pid != portid_ || nh->nlmsg_seq != p->second) return void(st_.ignored++);  // older
    pending_.erase(p);  // the marker: the link as it is after vplane's change
    links_[ifi->ifi_index] = {up, mtu};
    return;
  }
  auto it = links_.find(ifi->ifi_index);
  if (it == links_.end()) {
    const Interface* i = ifs().at(phy);
    it = links_.emplace(ifi->ifi_index, std::pair{true, i ? i->mtu : 0}).first;
  }
  auto [was_up, was_mtu] = it->second;
  it->second = {up, mtu};
  if (up != was_up) ops::set_state(phy, up);
  if (mtu && mtu != was_mtu) ops::set_mtu(phy, mtu);
}

void NlListener::mark_link(int ifindex) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* q = mnl_nlmsg_put_header(buf);
  q->nlmsg_type = RTM_GETLINK;
  q->nlmsg_flags = NLM_F_REQUEST;
  q->nlmsg_seq = ++seq_;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(q, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_, q, q->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) == ssize_t(q->nlmsg_len))
    pending_[ifindex] = seq_;
}

// Permanent entries only ("ip neigh add ... permanent"): dynamic ones vplane
// learns itself from the same ARP/ND exchanges.
void NlListener::neigh(const nlmsghdr* nh) {
  if (!nl_holds(nh, sizeof(ndmsg))) return void(st_.errors++);
  auto* nd = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nh));
  uint32_t phy;
  bool v6 = nd->ndm_family == AF_INET6;
  if ((nd->ndm_family != AF_INET && !v6) || !(nd->ndm_state & NUD_PERMANENT) ||
      !ops::lcp_phy_of(ns_, nd->ndm_ifindex, phy))
    return void(st_.ignored++);
  const nlattr* tb[kNlAttrs] = {};
  mnl_attr_parse(nh, sizeof(ndmsg), nl_attr_cb, tb);
  if (!nl_valid_addr(tb[NDA_DST], v6)) return void(st_.errors++);
  IpAddr ip = nl_addr(tb[NDA_DST], v6);
  if (nh->nlmsg_type == RTM_DELNEIGH) return ops::neighbor_del(phy, ip);
  if (!tb[NDA_LLADDR] || mnl_attr_get_payload_len(tb[NDA_LLADDR]) != 6) return void(st_.errors++);
  Mac m;
  std::memcpy(m.b.data(), mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
  ops::neighbor_add(phy, ip, m);
}

// A full route dump: every route the kernel has is applied again (a replace
// that changes nothing publishes nothing), and every netlink route vplane
// has that the dump did not show is removed.
void NlListener::resync() {
  st_.resyncs++;
  int fd = open_socket(ns_, 0, 4u << 20);
  std::set<RouteKey> seen;
  bool complete = false;
  for (int family : {AF_INET, AF_INET6}) {
    char req[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* q = mnl_nlmsg_put_header(req);
    q->nlmsg_type = RTM_GETROUTE;
    q->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    q->nlmsg_seq = uint32_t(family);
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(q, sizeof(rtmsg)));
    rtm->rtm_family = uint8_t(family);
    if (send(fd, q, q->nlmsg_len, 0) < 0) break;
    static thread_local char buf[1 << 16];
    complete = false;
    while (!complete) {
      pollfd pfd{fd, POLLIN, 0};
      if (poll(&pfd, 1, 5000) <= 0) break;
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      for (auto* nh = reinterpret_cast<const nlmsghdr*>(buf); mnl_nlmsg_ok(nh, int(n));
           nh = mnl_nlmsg_next(nh, reinterpret_cast<int*>(&n))) {
        if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
          complete = true;
          break;
        }
        if (nh->nlmsg_type != RTM_NEWROUTE) continue;
        try {
          route(nh, &seen);
        } catch (const Error&) {
          st_.errors++;
        }
      }
    }
    if (!complete) break;
  }
  close(fd);
  if (!complete) {
    log::warn("lcp: route dump in '{}' did not complete: stale routes are kept", ns_);
    return;
  }
  // Sweep: netlink routes through this namespace's mirrors that the kernel no
  // longer has (routes without paths, blackholes, belong to every namespace).
  auto sweep = [&](auto& fib) {
    for (uint32_t id : fib.table_ids()) {
      for (auto& e : fib.dump(fib.index_of(id))) {
        bool netlink = e.src == RouteSource::netlink;
        for (auto& o : e.other_sources) netlink |= o == source_name(RouteSource::netlink);
        if (!netlink || seen.count({id, e.prefix.str()})) continue;
        if (e.src == RouteSource::netlink && !e.paths.empty() && !ops::lcp_in_netns(e.paths[0].sw_if, ns_)) continue;
        ops::RouteSpec r;
        r.prefix = e.prefix;
        r.table = id;
        r.source = RouteSource::netlink;
        try {
          ops::route_apply(r, ops::RouteOp::del);
        } catch (const Error&) {
          st_.errors++;
        }
      }
    }
  };
  sweep(fib4());
  sweep(fib6());
}

}  // namespace vp
