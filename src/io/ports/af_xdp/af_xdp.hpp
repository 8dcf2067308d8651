#pragma once
// af_xdp: a Linux interface attached with AF_XDP (DPDK's net_af_xdp). The
// XDP program stays on the Linux interface if vplaned dies, so the state
// directory records it (io/stale.hpp) until the interface is deleted.
#include <cstdint>
#include <string>

namespace vp::ops {

struct AfXdpArgs {
  std::string host_if, name;
  uint16_t rx_queues = 1;
};
uint32_t create_af_xdp(const AfXdpArgs& a);

}  // namespace vp::ops
