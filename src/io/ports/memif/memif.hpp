#pragma once
// memif: shared-memory packet interfaces (DPDK's net_memif), named
// memif<socket>/<id> as in VPP, on sockets declared by id.
#include <cstdint>
#include <map>
#include <string>

namespace vp::ops {

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

}  // namespace vp::ops
