#pragma once
// af_packet: a Linux interface attached with AF_PACKET (DPDK's net_af_packet),
// named host-<linux-if> as in VPP.
#include <cstdint>
#include <string>

namespace vp::ops {

uint32_t create_af_packet(const std::string& linux_if);

}  // namespace vp::ops
