#include "features/lcp/host_sync.hpp"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "features/lcp/nl_attrs.hpp"
#include "infra/log.hpp"
#include "io/netns.hpp"

namespace vp {

namespace {
// One rtnetlink socket for a series of requests in a namespace.
class Rtnl {
 public:
  explicit Rtnl(const std::string& netns) {
    NetnsGuard g(netns);
    nl_ = mnl_socket_open(NETLINK_ROUTE);
    // Dumps filtered by the kernel (one mirror's addresses, not the namespace's).
    int on = 1;
    if (nl_) setsockopt(mnl_socket_get_fd(nl_), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on, sizeof on);
    if (nl_ && mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) != 0) {
      mnl_socket_close(nl_);
      nl_ = nullptr;
    }
  }
  ~Rtnl() {
    if (nl_) mnl_socket_close(nl_);
  }
  explicit operator bool() const { return nl_; }
  // Sends a request and runs cb on each answer until the ACK or DONE; false on an error.
  bool request(nlmsghdr* q, mnl_cb_t cb = nullptr, void* data = nullptr) {
    q->nlmsg_seq = ++seq_;
    q->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    if (mnl_socket_sendto(nl_, q, q->nlmsg_len) < 0) return false;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(nl_, buf, sizeof buf);
      if (n <= 0) return false;
      int rc = mnl_cb_run(buf, size_t(n), seq_, mnl_socket_get_portid(nl_), cb, data);
      if (rc <= MNL_CB_STOP) return rc == MNL_CB_STOP;
    }
  }

 private:
  mnl_socket* nl_ = nullptr;
  uint32_t seq_ = 0;
};

struct AddrDump {
  int ifindex;
  std::vector<Prefix> found;
};

int addr_cb(const nlmsghdr* nh, void* data) {
  auto* d = static_cast<AddrDump*>(data);
  auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nh));
  if (int(ifa->ifa_index) != d->ifindex || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
    return MNL_CB_OK;
  bool v6 = ifa->ifa_family == AF_INET6;
  const nlattr* tb[kNlAttrs] = {};
  mnl_attr_parse(nh, sizeof(ifaddrmsg), nl_attr_cb, tb);
  const nlattr* a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  if (!a || mnl_attr_get_payload_len(a) != (v6 ? 16u : 4u)) return MNL_CB_OK;
  Prefix p;
  p.addr.v6 = v6;
  std::memcpy(p.addr.b.data(), mnl_attr_get_payload(a), v6 ? 16 : 4);
  p.len = ifa->ifa_prefixlen;
  if (!(v6 && p.addr.b[0] == 0xfe && (p.addr.b[1] & 0xc0) == 0x80)) d->found.push_back(p);  // link-local: its own
  return MNL_CB_OK;
}

bool change_addr(Rtnl& nl, int ifindex, const Prefix& p, bool add) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* q = mnl_nlmsg_put_header(buf);
  q->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  if (add) q->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(q, sizeof(ifaddrmsg)));
  ifa->ifa_family = uint8_t(p.addr.v6 ? AF_INET6 : AF_INET);
  ifa->ifa_prefixlen = p.len;
  ifa->ifa_index = uint32_t(ifindex);
  ifa->ifa_flags = p.addr.v6 ? IFA_F_NODAD : 0;  // vplane already owns the address on the wire
  size_t n = p.addr.v6 ? 16 : 4;
  mnl_attr_put(q, IFA_LOCAL, n, p.addr.b.data());
  mnl_attr_put(q, IFA_ADDRESS, n, p.addr.b.data());
  return nl.request(q);
}
}  // namespace

void host_sync(const std::string& netns, int ifindex, bool up, uint32_t mtu, const std::vector<Prefix>& want) {
  Rtnl nl(netns);
  if (!nl) {
    log::warn("lcp: no rtnetlink socket in '{}' to sync the mirror (ifindex {}): {}", netns, ifindex,
              std::strerror(errno));
    return;
  }
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* q = mnl_nlmsg_put_header(buf);
  q->nlmsg_type = RTM_NEWLINK;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(q, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = up ? IFF_UP : 0;
  ifi->ifi_change = IFF_UP;
  if (mtu) mnl_attr_put_u32(q, IFLA_MTU, mtu);
  if (!nl.request(q))
    log::warn("lcp: cannot set the mirror (ifindex {}) {} with MTU {}: {}", ifindex, up ? "up" : "down", mtu,
              std::strerror(errno));

  q = mnl_nlmsg_put_header(buf);
  q->nlmsg_type = RTM_GETADDR;
  q->nlmsg_flags = NLM_F_DUMP;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(q, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_UNSPEC;
  ifa->ifa_index = uint32_t(ifindex);
  AddrDump d{ifindex, {}};
  if (!nl.request(q, addr_cb, &d)) {
    log::warn("lcp: cannot read the mirror's (ifindex {}) addresses: {}", ifindex, std::strerror(errno));
    return;
  }
  for (auto& p : d.found)
    if (std::find(want.begin(), want.end(), p) == want.end() && !change_addr(nl, ifindex, p, false))
      log::warn("lcp: cannot remove {} from the mirror: {}", p.str(), std::strerror(errno));
  for (auto& p : want)
    if (std::find(d.found.begin(), d.found.end(), p) == d.found.end() && !change_addr(nl, ifindex, p, true))
      log::warn("lcp: cannot add {} to the mirror: {}", p.str(), std::strerror(errno));
}

void host_delete_links(const std::string& netns, const std::vector<int>& ifindexes) {
  Rtnl nl(netns);
  if (!nl) return;
  // A group no other device is in, then one delete for the whole group:
  // the kernel unregisters them together instead of waiting out an RCU
  // grace period for each (about 16 ms a device here).
  uint32_t group = 0x76700000u | uint32_t(getpid() & 0xfffff);
  char buf[MNL_SOCKET_BUFFER_SIZE];
  for (int ifindex : ifindexes) {
    nlmsghdr* q = mnl_nlmsg_put_header(buf);
    q->nlmsg_type = RTM_NEWLINK;
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(q, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    mnl_attr_put_u32(q, IFLA_GROUP, group);
    nl.request(q);
  }
  nlmsghdr* q = mnl_nlmsg_put_header(buf);
  q->nlmsg_type = RTM_DELLINK;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(q, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_u32(q, IFLA_GROUP, group);
  if (!nl.request(q)) log::warn("lcp: cannot delete the mirrors in '{}' at once: {}", netns, std::strerror(errno));
}

}  // namespace vp
