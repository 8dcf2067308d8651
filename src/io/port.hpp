#pragma once
// A port is what backs an interface: a DPDK ethdev (af_packet, af_xdp,
// memif, vhost-user, PCI), our own TAP, a packet generator, a null sink or a
// loopback. The interface model does not depend on it; several thousand
// interfaces may exist while DPDK allows 32 ports per process.
// Virtual calls happen once per burst, never per packet.
//
// Each kind lives in a directory of its own under io/ports/ (or in the
// feature that makes it, as the Linux mirrors are) with its create
// operation and commands; the port itself says what it is (kind), how it
// shows (driver, hw_info) and which command recreates it (create_command).
// A port need not be a device: tx() may hand packets back to the graph, as
// the loopback does, which is how a tunnel's encapsulation or a
// sub-interface's tag push enters it.
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
  // The kind of interface it backs, as show interface and the API name it.
  virtual const char* kind() const = 0;
  // The command that creates it again (show running-config); empty when no
  // command does (a feature's interface: its owner replays it).
  virtual std::string create_command() const { return ""; }
  virtual std::string driver() const = 0;
  // Port-level counters (rx-missed...) for show hardware-interfaces.
  virtual nlohmann::json hw_info() const { return nlohmann::json::object(); }
  virtual uint64_t rx_missed() const { return 0; }
};

}  // namespace vp
