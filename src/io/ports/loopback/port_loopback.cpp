#include "io/ports/loopback/port_loopback.hpp"

#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/input.hpp"

namespace vp {

// Loopback frames re-enter through their own input node (counted, traced).
static NodeRegistration reg{{.name = "loopback-input", .input = [](Thread&, NodeRt&) -> uint32_t { return 0; }}};

NodeId LoopbackPort::input_node() const { return kNoNode; }

uint16_t LoopbackPort::tx(Thread& t, rte_mbuf** p, uint16_t n) {
  static const NodeId in = Registry::get().id("loopback-input");
  deliver_rx(t, t.node(in), sw_if_, p, n);
  return n;
}

}  // namespace vp
