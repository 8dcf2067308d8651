#include "net/ip4/ip4_ops.hpp"

#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "io/interface.hpp"
#include "net/arp/arp_packet.hpp"
#include "net/arp/neighbor.hpp"
#include "net/fib/adj.hpp"

namespace vp::ops {

namespace {
Interface& by_index(uint32_t sw_if) {
  Interface* i = ifs().at(sw_if);
  if (!i) fail("no interface with index {}", sw_if);
  return *i;
}

RoutePath if_path(uint32_t sw_if) {
  RoutePath p;
  p.sw_if = sw_if;
  return p;
}

// Gratuitous ARP from the main thread's own graph replica (its own tx queue).
void send_garp(Interface& i, const IpAddr& a) {
  if (!i.admin_up) return;
  uint32_t ip;
  std::memcpy(&ip, a.b.data(), 4);
  rte_mbuf* m = arp_request_frame(i.mac, ip, ip, i.index);
  if (!m) return;
  Thread& t = threads().main();
  t.enqueue1(Registry::get().id("interface-output"), m);
  t.run_pending();
}

void v4_only(const IpAddr& a) {
  if (a.v6) fail("IPv6 is not routed yet ({}): IPv6 arrives with the ip6 nodes", a.str());
}

// Forget everything IPv4 about an interface that is going away.
InitRegistration watch{[] {
  ifs().watch([](Interface& i, IfEvent e) {
    if (e == IfEvent::changed) {
      adj_table().interface_changed(i.index);
      return;
    }
    for (auto a : std::vector<Prefix>(i.addrs)) set_interface_address(i.index, a, true);
    neighbors().del_interface(i.index);
    fib4().purge_interface(i.index);
  });
}};
}  // namespace

void ip_table_add(uint32_t id) {
  if (fib4().has_table(id)) fail("IPv4 table {} already exists", id);
  fib4().table_add(id);
}

void ip_table_del(uint32_t id) { fib4().table_del(id); }

void set_interface_ip_table(uint32_t sw_if, uint32_t id) {
  Interface& i = by_index(sw_if);
  uint32_t fib = fib4().index_of(id);
  for (auto& a : i.addrs)
    if (!a.addr.v6) fail("{} has IPv4 addresses: remove them before moving it to another table", i.name);
  i.fib4 = fib;
  ifs().publish(i);
}

void set_proxy_arp(uint32_t sw_if, bool on) {
  Interface& i = by_index(sw_if);
  i.proxy_arp = on;
  ifs().publish(i);
}

void set_interface_address(uint32_t sw_if, const Prefix& p, bool del) {
  Interface& i = by_index(sw_if);
  v4_only(p.addr);
  if (p.len == 0) fail("{} has no network bits", p.str());
  auto it = std::find(i.addrs.begin(), i.addrs.end(), p);
  Prefix net = p.masked();
  Prefix host{p.addr, 32};
  if (del) {
    if (it == i.addrs.end()) fail("{} has no address {}", i.name, p.str());
    i.addrs.erase(it);
    fib4().del(i.fib4, host, RouteSource::connected);
    bool shared = false;
    for (auto& a : i.addrs) shared |= a.masked() == net;
    if (!shared && p.len < 32) fib4().del(i.fib4, net, RouteSource::connected);
    ifs().publish(i);
    return;
  }
  if (it != i.addrs.end()) fail("{} already has address {}", i.name, p.str());
  for (auto* o : ifs().all())
    for (auto& a : o->addrs)
      if (o->fib4 == i.fib4 && !a.addr.v6) {
        if (a.addr == p.addr) fail("{} is already configured on {}", p.addr.str(), o->name);
        if (o != &i && (a.contains(p.addr) || p.contains(a.addr)))
          fail("{} overlaps {} on {}", p.str(), a.str(), o->name);
      }
  i.addrs.push_back(p);
  RoutePath ip = if_path(sw_if);
  if (p.len < 32) fib4().add(i.fib4, net, RouteSource::connected, RouteKind::connected, &ip);
  fib4().add(i.fib4, host, RouteSource::connected, RouteKind::local, &ip);
  ifs().publish(i);
  send_garp(i, p.addr);
}

void route_add(const Route& r) {
  v4_only(r.prefix.addr);
  uint32_t fib = fib4().index_of(r.table);
  if (r.path && r.path->has_nh) v4_only(r.path->nh);
  if (r.path && r.path->sw_if != ~0u) by_index(r.path->sw_if);
  fib4().add(fib, r.prefix, r.source, r.kind, r.path ? &*r.path : nullptr);
}

void route_del(const Route& r) {
  v4_only(r.prefix.addr);
  uint32_t fib = fib4().index_of(r.table);
  if (!fib4().del(fib, r.prefix, r.source, r.path ? &*r.path : nullptr))
    fail("no such route: {}{} in table {}", r.prefix.str(), r.path && r.path->has_nh ? " via " + r.path->nh.str() : "",
         r.table);
}

void neighbor_add(uint32_t sw_if, const IpAddr& ip, const Mac& mac) {
  by_index(sw_if);
  v4_only(ip);
  neighbors().set(sw_if, ip, mac, true);
}

void neighbor_del(uint32_t sw_if, const IpAddr& ip) {
  by_index(sw_if);
  if (!neighbors().del(sw_if, ip)) fail("no neighbour {} on {}", ip.str(), ifs().at(sw_if)->name);
}

}  // namespace vp::ops
