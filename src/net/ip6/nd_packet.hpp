#pragma once
// A neighbour solicitation for target from src/src_ip (our link-local
// address) to the target's solicited-node group, ready for interface-output
// (tx_if set). nullptr when no buffer is free.
#include <rte_mbuf.h>

#include <cstdint>

#include "infra/parse.hpp"

namespace vp {

rte_mbuf* ns_frame(const Mac& src, const uint8_t* src_ip, const uint8_t* target, uint32_t tx_if);

}  // namespace vp
