#pragma once
// A broadcast ARP request frame, ready for interface-output (tx_if set):
// resolution requests from ip4-arp and gratuitous ARP when an address is
// added (sip == tip). nullptr when no buffer is free.
#include <rte_mbuf.h>

#include <cstdint>

#include "infra/parse.hpp"

namespace vp {

rte_mbuf* arp_request_frame(const Mac& src, uint32_t sip_be, uint32_t tip_be, uint32_t tx_if);

}  // namespace vp
