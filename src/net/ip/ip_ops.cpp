#include "net/ip/ip_ops.hpp"

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

void user_table_id(uint32_t id) {
  if (id >= kHiddenTable) fail("table ids go up to {}", kHiddenTable - 1);
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

const Prefix kLinkLocalNet = parse_prefix("fe80::/10");

// The link-local table holds fe80::/10 on the link (glean), our link-local
// address (local) and the link-local neighbours (their host routes).
void ll_routes(Interface& i, bool add) {
  RoutePath ip = if_path(i.index);
  Prefix host{i.ip6_ll, 128};
  if (add) {
    fib6().add(i.fib6_ll, kLinkLocalNet, RouteSource::connected, RouteKind::connected, &ip);
    fib6().add(i.fib6_ll, host, RouteSource::connected, RouteKind::local, &ip);
  } else {
    fib6().del(i.fib6_ll, host, RouteSource::connected);
  }
}

void ip6_on(Interface& i) {
  if (i.ip6_on) return;
  i.fib6_ll = fib6().table_add(kHiddenTable | i.index);
  i.ip6_ll = link_local_from_mac(i.mac);
  i.ip6_on = true;
  ll_routes(i, true);
  ifs().publish(i);
}

void ip6_off(Interface& i) {
  if (!i.ip6_on) return;
  for (auto& [k, e] : std::map(neighbors().all()))
    if (k.first == i.index && k.second.v6) neighbors().del(i.index, k.second);
  i.ip6_on = false;
  ifs().publish(i);
  fib6().table_del(kHiddenTable | i.index);
  i.ip6_ll = IpAddr{};
}

bool has_v6_addr(const Interface& i) {
  for (auto& a : i.addrs)
    if (a.addr.v6) return true;
  return false;
}

// Forget everything IP about an interface that is going away; follow MAC changes.
InitRegistration watch{[] {
  ifs().watch([](Interface& i, IfEvent e) {
    if (e == IfEvent::addresses) return;
    if (e == IfEvent::changed) {
      adj_table().interface_changed(i.index);
      if (i.ip6_on && link_local_from_mac(i.mac) != i.ip6_ll) {
        ll_routes(i, false);
        i.ip6_ll = link_local_from_mac(i.mac);
        ll_routes(i, true);
        ifs().publish(i);
      }
      return;
    }
    for (auto a : std::vector<Prefix>(i.addrs)) set_interface_address(i.index, a, true);
    neighbors().del_interface(i.index);
    ip6_off(i);
    fib4().purge_interface(i.index);
    fib6().purge_interface(i.index);
  });
}};
}  // namespace

IpAddr link_local_from_mac(const Mac& m) {
  IpAddr a;
  a.v6 = true;
  a.b = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, uint8_t(m.b[0] ^ 2), m.b[1], m.b[2], 0xff, 0xfe, m.b[3], m.b[4], m.b[5]};
  return a;
}

void ip_table_add(bool v6, uint32_t id) {
  user_table_id(id);
  if (v6 ? fib6().has_table(id) : fib4().has_table(id)) fail("IPv{} table {} already exists", v6 ? 6 : 4, id);
  v6 ? fib6().table_add(id) : fib4().table_add(id);
}

void ip_table_del(bool v6, uint32_t id) {
  user_table_id(id);
  v6 ? fib6().table_del(id) : fib4().table_del(id);
}

void set_interface_ip_table(uint32_t sw_if, bool v6, uint32_t id) {
  Interface& i = by_index(sw_if);
  user_table_id(id);
  uint32_t fib = v6 ? fib6().index_of(id) : fib4().index_of(id);
  for (auto& a : i.addrs)
    if (a.addr.v6 == v6)
      fail("{} has IPv{} addresses: remove them before moving it to another table", i.name, v6 ? 6 : 4);
  (v6 ? i.fib6 : i.fib4) = fib;
  ifs().publish(i);
}

void set_proxy_arp(uint32_t sw_if, bool on) {
  Interface& i = by_index(sw_if);
  i.proxy_arp = on;
  ifs().publish(i);
}

