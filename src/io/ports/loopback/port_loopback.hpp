#pragma once
// Loopback: what is sent to it comes back in on the same interface (as VPP's
// loopback), through the device-input arc.
#include <string>

#include "io/port.hpp"

namespace vp {

class LoopbackPort : public Port {
 public:
  explicit LoopbackPort(std::string create_cmd) : create_cmd_(std::move(create_cmd)) {}
  void bind(uint32_t sw_if) { sw_if_ = sw_if; }
  NodeId input_node() const override;
  uint16_t rx(Thread&, uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t tx(Thread& t, rte_mbuf** p, uint16_t n) override;
  const char* kind() const override { return "loopback"; }
  std::string create_command() const override { return create_cmd_; }
  std::string driver() const override { return "loopback"; }

 private:
  std::string create_cmd_;
  uint32_t sw_if_ = ~0u;  // set once the interface has an index
};

}  // namespace vp
