#pragma once
// Shared by every input node: stamp metadata, count, trace, capture, and send
// the vector into the interface's device-input feature arc.
#include "graph/thread.hpp"

namespace vp {

// Built into Arcs (always arc 0): every received frame walks it before ethernet-input.
inline constexpr uint8_t kArcDeviceInput = 0;

// `to` = kNoNode: the interface's device-input arc (normally ethernet-input).
void deliver_rx(Thread& t, NodeRt& self, uint32_t sw_if, rte_mbuf** pkts, uint32_t n, NodeId to = kNoNode);
// Input function shared by all port kinds that need nothing special.
uint32_t port_input(Thread& t, NodeRt& self);

}  // namespace vp