void ip6_enable(uint32_t sw_if, bool on) {
  Interface& i = by_index(sw_if);
  if (!on && has_v6_addr(i)) fail("{} has IPv6 addresses: remove them first", i.name);
  i.ip6_enabled_cmd = on;
  on ? ip6_on(i) : ip6_off(i);
}

void set_interface_address(uint32_t sw_if, const Prefix& p, bool del) {
  Interface& i = by_index(sw_if);
  const bool v6 = p.addr.v6;
  const uint8_t max = v6 ? 128 : 32;
  if (p.len == 0) fail("{} has no network bits", p.str());
  if (is_link_local(p.addr)) fail("{}: the link-local address comes from the MAC", p.str());
  auto it = std::find(i.addrs.begin(), i.addrs.end(), p);
  Prefix net = p.masked();
  Prefix host{p.addr, max};
  auto fib_del = [&](const Prefix& x) {
    v6 ? fib6().del(i.fib6, x, RouteSource::connected) : fib4().del(i.fib4, x, RouteSource::connected);
  };
  if (del) {
    if (it == i.addrs.end()) fail("{} has no address {}", i.name, p.str());
    i.addrs.erase(it);
    fib_del(host);
    bool shared = false;
    for (auto& a : i.addrs) shared |= a.masked() == net;
    if (!shared && p.len < max) fib_del(net);
    ifs().publish(i);
    if (v6 && !has_v6_addr(i) && !i.ip6_enabled_cmd) ip6_off(i);
    ifs().addresses_changed(i);
    return;
  }
  if (it != i.addrs.end()) fail("{} already has address {}", i.name, p.str());
  for (auto* o : ifs().all())
    for (auto& a : o->addrs)
      if (a.addr.v6 == v6 && (v6 ? o->fib6 == i.fib6 : o->fib4 == i.fib4)) {
        if (a.addr == p.addr) fail("{} is already configured on {}", p.addr.str(), o->name);
        if (o != &i && (a.contains(p.addr) || p.contains(a.addr)))
          fail("{} overlaps {} on {}", p.str(), a.str(), o->name);
      }
  if (v6) ip6_on(i);
  i.addrs.push_back(p);
  RoutePath ip = if_path(sw_if);
  if (v6) {
    if (p.len < max) fib6().add(i.fib6, net, RouteSource::connected, RouteKind::connected, &ip);
    fib6().add(i.fib6, host, RouteSource::connected, RouteKind::local, &ip);
  } else {
    if (p.len < max) fib4().add(i.fib4, net, RouteSource::connected, RouteKind::connected, &ip);
    fib4().add(i.fib4, host, RouteSource::connected, RouteKind::local, &ip);
  }
  ifs().publish(i);
  if (!v6) send_garp(i, p.addr);
  ifs().addresses_changed(i);
}

namespace {
void check_route(const Route& r) {
  const bool v6 = r.prefix.addr.v6;
  if (r.path && r.path->has_nh && r.path->nh.v6 != v6)
    fail("next hop {} and prefix {} are of different families", r.path->nh.str(), r.prefix.str());
  if (r.path && r.path->sw_if != ~0u) by_index(r.path->sw_if);
  if (r.path && r.path->has_nh && is_link_local(r.path->nh) && r.path->sw_if == ~0u)
    fail("link-local next hop {} needs an interface: via {} <interface>", r.path->nh.str(), r.path->nh.str());
  if (is_link_local(r.prefix.addr)) fail("{}: link-local prefixes are not routed", r.prefix.str());
}
}  // namespace

void route_add(const Route& r) {
  check_route(r);
  const RoutePath* path = r.path ? &*r.path : nullptr;
  if (r.prefix.addr.v6)
    fib6().add(fib6().index_of(r.table), r.prefix, r.source, r.kind, path);
  else
    fib4().add(fib4().index_of(r.table), r.prefix, r.source, r.kind, path);
}

void route_del(const Route& r) {
  check_route(r);
  const RoutePath* path = r.path ? &*r.path : nullptr;
  bool ok = r.prefix.addr.v6 ? fib6().del(fib6().index_of(r.table), r.prefix, r.source, path)
                             : fib4().del(fib4().index_of(r.table), r.prefix, r.source, path);
  if (!ok)
    fail("no such route: {}{} in table {}", r.prefix.str(), r.path && r.path->has_nh ? " via " + r.path->nh.str() : "",
         r.table);
}

