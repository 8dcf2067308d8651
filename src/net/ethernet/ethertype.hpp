#pragma once
// Ethertype → node registrations: ip4-input, ip6-input, arp-input register
// here (routing issue) without editing ethernet-input.
#include <cstdint>
#include <string>

namespace vp {

struct EthertypeRegistration {
  EthertypeRegistration(uint16_t type, std::string node);
};

}  // namespace vp
