#pragma once
// Typed operations on NAT44's configuration (nat_config.hpp). The CLI
// (nat_cli.cpp) parses its lines into these and the Nat API calls them.
// Each one validates against the current Config and throws vp::Error (one
// line naming what is wrong) having changed nothing, or applies completely
// and republishes what the workers read.
#include <string>

#include "features/nat/nat_config.hpp"

namespace vp::nat {

// Adds a range of outside addresses, or (del) removes exactly that range.
// Ranges may not overlap.
void add_pool(const Pool& p, bool del);
// Source translation to the interface's first IPv4 address, whatever it is
// at the time (followed as it changes).
void add_interface_address(const std::string& ifname, bool del);
// Adds the roles set in `r` to the interface, or (del) removes them.
void set_interface(const std::string& ifname, const IfRole& r, bool del);
// At least one port per forwarding worker; sessions holding ports outside
// the new range keep them until they end.
void set_port_range(uint16_t lo, uint16_t hi);
// Adds a static or identity mapping, or (del) removes the one with the same
// external endpoint (identity: the same address, protocol and port). An
// identity mapping is its external side (external or external_if, and
// external_port); the workers take its local side from it.
void add_static(const StaticMapping& m, bool del);
void set_forwarding(bool on);

// The session timeouts NAT sessions share with the firewall's (VPP's words:
// udp, tcp-established, tcp-transitory, icmp).
void set_timeout(const std::string& which, uint32_t seconds);

// The outside addresses an interface's first IPv4 address gives (0: none).
uint32_t if_address(const std::string& ifname);

}  // namespace vp::nat
