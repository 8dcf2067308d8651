#pragma once
// NAT44's main-thread side: from the Config (and the interfaces'
// addresses) to the NatState the workers read, the local routes that make
// outside addresses answer ARP and be taken, and the firewall's session
// tables and nodes on every interface with a role.
#include <cstdint>

namespace vp::nat {

// Rebuilds and publishes NatState; called after every applied change and
// when an interface's addresses change.
void republish();

// Whether any interface has a NAT44 role (the firewall then builds its
// session tables with room for translations, and runs its nodes there).
bool active();
// The published roles of an interface (nat_state.hpp RoleBits).
uint8_t role(uint32_t sw_if);

}  // namespace vp::nat
