#pragma once
// Typed operations on interfaces. The CLI parses into these; the API calls
// them too. Each validates everything first and throws vp::Error (changing
// nothing) or applies the change completely.
#include <map>
#include <optional>
#include <string>

#include "infra/parse.hpp"
#include "io/tap/port_tap.hpp"

namespace vp::ops {

uint32_t create_af_packet(const std::string& linux_if);
struct AfXdpArgs {
  std::string host_if, name;
  uint16_t rx_queues = 1;
};
uint32_t create_af_xdp(const AfXdpArgs& a);
uint32_t create_tap(const TapArgs& a);  // a.id == UINT32_MAX: next free id
void create_memif_socket(uint32_t id, const std::string& path);
void delete_memif_socket(uint32_t id);
const std::map<uint32_t, std::string>& memif_sockets();
struct MemifArgs {
  uint32_t id = 0, socket_id = 0;
  bool master = true;
  uint16_t rx_queues = 1;
  uint32_t ring_size = 1024;  // slots per ring: how long a stalled peer can be absorbed
};
uint32_t create_memif(const MemifArgs& a);
uint32_t create_vhost_user(const std::string& path, bool server);
uint32_t create_loopback(std::optional<Mac> mac);
uint32_t create_pg(uint32_t n);
uint32_t create_null_sink(uint32_t n);
uint32_t create_pci(const std::string& pci_addr);
void delete_interface(uint32_t sw_if);

void set_state(uint32_t sw_if, bool up);
void set_mtu(uint32_t sw_if, uint32_t mtu);
void set_mac(uint32_t sw_if, const Mac& m);
void set_xconnect(uint32_t rx, uint32_t tx);
void set_l3(uint32_t sw_if);
void set_rx_placement(uint32_t sw_if, uint16_t queue, uint32_t worker);
void set_feature(uint32_t sw_if, const std::string& arc, const std::string& feature, bool enable);

}  // namespace vp::ops
