#include "io/ports/tap/port_tap.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <rte_ip.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "io/eal.hpp"
#include "io/netns.hpp"
#include "io/offload.hpp"
#include "io/ports/tap/vnet_hdr.hpp"

namespace vp {

namespace {
constexpr uint32_t kRing = 256;

// ip link set dev <ifn> gso_max_size <n>, in the current namespace.
void set_gso_max_size(const std::string& ifn, uint32_t size) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = 1;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = int(if_nametoindex(ifn.c_str()));
  mnl_attr_put_u32(nlh, IFLA_GSO_MAX_SIZE, size);
  mnl_socket* nl = mnl_socket_open(NETLINK_ROUTE);
  if (!nl) fail("netlink socket: {}", std::strerror(errno));
  int rc = -1;
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0 && mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0) {
    ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
    rc = n > 0 ? mnl_cb_run(buf, size_t(n), 1, mnl_socket_get_portid(nl), nullptr, nullptr) : -1;
  }
  int e = errno;
  mnl_socket_close(nl);
  if (rc < 0) fail("cannot limit gso_max_size on {}: {}", ifn, std::strerror(e));
}

struct in6_ifreq_ {
  in6_addr addr;
  uint32_t prefixlen;
  int ifindex;
};

void ifreq_ioctl(int sock, unsigned long req, ifreq& r, const char* what, const std::string& ifn) {
  if (ioctl(sock, req, &r) != 0) fail("cannot {} on {}: {}", what, ifn, std::strerror(errno));
}

// Configure the kernel side while inside its namespace.
void configure_host(const std::string& ifn, const TapArgs& a) {
  int s4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s4 < 0) fail("socket: {}", std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } c4{s4};
  ifreq r{};
  std::strncpy(r.ifr_name, ifn.c_str(), IFNAMSIZ - 1);
  if (a.host_mtu) {
    r.ifr_mtu = int(a.host_mtu);
    ifreq_ioctl(s4, SIOCSIFMTU, r, "set MTU", ifn);
  }
  if (a.host_mac) {
    r.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    std::memcpy(r.ifr_hwaddr.sa_data, a.host_mac->b.data(), 6);
    ifreq_ioctl(s4, SIOCSIFHWADDR, r, "set MAC", ifn);
  }
  if (a.gso) set_gso_max_size(ifn, kGsoMax);
  ifreq_ioctl(s4, SIOCGIFFLAGS, r, "read flags", ifn);
  r.ifr_flags |= IFF_UP;
  ifreq_ioctl(s4, SIOCSIFFLAGS, r, "set up", ifn);
  if (a.host_ip4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&r.ifr_addr);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, a.host_ip4->addr.b.data(), 4);
    ifreq_ioctl(s4, SIOCSIFADDR, r, "set IPv4 address", ifn);
    uint32_t mask = a.host_ip4->len ? htonl(~0u << (32 - a.host_ip4->len)) : 0;
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, &mask, 4);
    ifreq_ioctl(s4, SIOCSIFNETMASK, r, "set IPv4 netmask", ifn);
  }
  if (a.host_ip6) {
    int s6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    Closer c6{s6};
    ifreq_ioctl(s4, SIOCGIFINDEX, r, "read ifindex", ifn);
    in6_ifreq_ q{};
    std::memcpy(&q.addr, a.host_ip6->addr.b.data(), 16);
    q.prefixlen = a.host_ip6->len;
    q.ifindex = r.ifr_ifindex;
    if (ioctl(s6, SIOCSIFADDR, &q) != 0) fail("cannot set IPv6 address on {}: {}", ifn, std::strerror(errno));
  }
}
}  // namespace

static NodeId tap_input_id() {
  static NodeId id = Registry::get().id("tap-input");
  return id;
}

NodeId TapPort::input_node() const { return tap_input_id(); }

int tap_open(const TapArgs& a, const std::string& host_if) {
  if (host_if.size() >= IFNAMSIZ) fail("host-if-name '{}' is longer than {} characters", host_if, IFNAMSIZ - 1);
  NetnsGuard ns(a.host_ns);
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) fail("cannot open /dev/net/tun: {} (load the tun module)", std::strerror(errno));
  ifreq r{};
  r.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  std::strncpy(r.ifr_name, host_if.c_str(), IFNAMSIZ - 1);
  int hdr = kVnetHdr;
  unsigned offloads = TUN_F_CSUM | (a.gso ? TUN_F_TSO4 | TUN_F_TSO6 : 0);
  if (ioctl(fd, TUNSETIFF, &r) != 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) != 0 ||
      ioctl(fd, TUNSETOFFLOAD, offloads) != 0) {
    int e = errno;
    close(fd);
    fail("cannot create TAP '{}': {}", host_if, std::strerror(e));
  }
  try {
    configure_host(host_if, a);
  } catch (...) {
    close(fd);
    throw;
  }
  return fd;
}

