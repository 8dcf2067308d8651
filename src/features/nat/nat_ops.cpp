#include "features/nat/nat_ops.hpp"

#include <fmt/format.h>
#include <netinet/in.h>

#include "features/fw/fw_config.hpp"
#include "features/fw/fw_ops.hpp"
#include "features/nat/nat_runtime.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "infra/parse.hpp"
#include "io/interface.hpp"

namespace vp::nat {

Config& config() {
  static Config c;
  return c;
}

namespace {
std::string ip_str(uint32_t host) {
  IpAddr a;
  a.b = {uint8_t(host >> 24), uint8_t(host >> 16), uint8_t(host >> 8), uint8_t(host)};
  return a.str();
}

Interface& existing(const std::string& ifname) {
  Interface* i = ifs().find(ifname);
  if (!i) fail("unknown interface {}: see show interface", ifname);
  return *i;
}

// Two mappings claim the same outside endpoint.
bool same_external(const StaticMapping& a, const StaticMapping& b) {
  if (a.external_if != b.external_if || a.external != b.external) return false;
  if (!a.proto || !b.proto) return true;  // an address-only mapping takes every port
  return a.proto == b.proto && a.external_port == b.external_port;
}
}  // namespace

uint32_t if_address(const std::string& ifname) {
  Interface* i = ifs().find(ifname);
  if (!i) return 0;
  for (const Prefix& p : i->addrs)
    if (!p.addr.v6) return p.addr.v4_host();
  return 0;
}

void add_pool(const Pool& p, bool del) {
  Config& c = config();
  if (p.lo > p.hi) fail("address range {} - {} is backwards: give the lower address first", ip_str(p.lo), ip_str(p.hi));
  if (p.hi - p.lo >= 65536) fail("address range {} - {} holds more than 65536 addresses", ip_str(p.lo), ip_str(p.hi));
  if (p.lo == 0) fail("0.0.0.0 cannot be an outside address");
  for (auto it = c.pools.begin(); it != c.pools.end(); ++it) {
    if (del && it->lo == p.lo && it->hi == p.hi) {
      c.pools.erase(it);
      republish();
      return;
    }
    if (!del && p.lo <= it->hi && it->lo <= p.hi)
      fail("address range {} - {} overlaps {} - {}, already added", ip_str(p.lo), ip_str(p.hi), ip_str(it->lo),
           ip_str(it->hi));
  }
  if (del) fail("no address range {} - {} to delete: see show nat44 addresses", ip_str(p.lo), ip_str(p.hi));
  c.pools.push_back(p);
  republish();
}

void add_interface_address(const std::string& ifname, bool del) {
  Config& c = config();
  auto it = std::find(c.if_addresses.begin(), c.if_addresses.end(), ifname);
  if (del) {
    if (it == c.if_addresses.end()) fail("interface {} gives no NAT44 address: nothing to delete", ifname);
    c.if_addresses.erase(it);
  } else {
    existing(ifname);
    if (it != c.if_addresses.end()) fail("interface {} already gives a NAT44 address", ifname);
    c.if_addresses.push_back(ifname);
  }
  republish();
}

void set_interface(const std::string& ifname, const IfRole& r, bool del) {
  Config& c = config();
  if (!r.in && !r.out) fail("say in <if> or out <if>");
  if (r.output_feature && !r.out) fail("output-feature applies to an out interface");
  existing(ifname);
  IfRole now = c.interfaces.count(ifname) ? c.interfaces[ifname] : IfRole{};
  if (del) {
    if ((r.in && !now.in) || (r.out && !now.out))
      fail("interface {} is not a NAT44 {} interface: nothing to delete", ifname, r.in && !now.in ? "in" : "out");
    if (r.in) now.in = false;
    if (r.out) now.out = now.output_feature = false;
  } else {
    now.in |= r.in;
    if (r.out) {
      now.out = true;
      now.output_feature = r.output_feature;
    }
  }
  if (!now.in && !now.out)
    c.interfaces.erase(ifname);
  else
    c.interfaces[ifname] = now;
  republish();
}

void set_port_range(uint16_t lo, uint16_t hi) {
  if (lo == 0 || lo > hi) fail("port range {}-{} is not a range of ports from 1 to 65535", lo, hi);
  const uint32_t n = std::max<uint32_t>(1, uint32_t(threads().forwarding().size()));
  if (uint32_t(hi - lo + 1) < n) fail("port range {}-{} has fewer ports than the {} forwarding workers", lo, hi, n);
  config().port_lo = lo;
  config().port_hi = hi;
  republish();
}

void add_static(const StaticMapping& m, bool del) {
  Config& c = config();
  if (m.proto && m.proto != IPPROTO_TCP && m.proto != IPPROTO_UDP && m.proto != IPPROTO_ICMP)
    fail("a mapping's protocol is tcp, udp or icmp");
  if (!m.proto && (m.local_port || m.external_port)) fail("ports need a protocol: tcp, udp or icmp");
  // As `nat44 add identity mapping <ip|if> [tcp|udp <port>]` says: the
  // running configuration has no words for anything else.
  if (m.identity && m.proto == IPPROTO_ICMP) fail("an identity mapping's protocol is tcp or udp");
  if (m.identity && m.twice_nat) fail("an identity mapping translates nothing: twice-nat does not apply");
  if (m.proto && !m.identity && (!m.local_port || !m.external_port))
    fail("a {} mapping needs a local and an external port", m.proto == IPPROTO_ICMP  ? "icmp"
                                                            : m.proto == IPPROTO_TCP ? "tcp"
                                                                                     : "udp");
  if (!m.external_if.empty()) existing(m.external_if);
  for (auto it = c.statics.begin(); it != c.statics.end(); ++it) {
    if (!same_external(*it, m) || it->identity != m.identity) {
      if (!del && same_external(*it, m))
        fail("the external endpoint is already mapped: delete that mapping first (show nat44 static mappings)");
      continue;
    }
    if (del) {
      c.statics.erase(it);
      republish();
      return;
    }
    fail("the external endpoint is already mapped: delete that mapping first (show nat44 static mappings)");
  }
  if (del) fail("no such mapping to delete: see show nat44 static mappings");
  c.statics.push_back(m);
  republish();
}

void set_forwarding(bool on) {
  config().forwarding = on;
  republish();
}

void set_timeout(const std::string& which, uint32_t seconds) {
  fw::FlowSettings f = fw::config().flow;
  if (which == "udp") {
    f.timeouts.s[fw::kUdp] = seconds;
  } else if (which == "tcp-established") {
    f.timeouts.s[fw::kTcpEstablished] = seconds;
  } else if (which == "tcp-transitory") {
    f.timeouts.s[fw::kTcpInitial] = f.timeouts.s[fw::kTcpClosing] = f.timeouts.s[fw::kTcpTimeWait] = seconds;
  } else if (which == "icmp") {
    f.timeouts.s[fw::kIcmp] = seconds;
  } else {
    fail("unknown timeout '{}': expected udp, tcp-established, tcp-transitory or icmp", which);
  }
  fw::set_flow(f);
}

}  // namespace vp::nat
