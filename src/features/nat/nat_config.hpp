#pragma once
// NAT44's configuration, in VPP's terms (docs/nat.md): outside addresses
// (pools and interface addresses), the role of each interface, static and
// identity mappings, the port range and forwarding. Owned by the main
// thread; nat_ops.hpp changes it, nat_runtime publishes what the workers
// read (nat_state.hpp).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace vp::nat {

// A range of outside addresses (host order), one `nat44 add address` line.
struct Pool {
  uint32_t lo = 0, hi = 0;
  uint32_t tenant_vrf = ~0u;  // ~0: any inside VRF
  bool twice_nat = false;
  bool operator==(const Pool&) const = default;
};

// Which side of the translation an interface is.
struct IfRole {
  bool in = false, out = false;
  bool output_feature = false;  // out: translates all traffic leaving by it, from any interface
  bool operator==(const IfRole&) const = default;
};

// One `nat44 add static mapping` or `nat44 add identity mapping` line.
// proto 0 is an address-only mapping (every protocol, ports kept).
struct StaticMapping {
  uint8_t proto = 0;
  uint32_t local = 0;       // host order
  uint16_t local_port = 0;  // host order, 0 with proto 0
  uint32_t external = 0;    // host order; 0 when external_if names it
  std::string external_if;  // the interface whose first IPv4 address is the external one
  uint16_t external_port = 0;
  bool twice_nat = false;
  bool identity = false;  // local == external, nothing translated
  bool operator==(const StaticMapping&) const = default;
};

struct Config {
  std::vector<Pool> pools;                   // in the order added
  std::vector<std::string> if_addresses;     // `nat44 add interface address`, in order
  std::map<std::string, IfRole> interfaces;  // by name
  std::vector<StaticMapping> statics;        // static and identity mappings, in order
  uint16_t port_lo = 1024, port_hi = 65535;
  bool forwarding = false;
};

Config& config();

}  // namespace vp::nat
