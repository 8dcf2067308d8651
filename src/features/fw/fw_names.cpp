#include "features/fw/fw_names.hpp"

#include <netinet/in.h>

#include <cstring>

#include "features/fw/fw_config.hpp"
#include "features/fw/fw_state.hpp"

namespace vp::fw {

IpAddr session_addr(const uint8_t* a) {
  IpAddr r;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a, kMapped, 12) == 0) {
    std::memcpy(r.b.data(), a + 12, 4);
  } else {
    r.v6 = true;
    std::memcpy(r.b.data(), a, 16);
  }
  return r;
}

std::string zone_name(uint8_t id) {
  if (id == kHostZone) return "junos-host";
  for (auto& [n, z] : config().zones)
    if (z.id == id) return n;
  return "N/A";
}

std::string policy_name(uint32_t id) {
  if (id == 0) return "default-policy";
  for (auto& [pair, list] : config().policies)
    for (auto& p : list)
      if (p.id == id) return p.name;
  for (auto& p : config().global)
    if (p.id == id) return p.name;
  return "N/A";
}

const char* proto_name(uint8_t p) {
  switch (p) {
    case IPPROTO_TCP:
      return "tcp";
    case IPPROTO_UDP:
      return "udp";
    case IPPROTO_ICMP:
      return "icmp";
    case IPPROTO_ICMPV6:
      return "icmp6";
    default:
      return nullptr;
  }
}

}  // namespace vp::fw
