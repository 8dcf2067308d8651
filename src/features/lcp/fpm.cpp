#include "features/lcp/fpm.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstring>

#include "control/event_loop.hpp"
#include "features/lcp/busy.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "io/netns.hpp"

namespace vp {

namespace {
constexpr size_t kHdr = 4;  // version, type, length (network order, header included)
constexpr uint8_t kVersion = 1, kTypeNetlink = 1;

FpmConfig g_cfg;
EventLoop* g_loop = nullptr;
std::unique_ptr<FpmServer> g_server;

sockaddr_in parse_listen(const std::string& s) {
  auto colon = s.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  int port = colon == std::string::npos ? 0 : std::atoi(s.c_str() + colon + 1);
  if (colon == std::string::npos || port <= 0 || port > 65535 ||
      inet_pton(AF_INET, s.substr(0, colon).c_str(), &a.sin_addr) != 1)
    fail("'{}' is not <IPv4 address>:<port> (e.g. 127.0.0.1:2620)", s);
  a.sin_port = htons(uint16_t(port));
  return a;
}
}  // namespace

FpmServer::FpmServer(EventLoop& loop, const std::string& listen, const std::string& netns, uint32_t stale_s)
    : loop_(loop), netns_(netns), stale_s_(stale_s) {
  sockaddr_in a = parse_listen(listen);
  {
    NetnsGuard g(netns);  // zebra connects to an address of its own namespace
    lfd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  }
  int one = 1;
  setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (lfd_ < 0 || bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd_, 4) != 0) {
    int e = errno;
    if (lfd_ >= 0) close(lfd_);
    fail("cannot listen for FPM on {}{}: {}", listen, netns.empty() ? "" : " in " + netns, std::strerror(e));
  }
  tfd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  loop_.add_fd(lfd_, [this] { accept_client(); });
  loop_.add_fd(tfd_, [this] {
    uint64_t x;
    [[maybe_unused]] ssize_t r = read(tfd_, &x, sizeof x);
    sweep();
  });
}

FpmServer::~FpmServer() {
  drop_client();
  loop_.del_fd(lfd_);
  loop_.del_fd(tfd_);
  close(lfd_);
  close(tfd_);
}

void FpmServer::drop_client() {
  if (cfd_ < 0) return;
  loop_.del_fd(cfd_);
  close(cfd_);
  cfd_ = -1;
  buf_.clear();
}

