#include "features/lcp/lcp.hpp"

#include <fmt/format.h>
#include <net/if.h>

#include <climits>
#include <fstream>
#include <map>

#include "control/event_loop.hpp"
#include "control/lifecycle.hpp"
#include "features/lcp/fpm.hpp"
#include "features/lcp/host_sync.hpp"
#include "features/lcp/mirror.hpp"
#include "features/lcp/netlink.hpp"
#include "graph/registry.hpp"
#include "infra/error.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/netns.hpp"
#include "io/ports/tap/port_tap.hpp"

namespace vp {
std::atomic<uint32_t> g_lcp_mirror[kMaxInterfaces];
}  // namespace vp

namespace vp::ops {

namespace {
std::string g_default_netns;
std::map<uint32_t, LcpPair> g_pairs;                        // by phy sw_if_index
std::map<std::pair<std::string, int>, uint32_t> g_by_host;  // (netns, Linux ifindex) -> phy
std::map<std::string, uint32_t> g_by_host_if;               // Linux name -> phy
std::map<uint32_t, uint32_t> g_phy_of;                      // mirror sw_if_index -> phy
uint32_t g_next_tap = 4096;                                 // mirrors are tap4096... as in VPP
EventLoop* g_loop = nullptr;
std::map<std::string, std::unique_ptr<NlListener>> g_listeners;  // by netns, while it has pairs

// The kernel side follows the interface: admin state, MTU, addresses.
void sync_host(const Interface& i) {
  auto it = g_pairs.find(i.index);
  if (it == g_pairs.end()) return;
  host_sync(it->second.netns, it->second.host_ifindex, i.admin_up, i.mtu, i.addrs);
  // Behind every echo of that, link and address alike (see mark_link).
  if (auto l = g_listeners.find(it->second.netns); l != g_listeners.end())
    l->second->mark_link(it->second.host_ifindex);
}

InitRegistration hooks{[] {
  for (auto& m : g_lcp_mirror) m.store(kNoIf, std::memory_order_relaxed);
  ifs().watch([](Interface& i, IfEvent e) {
    if (e != IfEvent::deleting && e != IfEvent::created) sync_host(i);
  });
  ifs().veto_delete([](const Interface& i) -> std::string {
    if (g_pairs.count(i.index))
      return fmt::format("{} has a Linux mirror: remove it first with 'lcp delete {}'", i.name, i.name);
    if (auto it = g_phy_of.find(i.index); it != g_phy_of.end()) {
      const Interface* phy = ifs().at(it->second);
      return fmt::format("{} is the Linux mirror of {}: remove it with 'lcp delete {}'", i.name, phy ? phy->name : "?",
                         phy ? phy->name : "?");
    }
    return "";
  });
}};

void listen(const std::string& netns) {
  if (g_loop && !g_listeners.count(netns)) g_listeners[netns] = std::make_unique<NlListener>(*g_loop, netns);
}
void unlisten(const std::string& netns) {
  // Pairs are indexed by (netns, ifindex): a pair left in netns sorts first.
  auto it = g_by_host.lower_bound({netns, INT_MIN});
  if (it == g_by_host.end() || it->first.first != netns) g_listeners.erase(netns);
}

// lcp-punt on every arc whose packets the kernel must see as well.
void set_punt(uint32_t phy, bool on) {
  for (const char* arc : {"ip4-punt", "ip6-punt", "arp-learned", "nd-learned"}) set_feature(phy, arc, "lcp-punt", on);
}

Interface& iface(uint32_t sw_if) {
  Interface* i = ifs().at(sw_if);
  if (!i) fail("no interface with index {}", sw_if);
  return *i;
}
}  // namespace

void lcp_create(uint32_t phy, const std::string& host_if, const std::string& netns_in) {
  Interface& p = iface(phy);
  check_netns_name(netns_in);
  if (auto it = g_phy_of.find(phy); it != g_phy_of.end())
    fail("{} is the Linux mirror of {}: pair that one instead", p.name, iface(it->second).name);
  if (host_if.empty() || host_if.size() >= IFNAMSIZ || host_if.find_first_of("/ \t") != std::string::npos)
    fail("'{}' is not a Linux interface name (1-{} characters, no '/' or spaces)", host_if, IFNAMSIZ - 1);
  if (g_pairs.count(phy)) fail("{} already has a Linux mirror ({})", p.name, g_pairs[phy].host_if);
  if (auto it = g_by_host_if.find(host_if); it != g_by_host_if.end())
    fail("Linux interface '{}' already mirrors {}", host_if, iface(it->second).name);
  std::string netns = netns_in.empty() ? g_default_netns : netns_in;
  mirror_flush_retired();  // the name may belong to one still going
  TapArgs a;
  a.host_if = host_if;
  a.host_ns = netns;
  a.host_mac = p.mac;
  a.host_mtu = p.mtu;
  auto port = std::make_unique<MirrorPort>(a);
  MirrorPort* mp = port.get();
  while (ifs().find(fmt::format("tap{}", g_next_tap))) g_next_tap++;
  Interface& mi = ifs().add(fmt::format("tap{}", g_next_tap++), std::move(port), p.mac);
  uint32_t m = mi.index;
  mi.mtu = p.mtu;
  mi.owner = "lcp";
  g_phy_of[m] = phy;
  int ifindex;
  {
    NetnsGuard g(netns);
    ifindex = int(if_nametoindex(host_if.c_str()));
    // Linux drops a link's IPv6 addresses when it goes down; the listener
    // would take that for a deletion and remove them from vplane too.
    std::ofstream(fmt::format("/proc/sys/net/ipv6/conf/{}/keep_addr_on_down", host_if)) << "1\n";
  }
  mp->attach(m, ifindex);
  mp->set_link(p.port->link_up());  // before the mirror comes up: no carrier flap
  try {
    set_xconnect(m, phy);  // what the kernel sends leaves on the paired interface, as it is
    set_state(m, true);
    set_punt(phy, true);
  } catch (...) {
    g_phy_of.erase(m);
    delete_interface(m);
    throw;
  }
  Interface& pp = iface(phy);
  g_lcp_mirror[phy].store(m, std::memory_order_release);
  g_pairs[phy] = {phy, m, host_if, netns, ifindex};
  g_by_host[{netns, ifindex}] = phy;
  g_by_host_if[host_if] = phy;
  listen(netns);
  sync_host(pp);  // addresses, and down if the interface is
}

void lcp_delete(uint32_t phy) {
  auto it = g_pairs.find(phy);
  if (it == g_pairs.end()) fail("{} has no Linux mirror", iface(phy).name);
  g_lcp_mirror[phy].store(kNoIf, std::memory_order_release);
  set_punt(phy, false);
  uint32_t m = it->second.mirror;
  std::string netns = it->second.netns;
  g_by_host.erase({netns, it->second.host_ifindex});
  g_by_host_if.erase(it->second.host_if);
  g_pairs.erase(it);
  unlisten(netns);
  g_phy_of.erase(m);
  delete_interface(m);  // waits until no thread polls it
}

void lcp_set_default_netns(const std::string& netns) {
  check_netns_name(netns);
  g_default_netns = netns;
}
const std::string& lcp_default_netns() { return g_default_netns; }

bool lcp_phy_of(const std::string& netns, int ifindex, uint32_t& phy) {
  auto it = g_by_host.find({netns, ifindex});
  if (it == g_by_host.end()) return false;
  phy = it->second;
  return true;
}

bool lcp_in_netns(uint32_t sw_if, const std::string& netns) {
  auto it = g_pairs.find(sw_if);
  return it != g_pairs.end() && it->second.netns == netns;
}

namespace {
// The paired port's link (a memif peer gone, a NIC cable out) shows as the
// mirror's carrier, so routing daemons see it as Linux would. Ports report
// link state only when asked.
void follow_links() {
  for (auto& [k, p] : g_pairs) {
    Interface* phy = ifs().at(p.phy);
    Interface* m = ifs().at(p.mirror);
    if (phy && m) static_cast<MirrorPort*>(m->port.get())->set_link(phy->port->link_up());
  }
}
}  // namespace

uint32_t lcp_mirror_of(uint32_t sw_if) {
  auto it = g_pairs.find(sw_if);
  return it == g_pairs.end() ? kNoIf : it->second.mirror;
}

namespace {
StartRegistration start{[](EventLoop& loop) {
  g_loop = &loop;
  fpm_attach(&loop);
  loop.every(20, mirror_flush_retired);
  loop.every(100, follow_links);
}};

// Before interfaces go away at shutdown: every pair and listener.
ShutdownRegistration shutdown{[] {
  fpm_attach(nullptr);
  g_listeners.clear();
  g_loop = nullptr;
  while (!g_pairs.empty()) lcp_delete(g_pairs.begin()->first);
  mirror_flush_retired();
}};
}  // namespace

void lcp_set_netlink(const NlConfig& c) {
  if (c.rcvbuf < 4096 || c.batch < 1) fail("netlink buffer must be at least 4096 bytes and batch at least 1");
  if (c.delay_us > 1000000) fail("netlink delay {} us is more than a second", c.delay_us);
  nl_config() = c;
  for (auto& [ns, l] : g_listeners) l->set_rcvbuf(c.rcvbuf);
}

const NlListener* lcp_listener(const std::string& netns) {
  auto it = g_listeners.find(netns);
  return it == g_listeners.end() ? nullptr : it->second.get();
}

std::vector<LcpPair> lcp_pairs() {
  std::vector<LcpPair> v;
  for (auto& [k, x] : g_pairs) v.push_back(x);
  return v;
}

}  // namespace vp::ops
