#include "features/fw/fw_names.hpp"

#include <cstring>

#include "features/fw/fw_config.hpp"
#include "features/fw/fw_state.hpp"
#include "features/fw/fw_words.hpp"

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

std::string ip_proto_name(uint8_t p) {
  for (auto& e : kIpProtos)
    if (e.value == p) return e.name;
  return std::to_string(p);
}

std::optional<uint8_t> ip_proto_of(std::string_view w) {
  for (auto& e : kIpProtos)
    if (w == e.name) return e.value;
  if (w.empty() || w.size() > 3 || w.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  const unsigned v = unsigned(std::stoul(std::string(w)));
  return v <= 255 ? std::optional<uint8_t>(uint8_t(v)) : std::nullopt;
}

}  // namespace vp::fw