// A new connection: zebra replays everything. What it had sent before and
// does not send again within the stale timeout is swept.
void FpmServer::accept_client() {
  int fd = accept4(lfd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;
  drop_client();
  cfd_ = fd;
  st_.connections++;
  gen_++;
  nhs_.clear();
  itimerspec t{};
  t.it_value.tv_sec = stale_s_;
  timerfd_settime(tfd_, 0, &t, nullptr);
  loop_.add_fd(cfd_, [this] { readable(); });
  log::info("fpm: zebra connected (connection {})", st_.connections);
}

void FpmServer::readable() {
  BusyTimer busy(st_.busy_ns);
  uint8_t tmp[1 << 16];
  ssize_t n = recv(cfd_, tmp, sizeof tmp, 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    log::info("fpm: zebra disconnected; its routes stay until it reconnects and the stale timeout passes");
    return drop_client();
  }
  if (n < 0) return;
  buf_.insert(buf_.end(), tmp, tmp + n);
  size_t off = 0;
  while (buf_.size() - off >= kHdr) {
    const uint8_t* h = buf_.data() + off;
    size_t len = size_t(h[2]) << 8 | h[3];
    if (h[0] != kVersion || len < kHdr) {
      st_.errors++;
      log::warn("fpm: bad frame header (version {}, length {}): closing the connection", h[0], len);
      return drop_client();
    }
    if (buf_.size() - off < len) break;
    if (h[1] == kTypeNetlink)
      frame(h + kHdr, len - kHdr);
    else
      st_.ignored++;
    off += len;
  }
  buf_.erase(buf_.begin(), buf_.begin() + long(off));
}

void FpmServer::frame(const uint8_t* p, size_t n) {
  st_.frames++;
  auto& items = items_;
  items.clear();
  int left = int(n);
  for (auto* nh = reinterpret_cast<const nlmsghdr*>(p); mnl_nlmsg_ok(nh, left); nh = mnl_nlmsg_next(nh, &left)) {
    st_.messages++;
    const size_t before = items.size();
    try {
      if (nh->nlmsg_type == RTM_NEWNEXTHOP || nh->nlmsg_type == RTM_DELNEXTHOP) {
        decode_nexthop(nh, netns_, nhs_) == Decoded::error ? st_.errors++ : st_.nexthops++;
        continue;
      }
      if (nh->nlmsg_type != RTM_NEWROUTE && nh->nlmsg_type != RTM_DELROUTE) {
        st_.ignored++;
        continue;
      }
      Item& it = items.emplace_back();
      it.type = nh->nlmsg_type;
      switch (decode_route(nh, netns_, &nhs_, RouteSource::fpm, it.r)) {
        case Decoded::apply:
          break;
        case Decoded::ignore:
          st_.ignored++;
          items.pop_back();
          break;
        case Decoded::error:
          st_.errors++;
          items.pop_back();
          break;
      }
    } catch (const Error&) {
      st_.errors++;
      items.resize(before);
    }
  }
  for (size_t i = 0; i < items.size(); i++) {
    const ops::RouteSpec& r = items[i].r;
    RouteKey key{r.table, r.prefix.masked()};
    if (items[i].type == RTM_DELROUTE) {
      // DELROUTE then NEWROUTE for the same prefix in one frame: one replace.
      bool replaced = false;
      for (size_t j = i + 1; j < items.size() && !replaced; j++)
        replaced = items[j].type == RTM_NEWROUTE && items[j].r.table == r.table &&
                   items[j].r.prefix.masked() == r.prefix.masked();
      if (replaced) {
        st_.replaces++;
        continue;
      }
      gen_of_.erase(key);
    } else {
      gen_of_[key] = gen_;
    }
    try {
      apply_route(items[i].type, r);
      st_.routes++;
    } catch (const Error& e) {
      st_.errors++;
      log::debug("fpm: {} not applied: {}", r.prefix.str(), e.what());
    }
  }
}

void FpmServer::sweep() {
  for (auto it = gen_of_.begin(); it != gen_of_.end();) {
    if (it->second == gen_) {
      ++it;
      continue;
    }
    ops::RouteSpec r;
    r.prefix = it->first.prefix;
    r.table = it->first.table;
    r.source = RouteSource::fpm;
    try {
      apply_route(RTM_DELROUTE, r);
      st_.stale_removed++;
    } catch (const Error&) {
      st_.errors++;
    }
    gen_of_.erase(it++);
  }
}

const FpmConfig& fpm_config() { return g_cfg; }
const FpmServer* fpm_server() { return g_server.get(); }

void fpm_set(const FpmConfig& c) {
  parse_listen(c.listen);
  if (c.stale_s < 1 || c.stale_s > 3600) fail("stale timeout {} s is out of range (1-3600)", c.stale_s);
  check_netns_name(c.netns);
  if (c.on && g_loop) {
    // The same socket cannot listen twice: close the old one first, and
    // reopen it if the new one cannot be had.
    g_server.reset();
    try {
      g_server = std::make_unique<FpmServer>(*g_loop, c.listen, c.netns, c.stale_s);
    } catch (const Error&) {
      if (g_cfg.on) g_server = std::make_unique<FpmServer>(*g_loop, g_cfg.listen, g_cfg.netns, g_cfg.stale_s);
      throw;
    }
  } else if (!c.on) {
    g_server.reset();
  }
  g_cfg = c;
}

void fpm_attach(EventLoop* loop) {
  g_server.reset();
  g_loop = loop;
  if (loop && g_cfg.on) fpm_set(g_cfg);
}

}  // namespace vp
