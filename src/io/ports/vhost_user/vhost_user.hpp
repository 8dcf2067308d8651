#pragma once
// vhost-user: a virtio device for a VM or container (DPDK's net_vhost),
// named VirtualEthernet0/0/<n> as in VPP.
#include <cstdint>
#include <string>

namespace vp::ops {

uint32_t create_vhost_user(const std::string& path, bool server);

}  // namespace vp::ops