namespace {
Route one(const RouteSpec& r, const RoutePath* p) {
  Route x;
  x.prefix = r.prefix;
  x.table = r.table;
  x.source = r.source;
  x.kind = r.kind;
  if (p) x.path = *p;
  return x;
}

uint32_t fib_index(const RouteSpec& r) {
  return r.prefix.addr.v6 ? fib6().index_of(r.table) : fib4().index_of(r.table);
}

bool fib_has(const RouteSpec& r, const RoutePath* p) {
  uint32_t fib = fib_index(r);
  return r.prefix.addr.v6 ? fib6().has(fib, r.prefix, r.source, p) : fib4().has(fib, r.prefix, r.source, p);
}
}  // namespace

void route_check(const RouteSpec& r, RouteOp op) {
  if (r.prefix.len > (r.prefix.addr.v6 ? 128 : 32)) fail("{}: prefix length out of range", r.prefix.str());
  fib_index(r);
  if (op == RouteOp::del) {
    if (r.paths.empty() && !fib_has(r, nullptr))
      fail("no such route: {} from source {} in table {}", r.prefix.str(), source_name(r.source), r.table);
    for (auto& p : r.paths)
      if (!fib_has(r, &p))
        fail("no such route: {}{} in table {}", r.prefix.str(), p.has_nh ? " via " + p.nh.str() : "", r.table);
    return;
  }
  if (r.kind == RouteKind::paths && r.paths.empty()) fail("{}: a route needs a path", r.prefix.str());
  if (r.kind != RouteKind::paths && !r.paths.empty())
    fail("{}: a drop/unreachable/prohibit route has no paths", r.prefix.str());
  if (r.paths.size() > kMaxPaths)
    fail("{}: {} paths, ECMP takes {} at most", r.prefix.str(), r.paths.size(), kMaxPaths);
  check_route(one(r, nullptr));
  for (auto& p : r.paths) {
    if (!p.has_nh && p.sw_if == ~0u) fail("{}: a path needs a next hop or an interface", r.prefix.str());
    if (p.weight == 0) fail("{}: weight must be at least 1", r.prefix.str());
    check_route(one(r, &p));
  }
}

void route_apply(const RouteSpec& r, RouteOp op) {
  route_check(r, op);
  // Checked above: straight to the FIB, without the single-route checks again.
  const uint32_t fib = fib_index(r);
  const bool v6 = r.prefix.addr.v6;
  auto add = [&](const RoutePath* p) {
    v6 ? fib6().add(fib, r.prefix, r.source, r.kind, p) : fib4().add(fib, r.prefix, r.source, r.kind, p);
  };
  auto del = [&](const RoutePath* p) {
    v6 ? fib6().del(fib, r.prefix, r.source, p) : fib4().del(fib, r.prefix, r.source, p);
  };
  switch (op) {
    case RouteOp::add:
      if (r.paths.empty()) return add(nullptr);
      for (auto& p : r.paths) add(&p);
      return;
    case RouteOp::del:
      if (r.paths.empty()) return del(nullptr);
      for (auto& p : r.paths) del(&p);
      return;
    case RouteOp::replace:
      if (v6)
        fib6().replace(fib, r.prefix, r.source, r.kind, r.paths);
      else
        fib4().replace(fib, r.prefix, r.source, r.kind, r.paths);
      return;
  }
}

void neighbor_add(uint32_t sw_if, const IpAddr& ip, const Mac& mac) {
  Interface& i = by_index(sw_if);
  if (ip.v6 && !i.ip6_on) fail("IPv6 is not enabled on {}: give it an IPv6 address first", i.name);
  neighbors().set(sw_if, ip, mac, true);
}

void neighbor_del(uint32_t sw_if, const IpAddr& ip) {
  by_index(sw_if);
  if (!neighbors().del(sw_if, ip)) fail("no neighbour {} on {}", ip.str(), ifs().at(sw_if)->name);
}

}  // namespace vp::ops
