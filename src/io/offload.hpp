#pragma once
// Software fallbacks for what a port cannot offload: completing a partial
// L4 checksum, and TCP segmentation (GSO) of a large frame received from a
// GSO-capable TAP before it leaves on a port that takes only MTU-sized frames.
// Both follow DPDK's conventions: RTE_MBUF_F_TX_TCP_SEG / TX_*_CKSUM with
// l2_len/l3_len/l4_len/tso_segsz set, the pseudo-header sum in the L4
// checksum field.
#include <rte_mbuf.h>

#include <cstdint>

namespace vp {

inline constexpr uint64_t kSwOffloadFlags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_L4_MASK;

// Sum from `start` to the end of the frame (the field at start+off holds the
// pseudo-header sum) and store the final checksum there.
void complete_l4_csum(uint8_t* frame, uint32_t len, uint32_t start, uint32_t off);

// Turns m into frames a plain port can send: either m itself with its
// checksum completed, or MSS-sized segments (m is freed). Returns how many
// frames were written to out; 0 means m could not be handled (m is freed
// and the caller counts a drop).
uint16_t sw_offload(rte_mbuf* m, rte_mempool* pool, rte_mbuf** out, uint16_t max_out);

}  // namespace vp
