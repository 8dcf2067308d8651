#pragma once
// Names for what sessions hold as numbers, for show commands and flow logs.
#include <cstdint>
#include <string>

#include "infra/parse.hpp"

namespace vp::fw {

// A session key's address (IPv4 stored v4-mapped) as the address it is.
IpAddr session_addr(const uint8_t* a);
// "junos-host" for the router itself, "N/A" for an id no zone has.
std::string zone_name(uint8_t id);
// "default-policy" for 0, "N/A" for an id no policy has.
std::string policy_name(uint32_t id);

}  // namespace vp::fw
