#pragma once
// Null sink: frees whatever is sent to it, in bulk. The benchmark's tx end.
#include <string>

#include "io/mbuf_free.hpp"
#include "io/port.hpp"

namespace vp {

class NullPort : public Port {
 public:
  explicit NullPort(std::string create_cmd) : create_cmd_(std::move(create_cmd)) {}
  NodeId input_node() const override { return kNoNode; }
  uint16_t rx(Thread&, uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t tx(Thread&, rte_mbuf** p, uint16_t n) override {
    free_bulk(p, n);
    return n;
  }
  const char* kind() const override { return "null"; }
  std::string create_command() const override { return create_cmd_; }
  std::string driver() const override { return "null-sink"; }

 private:
  std::string create_cmd_;
};

}  // namespace vp
