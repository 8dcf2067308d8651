#include "io/if_ops.hpp"

#include <net/if.h>
#include <rte_random.h>

#include <atomic>
#include <filesystem>
#include <map>

#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "infra/paths.hpp"
#include "io/interface.hpp"
#include "io/port_dpdk.hpp"
#include "io/port_loopback.hpp"
#include "io/port_null.hpp"
#include "io/stale.hpp"

namespace vp::ops {

namespace {
std::map<uint32_t, std::string> g_memif_sockets;
uint32_t g_vdev_seq = 0;

Interface& by_index(uint32_t sw_if) {
  Interface* i = ifs().at(sw_if);
  if (!i) fail("no interface with index {}", sw_if);
  return *i;
}

void need_linux_if(const std::string& n) {
  if (n.empty() || n.size() >= IFNAMSIZ) fail("bad Linux interface name '{}'", n);
  if (!if_nametoindex(n.c_str())) fail("Linux interface '{}' does not exist (see 'ip link')", n);
}

Mac random_mac() {
  Mac m;
  uint64_t r = rte_rand();
  m.b = {0x02, 0xfe, uint8_t(r), uint8_t(r >> 8), uint8_t(r >> 16), uint8_t(r >> 24)};
  return m;
}

uint32_t add_dpdk(const std::string& name, IfKind kind, const std::string& drv, const std::string& args,
                  const char* input, uint16_t rxq, const std::string& cmd) {
  if (ifs().find(name)) fail("interface '{}' already exists", name);
  std::string dev = drv + std::to_string(g_vdev_seq++);
  auto p = std::make_unique<DpdkPort>(dev, args, true, Registry::get().id(input), rxq);
  Mac mac = p->mac();
  Interface& i = ifs().add(name, kind, std::move(p), cmd);
  i.mac = mac;
  ifs().publish(i);
  return i.index;
}
}  // namespace

uint32_t create_af_packet(const std::string& linux_if) {
  need_linux_if(linux_if);
  return add_dpdk("host-" + linux_if, IfKind::af_packet, "net_af_packet",
                  "iface=" + linux_if + ",qpairs=1,qdisc_bypass=1", "af-packet-input", 1,
                  "create host-interface name " + linux_if);
}

uint32_t create_af_xdp(const AfXdpArgs& a) {
  need_linux_if(a.host_if);
  if (a.rx_queues < 1 || a.rx_queues > 64) fail("num-rx-queues {} out of range (1-64)", a.rx_queues);
  std::string name = a.name.empty() ? a.host_if + "/0" : a.name;
  std::string cmd = "create interface af_xdp host-if " + a.host_if;
  if (!a.name.empty()) cmd += " name " + a.name;
  if (a.rx_queues != 1) cmd += " num-rx-queues " + std::to_string(a.rx_queues);
  stale_record("xdp", a.host_if);
  try {
    return add_dpdk(name, IfKind::af_xdp, "net_af_xdp",
                    "iface=" + a.host_if + ",start_queue=0,queue_count=" + std::to_string(a.rx_queues), "af-xdp-input",
                    a.rx_queues, cmd);
  } catch (...) {
    stale_forget("xdp", a.host_if);
    throw;
  }
}

uint32_t create_tap(const TapArgs& in) {
  TapArgs a = in;
  if (a.id == UINT32_MAX) {
    a.id = 0;
    while (ifs().find("tap" + std::to_string(a.id))) a.id++;
  }
  std::string name = "tap" + std::to_string(a.id);
  if (ifs().find(name)) fail("interface '{}' already exists", name);
  if (a.host_ip4 && a.host_ip4->addr.v6) fail("host-ip4-addr must be an IPv4 prefix");
  if (a.host_ip6 && !a.host_ip6->addr.v6) fail("host-ip6-addr must be an IPv6 prefix");
  std::string cmd = "create tap id " + std::to_string(a.id);
  if (!a.host_if.empty()) cmd += " host-if-name " + a.host_if;
  if (!a.host_ns.empty()) cmd += " host-ns " + a.host_ns;
  if (a.host_ip4) cmd += " host-ip4-addr " + a.host_ip4->str();
  if (a.host_ip6) cmd += " host-ip6-addr " + a.host_ip6->str();
  if (a.host_mtu) cmd += " host-mtu-size " + std::to_string(a.host_mtu);
  if (a.gso) cmd += " gso";
  auto p = std::make_unique<TapPort>(a);
  Interface& i = ifs().add(name, IfKind::tap, std::move(p), cmd);
  i.mac = random_mac();
  ifs().publish(i);
  return i.index;
}

void create_memif_socket(uint32_t id, const std::string& path) {
  if (path.empty() || path[0] != '/') fail("memif socket filename must be an absolute path");
  auto it = g_memif_sockets.find(id);
  if (it != g_memif_sockets.end() && it->second != path)
    fail("memif socket id {} already exists with filename {}", id, it->second);
  g_memif_sockets[id] = path;
}

void delete_memif_socket(uint32_t id) {
  if (!g_memif_sockets.count(id)) fail("no memif socket id {}", id);
  for (auto* i : ifs().all())
    if (i->kind == IfKind::memif && i->name.rfind("memif" + std::to_string(id) + "/", 0) == 0)
      fail("memif socket id {} is in use by {}", id, i->name);
  g_memif_sockets.erase(id);
}

const std::map<uint32_t, std::string>& memif_sockets() { return g_memif_sockets; }

uint32_t create_memif(const MemifArgs& a) {
  std::string path;
  if (auto it = g_memif_sockets.find(a.socket_id); it != g_memif_sockets.end())
    path = it->second;
  else if (a.socket_id == 0)
    path = state_dir() + "/memif.sock";
  else
    fail("no memif socket id {} (create it with 'create memif socket id {} filename <path>')", a.socket_id,
         a.socket_id);
  if (a.ring_size < 512 || a.ring_size > 16384 || (a.ring_size & (a.ring_size - 1)))
    fail("memif ring-size {} must be a power of two from 512 to 16384", a.ring_size);
  if (a.rx_queues < 1 || a.rx_queues > 64) fail("memif rx-queues {} out of range (1-64)", a.rx_queues);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::string name = "memif" + std::to_string(a.socket_id) + "/" + std::to_string(a.id);
  std::string cmd = "create interface memif id " + std::to_string(a.id) + " socket-id " + std::to_string(a.socket_id) +
                    (a.master ? " master" : " slave");
  if (a.rx_queues != 1) cmd += " rx-queues " + std::to_string(a.rx_queues);
  if (a.ring_size != 1024) cmd += " ring-size " + std::to_string(a.ring_size);
  return add_dpdk(name, IfKind::memif, "net_memif",
                  std::string("role=") + (a.master ? "server" : "client") + ",id=" + std::to_string(a.id) + ",socket=" +
                      path + ",socket-abstract=no,zero-copy=no,rsize=" + std::to_string(__builtin_ctz(a.ring_size)),
                  "memif-input", a.rx_queues, cmd);
}

uint32_t create_vhost_user(const std::string& path, bool server) {
  if (path.empty() || path[0] != '/') fail("vhost-user socket must be an absolute path");
  uint32_t n = 0;
  while (ifs().find("VirtualEthernet0/0/" + std::to_string(n))) n++;
  std::string cmd = "create vhost-user socket " + path + (server ? " server" : "");
  return add_dpdk("VirtualEthernet0/0/" + std::to_string(n), IfKind::vhost_user, "net_vhost",
                  "iface=" + path + ",queues=1,client=" + (server ? "0" : "1"), "vhost-user-input", 1, cmd);
}

uint32_t create_loopback(std::optional<Mac> mac) {
  if (mac && mac->is_multicast()) fail("MAC {} is a multicast address", mac->str());
  uint32_t n = 0;
  while (ifs().find("loop" + std::to_string(n))) n++;
  auto p = std::make_unique<LoopbackPort>();
  auto* lp = p.get();
  std::string cmd = "create loopback interface" + (mac ? " mac " + mac->str() : "");
  Interface& i = ifs().add("loop" + std::to_string(n), IfKind::loopback, std::move(p), cmd);
  lp->bind(i.index);
  i.mac = mac ? *mac : random_mac();
  ifs().publish(i);
  return i.index;
}

uint32_t create_null_sink(uint32_t n) {
  std::string name = "null" + std::to_string(n);
  Interface& i = ifs().add(name, IfKind::null_sink, std::make_unique<NullPort>(), "create null-sink interface " + name);
  i.mac = random_mac();
  ifs().publish(i);
  return i.index;
}

uint32_t create_pci(const std::string& pci) {
  std::string name = "pci-" + pci;
  if (ifs().find(name)) fail("interface '{}' already exists", name);
  auto p = std::make_unique<DpdkPort>(name, pci, false, Registry::get().id("dpdk-input"), 1);
  Mac mac = p->mac();
  Interface& i = ifs().add(name, IfKind::dpdk, std::move(p), "");
  i.mac = mac;
  ifs().publish(i);
  return i.index;
}

void delete_interface(uint32_t sw_if) {
  Interface& i = by_index(sw_if);
  if (i.lcp_mirror != kNoIf) fail("{} has a Linux mirror: remove it first with 'lcp delete {}'", i.name, i.name);
  if (i.lcp_phy != kNoIf) {
    const Interface* phy = ifs().at(i.lcp_phy);
    fail("{} is the Linux mirror of {}: remove it with 'lcp delete {}'", i.name, phy ? phy->name : "?",
         phy ? phy->name : "?");
  }
  std::string xdp_host;
  if (i.kind == IfKind::af_xdp) {
    // The Linux interface the program is attached to, from the create command.
    auto pos = i.create_cmd.find("host-if ");
    if (pos != std::string::npos) {
      xdp_host = i.create_cmd.substr(pos + 8);
      xdp_host = xdp_host.substr(0, xdp_host.find(' '));
    }
  }
  ifs().remove(sw_if);
  if (!xdp_host.empty()) stale_forget("xdp", xdp_host);
}

void set_state(uint32_t sw_if, bool up) { ifs().set_admin(by_index(sw_if), up); }
void set_mtu(uint32_t sw_if, uint32_t mtu) { ifs().set_mtu(by_index(sw_if), mtu); }
void set_mac(uint32_t sw_if, const Mac& m) {
  Interface& i = by_index(sw_if);
  ifs().set_mac(i, m);
  i.mac_set = true;
}

void set_xconnect(uint32_t rx, uint32_t tx) {
  Interface& r = by_index(rx);
  Interface& t = by_index(tx);
  if (rx == tx) fail("cannot cross-connect {} to itself", r.name);
  ifs().set_xconnect(r, &t);
}

void set_l3(uint32_t sw_if) { ifs().set_xconnect(by_index(sw_if), nullptr); }

void set_rx_placement(uint32_t sw_if, uint16_t queue, uint32_t worker) {
  auto& th = threads();
  if (th.single()) fail("no workers: vplaned runs in single-thread mode (start it with --workers N)");
  if (worker >= th.size() - 1) fail("no worker {} (there are {})", worker, th.size() - 1);
  ifs().set_rx_placement(by_index(sw_if), queue, int(worker + 1));
}

void set_feature(uint32_t sw_if, const std::string& arc, const std::string& feature, bool enable) {
  ifs().set_feature(by_index(sw_if), arc, feature, enable);
}

}  // namespace vp::ops
