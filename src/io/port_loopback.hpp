#pragma once
// Loopback: what is sent to it comes back in on the same interface (as VPP's
// loopback), through the device-input arc.
#include "io/port.hpp"

namespace vp {

class LoopbackPort : public Port {
 public:
  void bind(uint32_t sw_if) { sw_if_ = sw_if; }
  NodeId input_node() const override;
  uint16_t rx(Thread&, uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t tx(Thread& t, rte_mbuf** p, uint16_t n) override;
  std::string driver() const override { return "loopback"; }

 private:
  uint32_t sw_if_ = ~0u;  // set once the interface has an index
};

}  // namespace vp
