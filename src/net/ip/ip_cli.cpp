// IPv4 and IPv6 routing commands (VPP's words): tables, interface
// addresses, routes, neighbours, show ip/ip6 fib, adj, neighbors.
#include <chrono>

#include "control/cli.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "io/interface.hpp"
#include "net/arp/neighbor.hpp"
#include "net/fib/adj.hpp"
#include "net/ip/icmp_req.hpp"
#include "net/ip/ip_ops.hpp"

namespace vp {

namespace {

uint32_t parse_table(Args& a) { return a.accept("table") ? uint32_t(a.num("table", UINT32_MAX)) : 0; }

const char* kind_word(RouteKind k) {
  switch (k) {
    case RouteKind::drop:
      return "drop";
    case RouteKind::unreachable:
      return "unreachable";
    case RouteKind::prohibit:
      return "prohibit";
    case RouteKind::connected:
      return "connected";
    case RouteKind::local:
      return "local";
    default:
      return "";
  }
}

// "via <addr> [<if>] [weight <w>]" | "via <if>" | "[via] drop|unreachable|prohibit"
void parse_target(Args& a, ops::Route& r, bool for_del) {
  bool via = a.accept("via");
  for (auto k : {RouteKind::drop, RouteKind::unreachable, RouteKind::prohibit})
    if (a.accept(kind_word(k))) {
      r.kind = k;
      return;
    }
  if (!via) {
    if (for_del) return;
    fail("say via <next-hop> [<interface>], via <interface>, or drop|unreachable|prohibit");
  }
  RoutePath p;
  IpAddr nh;
  std::string w = a.word("next hop or interface");
  if (try_parse_ip(w, nh)) {
    p.nh = nh;
    p.has_nh = true;
    if (!a.done() && a.peek() != "weight") p.sw_if = a.iface().index;
  } else {
    p.sw_if = ifs().get(w).index;
  }
  if (a.accept("weight")) p.weight = uint16_t(a.num("weight", 65535));
  r.path = p;
}

void route_cmd(Args& a, Out& o, bool add) {
  uint64_t count = 1;
  if (add && a.accept("count")) count = a.num("count", 16 * 1000 * 1000);
  ops::Route r;
  r.prefix = parse_prefix(a.word("prefix"));
  r.table = parse_table(a);
  parse_target(a, r, !add);
  a.end();
  if (count == 1) return add ? ops::route_add(r) : ops::route_del(r);
  // Bulk: n consecutive prefixes of the same length (VPP's test helper).
  if (r.prefix.len == 0) fail("count needs a prefix with a length");
  const bool v6 = r.prefix.addr.v6;
  const int bits = v6 ? 128 : 32;
  u128 step = u128(1) << (bits - r.prefix.len);
  u128 base = v6 ? ip6_key(r.prefix.masked().addr.b.data()) : r.prefix.masked().addr.v4_host();
  u128 space = v6 ? ~u128(0) : (u128(1) << 32) - 1;
  if ((space - base) / step < count - 1)
    fail("{} prefixes from {} run past the end of the address space", count, r.prefix.str());
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t k = 0; k < count; k++) {
    u128 v = base + k * step;
    r.prefix.addr = v6 ? ip_of_key(v) : ip_of_key(uint32_t(v));
    ops::route_add(r);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  o.line("{} routes added in {:.3f} s ({:.0f} routes/s)", count, s, double(count) / s);
  if (o.json) o.j = {{"routes", count}, {"seconds", s}, {"routes_per_second", double(count) / s}};
}

std::string dpo_text(uint32_t d) {
  switch (Dpo::type(d)) {
    case DpoType::adj:
    case DpoType::glean: {
      const Adj* a = adjs().get(Dpo::index(d));
      Interface* i = a ? ifs().at(a->sw_if) : nullptr;
      if (!a) return "adj ?";
      return fmt::format("{} {} adj {}{}", Dpo::type(d) == DpoType::glean ? "glean" : a->nh.str(), i ? i->name : "?",
                         Dpo::index(d), a->complete || a->glean ? "" : " (unresolved)");
    }
    case DpoType::local:
      return "local";
    case DpoType::drop:
      return "drop";
    case DpoType::prohibit:
      return "prohibit";
    case DpoType::lb:
      return fmt::format("recursive lb {}", Dpo::index(d));
    default:
      return "unreachable";
  }
}

template <class K>
void show_fib(Args& a, Out& o, Fib<K>& fib_t) {
  constexpr bool v6 = sizeof(K) == 16;
  uint32_t table = parse_table(a);
  std::optional<Prefix> only;
  std::optional<IpAddr> addr;
  if (!a.done()) {
    std::string w = a.word("prefix or address");
    if (w.find('/') != std::string::npos)
      only = parse_prefix(w);
    else
      addr = parse_ip(w);
  }
  a.end();
  uint32_t fib = fib_t.index_of(table);
  std::vector<typename Fib<K>::ShowEntry> es;
  if (addr) {
    auto e = fib_t.lookup_show(fib, *addr);
    if (!e) fail("no route for {} in table {}", addr->str(), table);
    es.push_back(*e);
  } else {
    if (only && only->addr.v6 != v6) fail("{} is not an IPv{} prefix", only->str(), v6 ? 6 : 4);
    es = fib_t.dump(fib, only ? &*only : nullptr, o.json ? SIZE_MAX : 100000);
  }
  o.line("ipv{}-VRF:{}, fib_index:{}, {} routes, {} MB", v6 ? 6 : 4, table, fib, fib_t.size(fib),
         fib_t.memory_bytes(fib) >> 20);
  nlohmann::json arr = nlohmann::json::array();
  for (auto& e : es) {
    o.line("{} ({}{}{})", e.prefix.str(), source_name(e.src), e.kind == RouteKind::paths ? "" : ", ",
           kind_word(e.kind));
    nlohmann::json paths = nlohmann::json::array();
    for (auto& p : e.paths) {
      Interface* i = p.sw_if != ~0u ? ifs().at(p.sw_if) : nullptr;
      std::string via = p.has_nh ? p.nh.str() : "";
      o.line("  via {}{}{}{}", via, i ? (via.empty() ? "" : " ") + i->name : "", p.weight != 1 ? " weight " : "",
             p.weight != 1 ? std::to_string(p.weight) : "");
      paths.push_back({{"via", via}, {"interface", i ? i->name : ""}, {"weight", p.weight}});
    }
    // Buckets, collapsed into runs.
    nlohmann::json buckets = nlohmann::json::array();
    o.line("  [lb {}, {} bucket{}]", e.lb, e.buckets.size(), e.buckets.size() == 1 ? "" : "s");
    for (size_t k = 0; k < e.buckets.size();) {
      size_t j = k;
      while (j < e.buckets.size() && e.buckets[j] == e.buckets[k]) j++;
      o.line("    [{}{}] {}", k, j - k > 1 ? fmt::format("-{}", j - 1) : "", dpo_text(e.buckets[k]));
      buckets.push_back({{"first", k}, {"last", j - 1}, {"to", dpo_text(e.buckets[k])}});
      k = j;
    }
    arr.push_back({{"prefix", e.prefix.str()},
                   {"source", source_name(e.src)},
                   {"kind", e.kind == RouteKind::paths ? "paths" : kind_word(e.kind)},
                   {"paths", paths},
                   {"lb", e.lb},
                   {"buckets", buckets},
                   {"other_sources", e.other_sources}});
  }
  if (o.json) o.j = {{"table", table}, {"fib_index", fib}, {"routes", fib_t.size(fib)}, {"entries", arr}};
}

void table_cmd(Args& a, bool v6, bool add) {
  uint32_t id = uint32_t(a.num("table", UINT32_MAX));
  a.end();
  add ? ops::ip_table_add(v6, id) : ops::ip_table_del(v6, id);
}

void if_table_cmd(Args& a, bool v6) {
  Interface& i = a.iface();
  uint32_t id = uint32_t(a.num("table", UINT32_MAX));
  a.end();
  ops::set_interface_ip_table(i.index, v6, id);
}

void show_neighbors(Args& a, Out& o, bool v6) {
  a.end();
  nlohmann::json arr = nlohmann::json::array();
  o.line("{:<24}{:<{}}{:<20}{}", "Interface", "IP", v6 ? 40 : 18, "MAC", "Flags");
  for (auto& [k, e] : neighbors().all()) {
    if (k.second.v6 != v6) continue;
    Interface* i = ifs().at(k.first);
    o.line("{:<24}{:<{}}{:<20}{}", i ? i->name : "?", k.second.str(), v6 ? 40 : 18, e.mac.str(),
           e.is_static ? "S" : "D");
    arr.push_back(
        {{"interface", i ? i->name : ""}, {"ip", k.second.str()}, {"mac", e.mac.str()}, {"static", e.is_static}});
  }
  if (o.json) o.j = arr;
}

void show_ip6_interface(Args& a, Out& o) {
  std::vector<Interface*> list;
  if (!a.done())
    list.push_back(&a.iface());
  else
    list = ifs().all();
  a.end();
  nlohmann::json arr = nlohmann::json::array();
  for (auto* i : list) {
    if (!i->ip6_on) {
      if (list.size() == 1) o.line("{}: IPv6 not enabled", i->name);
      continue;
    }
    o.line("{} is {}, table {}", i->name, i->admin_up ? "admin up" : "admin down", fib6().id_of(i->fib6));
    o.line("  link-local address {}", i->ip6_ll.str());
    nlohmann::json globals = nlohmann::json::array();
    for (auto& p : i->addrs)
      if (p.addr.v6) {
        o.line("  global address {}", p.str());
        globals.push_back(p.str());
      }
    arr.push_back({{"interface", i->name},
                   {"link_local", i->ip6_ll.str()},
                   {"addresses", globals},
                   {"table", fib6().id_of(i->fib6)}});
  }
  if (o.json) o.j = arr;
}

// Static routes of one family, as commands.
template <class K>
void running_routes(Fib<K>& fib_t, std::vector<std::string>& out) {
  for (uint32_t id : fib_t.table_ids()) {
    std::string tbl = id ? fmt::format(" table {}", id) : "";
    for (auto& e : fib_t.dump(fib_t.index_of(id))) {
      if (e.src != RouteSource::static_cli) continue;
      if (e.kind != RouteKind::paths) {
        out.push_back(fmt::format("ip route add {}{} {}", e.prefix.str(), tbl, kind_word(e.kind)));
        continue;
      }
      for (auto& p : e.paths) {
        Interface* i = p.sw_if != ~0u ? ifs().at(p.sw_if) : nullptr;
        std::string s = fmt::format("ip route add {}{} via", e.prefix.str(), tbl);
        if (p.has_nh) s += " " + p.nh.str();
        if (i) s += " " + i->name;
        if (p.weight != 1) s += fmt::format(" weight {}", p.weight);
        out.push_back(s);
      }
    }
  }
}

CliRegistration cmds[] = {
    {{"ip table add", "ip table add <n>", "create an IPv4 table (VRF)",
      [](Args& a, Out&) { table_cmd(a, false, true); }}},
    {{"ip table del", "ip table del <n>", "delete an IPv4 table (no interface may use it)",
      [](Args& a, Out&) { table_cmd(a, false, false); }}},
    {{"ip6 table add", "ip6 table add <n>", "create an IPv6 table (VRF)",
      [](Args& a, Out&) { table_cmd(a, true, true); }}},
    {{"ip6 table del", "ip6 table del <n>", "delete an IPv6 table (no interface may use it)",
      [](Args& a, Out&) { table_cmd(a, true, false); }}},
    {{"set interface ip table", "set interface ip table <if> <n>", "put an interface in an IPv4 table",
      [](Args& a, Out&) { if_table_cmd(a, false); }}},
    {{"set interface ip6 table", "set interface ip6 table <if> <n>", "put an interface in an IPv6 table",
      [](Args& a, Out&) { if_table_cmd(a, true); }}},
    {{"enable ip6 interface", "enable ip6 interface <if>", "IPv6 with only a link-local address",
      [](Args& a, Out&) {
        Interface& i = a.iface();
        a.end();
        ops::ip6_enable(i.index, true);
      }}},
    {{"disable ip6 interface", "disable ip6 interface <if>", "turn IPv6 off (no IPv6 address may remain)",
      [](Args& a, Out&) {
        Interface& i = a.iface();
        a.end();
        ops::ip6_enable(i.index, false);
      }}},
    {{"show ip6 interface", "show ip6 interface [<if>]", "IPv6 state: link-local and global addresses, table",
      show_ip6_interface}},
    {{"set interface ip address", "set interface ip address [del] <if> <addr/len>",
      "add (or remove) an interface address: connected and local routes",
      [](Args& a, Out&) {
        bool del = a.accept("del");
        Interface& i = a.iface();
        Prefix p = parse_prefix(a.word("address/length"));
        a.end();
        ops::set_interface_address(i.index, p, del);
      }}},
    {{"set interface proxy-arp", "set interface proxy-arp <if> enable|disable",
      "answer ARP for addresses routed out of other interfaces",
      [](Args& a, Out&) {
        Interface& i = a.iface();
        bool on = a.accept("enable");
        if (!on && !a.accept("disable")) fail("say enable or disable");
        a.end();
        ops::set_proxy_arp(i.index, on);
      }}},
    {{"ip route add",
      "ip route add [count <n>] <prefix> [table <n>] via <addr> [<if>] [weight <w>] | via <if> | "
      "drop|unreachable|prohibit",
      "add a path to a route (repeat for ECMP)", [](Args& a, Out& o) { route_cmd(a, o, true); }}},
    {{"ip route del", "ip route del <prefix> [table <n>] [via <addr> [<if>]]",
      "remove one path, or the whole route without via", [](Args& a, Out& o) { route_cmd(a, o, false); }}},
    {{"show ip fib", "show ip fib [table <n>] [<prefix>|<addr>]", "IPv4 routes and how they forward",
      [](Args& a, Out& o) { show_fib(a, o, fib4()); }}},
    {{"show ip6 fib", "show ip6 fib [table <n>] [<prefix>|<addr>]", "IPv6 routes and how they forward",
      [](Args& a, Out& o) { show_fib(a, o, fib6()); }}},
    {{"show adj", "show adj", "adjacencies (neighbours and glean)",
      [](Args& a, Out& o) {
        a.end();
        nlohmann::json arr = nlohmann::json::array();
        for (auto& x : adj_table().dump()) {
          Interface* i = ifs().at(x.adj.sw_if);
          std::string mac = x.adj.complete ? fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", x.adj.rewrite[0],
                                                         x.adj.rewrite[1], x.adj.rewrite[2], x.adj.rewrite[3],
                                                         x.adj.rewrite[4], x.adj.rewrite[5])
                                           : "";
          std::string what = x.adj.glean ? "glean" : x.adj.nh.str();
          o.line("[@{}] {} {} {} mtu {} refs {}", x.index, what, i ? i->name : "?",
                 x.adj.glean ? "" : (x.adj.complete ? mac : "incomplete"), x.adj.mtu, x.refs);
          arr.push_back({{"index", x.index},
                         {"interface", i ? i->name : ""},
                         {"next_hop", what},
                         {"complete", x.adj.complete},
                         {"mac", mac},
                         {"mtu", x.adj.mtu},
                         {"refs", x.refs}});
        }
        if (o.json) o.j = arr;
      }}},
    {{"ip neighbor", "ip neighbor [del] <if> <addr> <mac>", "static neighbour (ARP or ND) entry",
      [](Args& a, Out&) {
        bool del = a.accept("del");
        Interface& i = a.iface();
        IpAddr ip = parse_ip(a.word("address"));
        if (del) {
          if (!a.done()) a.word("mac");
          a.end();
          return ops::neighbor_del(i.index, ip);
        }
        Mac m = parse_mac(a.word("MAC address"));
        a.end();
        ops::neighbor_add(i.index, ip, m);
      }}},
    {{"show ip neighbors", "show ip neighbors", "IPv4 neighbours (ARP)",
      [](Args& a, Out& o) { show_neighbors(a, o, false); }}},
    {{"show ip6 neighbors", "show ip6 neighbors", "IPv6 neighbours (ND)",
      [](Args& a, Out& o) { show_neighbors(a, o, true); }}},
    {{"set ip icmp rate-limit", "set ip icmp rate-limit <errors-per-second>",
      "most ICMP and ICMPv6 errors each thread sends per second",
      [](Args& a, Out&) {
        uint32_t r = uint32_t(a.num("rate", 10000000));
        a.end();
        g_icmp_rate.store(r);
      }}},
};

RunningConfigRegistration rc_tables{9, [](std::vector<std::string>& out) {
                                      for (uint32_t id : fib4().table_ids())
                                        if (id) out.push_back(fmt::format("ip table add {}", id));
                                      for (uint32_t id : fib6().table_ids())
                                        if (id) out.push_back(fmt::format("ip6 table add {}", id));
                                      if (uint32_t r = g_icmp_rate.load(); r != kIcmpRateDefault)
                                        out.push_back(fmt::format("set ip icmp rate-limit {}", r));
                                    }};

RunningConfigRegistration rc_ifs{
    15, [](std::vector<std::string>& out) {
      for (auto* i : ifs().all()) {
        if (i->fib4) out.push_back(fmt::format("set interface ip table {} {}", i->name, fib4().id_of(i->fib4)));
        if (i->fib6) out.push_back(fmt::format("set interface ip6 table {} {}", i->name, fib6().id_of(i->fib6)));
        if (i->ip6_enabled_cmd) out.push_back(fmt::format("enable ip6 interface {}", i->name));
        for (auto& p : i->addrs) out.push_back(fmt::format("set interface ip address {} {}", i->name, p.str()));
        if (i->proxy_arp) out.push_back(fmt::format("set interface proxy-arp {} enable", i->name));
      }
    }};

RunningConfigRegistration rc_routes{
    30, [](std::vector<std::string>& out) {
      for (auto& [k, e] : neighbors().all())
        if (e.is_static && ifs().at(k.first))
          out.push_back(fmt::format("ip neighbor {} {} {}", ifs().at(k.first)->name, k.second.str(), e.mac.str()));
      running_routes(fib4(), out);
      running_routes(fib6(), out);
    }};

}  // namespace
}  // namespace vp
