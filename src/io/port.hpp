#pragma once
// A port is what backs an interface: a DPDK ethdev (af_packet, af_xdp,
// memif, vhost-user, PCI), our own TAP, a packet generator, a null sink or a
// loopback. The interface model does not depend on it; several thousand
// interfaces may exist while DPDK allows 32 ports per process.
// Virtual calls happen once per burst, never per packet.
#include <rte_mbuf.h>

#include <nlohmann/json.hpp>
#include <string>

#include "graph/node.hpp"
#include "infra/parse.hpp"

namespace vp {

class Thread;

class Port {
 public:
  virtual ~Port() = default;
  // Input node that polls this port, kNoNode if it is never polled.
  virtual NodeId input_node() const = 0;
  virtual uint16_t n_rx_queues() const { return 1; }
  virtual uint16_t rx(Thread& t, uint16_t q, rte_mbuf** p, uint16_t n) = 0;
  // Transmits from thread `t` (queue chosen from t's index); returns how many
  // were taken. The caller frees and counts the rest.
  virtual uint16_t tx(Thread& t, rte_mbuf** p, uint16_t n) = 0;
  // Takes frames flagged RTE_MBUF_F_TX_TCP_SEG / partial L4 checksums
  // as they are; otherwise interface-output completes them in software.
  virtual bool tx_offload() const { return false; }
  virtual void set_admin(bool up) { (void)up; }
  virtual bool link_up() const { return true; }
  virtual void set_mtu(uint32_t mtu) { (void)mtu; }
  virtual uint32_t max_mtu() const { return 9000; }
  virtual void set_mac(const Mac& m) { (void)m; }
  virtual std::string driver() const = 0;
  // Port-level counters (rx-missed...) for show hardware-interfaces.
  virtual nlohmann::json hw_info() const { return nlohmann::json::object(); }
  virtual uint64_t rx_missed() const { return 0; }
};

}  // namespace vp