TapPort::TapPort(const TapArgs& a, std::string create_cmd)
    : gso_(a.gso), host_ns_(a.host_ns), create_cmd_(std::move(create_cmd)) {
  host_if_ = a.host_if.empty() ? "tap" + std::to_string(a.id) : a.host_if;
  // GSO frames need jumbo buffers; fewer reads stay posted so a TAP holds
  // at most 64 of them.
  rx_pool_ = gso_ ? jumbo_pool() : eal().pool;
  ring_reads_ = gso_ ? 64 : kRing / 2;
  fd_ = tap_open(a, host_if_);
  if (io_uring_queue_init(kRing, &rx_, 0) != 0) {
    close(fd_);
    fail("cannot set up io_uring for {} (kernel too old or memlock limit)", host_if_);
  }
  post_reads(ring_reads_);
}

TapPort::~TapPort() {
  // Closing the fd removes the (non-persistent) TAP; reads still posted are
  // cancelled by the ring teardown, their mbufs go back to the pool.
  close(fd_);
  io_uring_cqe* cqe;
  while (io_uring_peek_cqe(&rx_, &cqe) == 0) {
    rte_pktmbuf_free(reinterpret_cast<rte_mbuf*>(cqe->user_data));
    io_uring_cqe_seen(&rx_, cqe);
  }
  io_uring_queue_exit(&rx_);
}

void TapPort::post_reads(uint32_t n) {
  rte_mbuf* m[kRing];
  n = std::min(n, ring_reads_ - rx_posted_);
  if (!n || rte_pktmbuf_alloc_bulk(rx_pool_, m, n) != 0) return;
  for (uint32_t i = 0; i < n; i++) {
    io_uring_sqe* sqe = io_uring_get_sqe(&rx_);
    if (!sqe) {
      rte_pktmbuf_free_bulk(m + i, n - i);
      break;
    }
    // The virtio-net header lands in the headroom, the frame at data_off.
    uint8_t* buf = rte_pktmbuf_mtod(m[i], uint8_t*) - kVnetHdr;
    io_uring_prep_read(sqe, fd_, buf, rte_pktmbuf_tailroom(m[i]) + kVnetHdr, 0);
    io_uring_sqe_set_data64(sqe, reinterpret_cast<uint64_t>(m[i]));
    rx_posted_++;
  }
  io_uring_submit(&rx_);
}

uint16_t TapPort::rx(Thread&, uint16_t, rte_mbuf** p, uint16_t n) {
  io_uring_cqe* cqes[256];
  unsigned got = io_uring_peek_batch_cqe(&rx_, cqes, n);
  uint16_t k = 0;
  for (unsigned i = 0; i < got; i++) {
    auto* m = reinterpret_cast<rte_mbuf*>(cqes[i]->user_data);
    int res = cqes[i]->res;
    rx_posted_--;
    switch (vnet_rx(m, res)) {
      case VnetRx::bad:
        rx_errors_++;
        rte_pktmbuf_free(m);
        continue;
      case VnetRx::gso:
        gso_rx_++;
        break;
      case VnetRx::csum_completed:
        csum_completed_++;
        break;
      case VnetRx::plain:
        break;
    }
    p[k++] = m;
  }
  if (got) {
    io_uring_cq_advance(&rx_, got);
    post_reads(got);
  }
  return k;
}

uint16_t TapPort::tx(Thread& t, rte_mbuf** p, uint16_t n) { return tx_.send(t, fd_, p, n); }

void TapPort::set_admin(bool up) {
  // The kernel side sees carrier follow our admin state.
  int on = up ? 1 : 0;
  ioctl(fd_, TUNSETCARRIER, &on);
}

nlohmann::json TapPort::hw_info() const {
  return {{"host_if", host_if_},
          {"host_ns", host_ns_.empty() ? "(vplaned's)" : host_ns_},
          {"vnet_hdr", kVnetHdr},
          {"offloads", gso_ ? "csum tso4 tso6 (gso)" : "csum"},
          {"gso_rx", gso_rx_},
          {"gso_tx", tx_.gso_tx()},
          {"rx_posted", rx_posted_},
          {"rx_errors", rx_errors_},
          {"csum_completed", csum_completed_}};
}

}  // namespace vp
