// NAT44's commands in VPP's words (docs/nat.md), parsed into the typed
// operations of nat_ops.hpp; its show commands; its part of
// show running-config.
#include <fmt/format.h>

#include "control/cli.hpp"
#include "features/fw/fw_sessions.hpp"
#include "features/nat/nat_ops.hpp"
#include "features/nat/nat_sessions.hpp"
#include "features/nat/nat_state.hpp"
#include "infra/error.hpp"
#include "infra/parse.hpp"
#include "net/fib/fib.hpp"

namespace vp::nat {

namespace {

uint32_t ip4(const std::string& w) {
  IpAddr a;
  if (!try_parse_ip(w, a) || a.v6) fail("'{}' is not an IPv4 address", w);
  return a.v4_host();
}

std::string ip_str(uint32_t host) {
  IpAddr a;
  a.b = {uint8_t(host >> 24), uint8_t(host >> 16), uint8_t(host >> 8), uint8_t(host)};
  return a.str();
}
std::string ip_be(uint32_t be) { return ip_str(rte_be_to_cpu_32(be)); }

const char* proto_word(uint8_t p) {
  return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : p == IPPROTO_ICMP ? "icmp" : "";
}

uint8_t proto_of(Args& a, bool icmp_ok) {
  if (a.accept("tcp")) return IPPROTO_TCP;
  if (a.accept("udp")) return IPPROTO_UDP;
  if (icmp_ok && a.accept("icmp")) return IPPROTO_ICMP;
  return 0;
}

bool is_number(const std::string& w) { return !w.empty() && w.find_first_not_of("0123456789") == std::string::npos; }

uint16_t port(Args& a, const char* what) { return uint16_t(a.num(what, 65535)); }

// nat44 add address <ip>[ - <ip>] [tenant-vrf <n>] [twice-nat] [del]
void add_address_cmd(Args& a, Out&) {
  Pool p;
  std::string first = a.word("address");
  std::string last;
  if (auto dash = first.find('-'); dash != std::string::npos) {
    last = first.substr(dash + 1);
    first.resize(dash);
  } else if (a.accept("-")) {
    last = a.word("last address of the range");
  }
  p.lo = ip4(first);
  p.hi = last.empty() ? p.lo : ip4(last);
  bool del = false;
  while (!a.done()) {
    if (a.accept("tenant-vrf"))
      p.tenant_vrf = uint32_t(a.num("tenant-vrf table id", 0xfffffffe));
    else if (a.accept("twice-nat"))
      p.twice_nat = true;
    else if (a.accept("del"))
      del = true;
    else
      fail("unknown word '{}': expected tenant-vrf <n>, twice-nat or del", a.peek());
  }
  add_pool(p, del);
}

// nat44 add interface address <if> [del]
void add_if_address_cmd(Args& a, Out&) {
  const std::string ifname = a.word("interface name");
  const bool del = a.accept("del");
  a.end();
  add_interface_address(ifname, del);
}

// set interface nat44 [in <if>] [out <if>] [output-feature] [del]
void set_interface_cmd(Args& a, Out&) {
  std::vector<std::pair<std::string, IfRole>> todo;
  bool output_feature = false, del = false;
  while (!a.done()) {
    if (a.accept("in")) {
      todo.push_back({a.word("interface name"), IfRole{.in = true}});
    } else if (a.accept("out")) {
      todo.push_back({a.word("interface name"), IfRole{.out = true}});
    } else if (a.accept("output-feature")) {
      output_feature = true;
    } else if (a.accept("del")) {
      del = true;
    } else {
      fail("unknown word '{}': expected in <if>, out <if>, output-feature or del", a.peek());
    }
  }
  if (todo.empty()) fail("set interface nat44 needs in <if> or out <if>");
  for (auto& [name, r] : todo)
    if (!ifs().find(name)) fail("unknown interface {}: see show interface", name);
  for (auto& [name, r] : todo) {
    r.output_feature = output_feature && r.out;
    if (output_feature && r.in) fail("output-feature applies to an out interface");
  }
  for (auto& [name, r] : todo) set_interface(name, r, del);
}

// set nat44 port-range <lo>-<hi>
void port_range_cmd(Args& a, Out&) {
  const std::string w = a.word("port range <lo>-<hi>");
  a.end();
  const auto dash = w.find('-');
  if (dash == std::string::npos) fail("port range '{}' is not <lo>-<hi>", w);
  const uint64_t lo = parse_uint(w.substr(0, dash), 65535, "port range start");
  const uint64_t hi = parse_uint(w.substr(dash + 1), 65535, "port range end");
  set_port_range(uint16_t(lo), uint16_t(hi));
}

// nat44 add static mapping [tcp|udp|icmp] local <ip> [<port>] external <ip|if> [<port>] [twice-nat] [del]
void static_cmd(Args& a, Out&) {
  StaticMapping m;
  m.proto = proto_of(a, true);
  if (!a.accept("local")) fail("expected local <ip> [<port>]");
  m.local = ip4(a.word("local address"));
  if (!a.done() && is_number(a.peek())) m.local_port = port(a, "local port");
  if (!a.accept("external")) fail("expected external <ip|if> [<port>]");
  const std::string ext = a.word("external address or interface");
  IpAddr ea;
  if (try_parse_ip(ext, ea)) {
    if (ea.v6) fail("'{}' is not an IPv4 address", ext);
    m.external = ea.v4_host();
  } else {
    m.external_if = ext;
  }
  if (!a.done() && is_number(a.peek())) m.external_port = port(a, "external port");
  bool del = false;
  while (!a.done()) {
    if (a.accept("twice-nat"))
      m.twice_nat = true;
    else if (a.accept("del"))
      del = true;
    else
      fail("unknown word '{}': expected twice-nat or del", a.peek());
  }
  add_static(m, del);
}

// nat44 add identity mapping <ip|if> [tcp|udp <port>] [del]
void identity_cmd(Args& a, Out&) {
  StaticMapping m;
  m.identity = true;
  const std::string w = a.word("address or interface");
  IpAddr ia;
  if (try_parse_ip(w, ia)) {
    if (ia.v6) fail("'{}' is not an IPv4 address", w);
    m.external = m.local = ia.v4_host();
  } else {
    m.external_if = w;
  }
  if ((m.proto = proto_of(a, false))) m.external_port = m.local_port = port(a, "port");
  const bool del = a.accept("del");
  a.end();
  add_static(m, del);
}

void forwarding_cmd(Args& a, Out&) {
  bool on;
  if (a.accept("enable"))
    on = true;
  else if (a.accept("disable"))
    on = false;
  else
    fail("expected enable or disable");
  a.end();
  set_forwarding(on);
}

// set nat timeout <udp|tcp-established|tcp-transitory|icmp> <seconds>
void timeout_cmd(Args& a, Out&) {
  const std::string which = a.word("udp, tcp-established, tcp-transitory or icmp");
  const uint32_t s = uint32_t(a.num("seconds", 86400 * 7));
  a.end();
  if (!s) fail("a timeout is at least 1 second");
  set_timeout(which, s);
}

// ---- show

std::string endpoint(const IpAddr& a, uint16_t port) { return fmt::format("{}:{}", a.str(), port); }

void show_sessions(Args& a, Out& o) {
  const bool detail = a.accept("detail");
  a.end();
  nlohmann::json arr = nlohmann::json::array();
  uint64_t n = 0;
  fw::visit_sessions(fw::ClearFilter{}, 0, [&](const fw::SessionView& v) {
    if (!v.nat) return true;
    n++;
    const char* proto = v.proto == IPPROTO_TCP    ? "TCP"
                        : v.proto == IPPROTO_UDP  ? "UDP"
                        : v.proto == IPPROTO_ICMP ? "ICMP"
                                                  : "other";
    o.line("  i2o {} -> {} proto {} fib {}", endpoint(v.src, v.sport), endpoint(v.dst, v.dport), proto, v.vrf);
    o.line("  o2i {} -> {} proto {} fib {}", endpoint(v.xdst, v.xdport), endpoint(v.xsrc, v.xsport), proto, v.vrf);
    if (detail)
      o.line("       state {}, timeout in {} s, worker {}, i2o {} pkts {} bytes, o2i {} pkts {} bytes", v.state,
             v.timeout_left, v.worker, v.packets[0], v.bytes[0], v.packets[1], v.bytes[1]);
    arr.push_back({{"worker", v.worker},
                   {"protocol", proto},
                   {"vrf", v.vrf},
                   {"inside_source", v.src.str()},
                   {"inside_source_port", v.sport},
                   {"inside_destination", v.dst.str()},
                   {"inside_destination_port", v.dport},
                   {"outside_source", v.xsrc.str()},
                   {"outside_source_port", v.xsport},
                   {"outside_destination", v.xdst.str()},
                   {"outside_destination_port", v.xdport},
                   {"state", v.state},
                   {"timeout", v.timeout_left},
                   {"packets_i2o", v.packets[0]},
                   {"bytes_i2o", v.bytes[0]},
                   {"packets_o2i", v.packets[1]},
                   {"bytes_o2i", v.bytes[1]}});
    return true;
  });
  o.text = fmt::format("NAT44 ED sessions: {}\n", n) + o.text;
  o.j = {{"sessions", arr}, {"total", n}};
}

void show_addresses(Args& a, Out& o) {
  a.end();
  const NatState& st = nat_state();
  const auto used = sessions_by_address();
  nlohmann::json arr = nlohmann::json::array();
  auto list = [&](const char* title, const std::vector<OutsideAddr>& v) {
    o.line("{}:", title);
    for (const OutsideAddr& x : v) {
      const std::string s = ip_be(x.addr);
      const bool ifaddr = x.kind & kIfAddr;
      // The workers hold a FIB index (~1u: the table does not exist); the
      // operator named a table id.
      const std::string tenant = x.tenant_vrf == ~0u   ? "any"
                                 : x.tenant_vrf == ~1u ? "missing"
                                                       : std::to_string(fib4().id_of(x.tenant_vrf));
      const auto it = used.find(rte_be_to_cpu_32(x.addr));
      const uint64_t n = it == used.end() ? 0 : it->second;
      o.line("  {:<16} {:<10} tenant VRF {:<6} {} sessions", s, ifaddr ? "interface" : "pool", tenant, n);
      arr.push_back({{"address", s},
                     {"kind", ifaddr ? "interface" : "pool"},
                     {"twice_nat", bool(x.kind & kTwicePool)},
                     {"tenant_vrf", tenant},
                     {"sessions", n}});
    }
  };
  list("NAT44 pool addresses", st.snat);
  list("NAT44 twice-nat pool addresses", st.twice);
  // Interfaces named by `nat44 add interface address` that have no address yet.
  for (const std::string& n : config().if_addresses)
    if (!if_address(n)) o.line("  {} has no IPv4 address yet", n);
  o.j = {{"addresses", arr}};
}

std::string static_line(const StaticMapping& m) {
  const std::string proto = m.proto ? fmt::format("{} ", proto_word(m.proto)) : "";
  const std::string ext = m.external_if.empty() ? ip_str(m.external) : m.external_if;
  if (m.identity)
    return fmt::format("{}{}", ext, m.proto ? fmt::format(" {} {}", proto_word(m.proto), m.external_port) : "");
  return fmt::format("{}local {}{} external {}{}{}", proto, ip_str(m.local),
                     m.local_port ? fmt::format(" {}", m.local_port) : "", ext,
                     m.external_port ? fmt::format(" {}", m.external_port) : "", m.twice_nat ? " twice-nat" : "");
}

void show_statics(Args& a, Out& o) {
  a.end();
  nlohmann::json arr = nlohmann::json::array();
  o.line("NAT44 static mappings:");
  for (const StaticMapping& m : config().statics) {
    o.line("  {} {}", m.identity ? "identity" : "static", static_line(m));
    const uint32_t ext = m.external_if.empty() ? m.external : if_address(m.external_if);
    arr.push_back({{"identity", m.identity},
                   {"protocol", proto_word(m.proto)},
                   {"local", ip_str(m.identity ? ext : m.local)},
                   {"local_port", m.identity ? m.external_port : m.local_port},
                   {"external", ext ? ip_str(ext) : ""},
                   {"external_interface", m.external_if},
                   {"external_port", m.external_port},
                   {"twice_nat", m.twice_nat}});
  }
  o.j = {{"static_mappings", arr}};
}

void show_summary(Args& a, Out& o) {
  a.end();
  const auto [total, tcp, udp, icmp] = session_counts();
  const Config& c = config();
  const NatState& st = nat_state();
  o.line("translated sessions: {} (tcp {}, udp {}, icmp {}, other {})", total, tcp, udp, icmp,
         total - tcp - udp - icmp);
  o.line("port range: {}-{}, {} ports per worker over {} workers", c.port_lo, c.port_hi, st.port_share,
         st.workers.size());
  o.line("forwarding: {}", c.forwarding ? "enabled" : "disabled");
  nlohmann::json counters = nlohmann::json::object();
  for (auto& [node, reason, n] : nat_counters()) {
    o.line("{:>12}  {}", n, reason);
    counters[reason] = counters.value(reason, uint64_t(0)) + n;
  }
  o.j = {{"sessions", total},
         {"tcp", tcp},
         {"udp", udp},
         {"icmp", icmp},
         {"port_lo", c.port_lo},
         {"port_hi", c.port_hi},
         {"port_share", st.port_share},
         {"forwarding", c.forwarding},
         {"counters", counters}};
}

void running(std::vector<std::string>& out) {
  const Config& c = config();
  for (const Pool& p : c.pools)
    out.push_back(fmt::format(
        "nat44 add address {}{}{}{}", ip_str(p.lo), p.hi != p.lo ? fmt::format(" - {}", ip_str(p.hi)) : "",
        p.tenant_vrf != ~0u ? fmt::format(" tenant-vrf {}", p.tenant_vrf) : "", p.twice_nat ? " twice-nat" : ""));
  for (const std::string& n : c.if_addresses) out.push_back(fmt::format("nat44 add interface address {}", n));
  if (c.port_lo != Config{}.port_lo || c.port_hi != Config{}.port_hi)
    out.push_back(fmt::format("set nat44 port-range {}-{}", c.port_lo, c.port_hi));
  for (const StaticMapping& m : c.statics)
    out.push_back(fmt::format("nat44 add {} mapping {}", m.identity ? "identity" : "static", static_line(m)));
  if (c.forwarding) out.push_back("nat44 forwarding enable");
  for (auto& [name, r] : c.interfaces) {
    if (r.in) out.push_back(fmt::format("set interface nat44 in {}", name));
    if (r.out)
      out.push_back(fmt::format("set interface nat44 out {}{}", name, r.output_feature ? " output-feature" : ""));
  }
}

CliRegistration cmds[] = {
    {{"nat44 add address", "nat44 add address <ip>[ - <ip>] [tenant-vrf <n>] [twice-nat] [del]",
      "add (or delete) outside addresses for source NAT", add_address_cmd}},
    {{"nat44 add interface address", "nat44 add interface address <if> [del]",
      "source NAT to the interface's IPv4 address, following its changes", add_if_address_cmd}},
    {{"set interface nat44", "set interface nat44 [in <if>] [out <if>] [output-feature] [del]",
      "make interfaces inside or outside ones", set_interface_cmd}},
    {{"set nat44 port-range", "set nat44 port-range <lo>-<hi>", "the outside ports source NAT hands out",
      port_range_cmd}},
    {{"nat44 add static mapping",
      "nat44 add static mapping [tcp|udp|icmp] local <ip> [<port>] external <ip|if> [<port>] [twice-nat] [del]",
      "a 1:1 address mapping, or port forwarding with a protocol and ports", static_cmd}},
    {{"nat44 add identity mapping", "nat44 add identity mapping <ip|if> [tcp|udp <port>] [del]",
      "an address (or port) never translated", identity_cmd}},
    {{"nat44 forwarding", "nat44 forwarding enable|disable",
      "pass traffic from outside that no session or mapping explains, untranslated", forwarding_cmd}},
    {{"set nat timeout", "set nat timeout <udp|tcp-established|tcp-transitory|icmp> <seconds>",
      "session timeouts (shared with the firewall's flow timeouts)", timeout_cmd}},
    {{"show nat44 sessions", "show nat44 sessions [detail]", "translated sessions, both tuples", show_sessions}},
    {{"show nat44 addresses", "show nat44 addresses", "pool and interface addresses, with their sessions",
      show_addresses}},
    {{"show nat44 static mappings", "show nat44 static mappings", "static and identity mappings", show_statics}},
    {{"show nat44 summary", "show nat44 summary", "session counts, port range, NAT drop counters", show_summary}},
};

// After the interfaces (10, 15), the routes (30) and the firewall (40),
// with the roles last: interfaces translate only once their addresses exist.
RunningConfigRegistration rc{45, running};

}  // namespace

}  // namespace vp::nat
