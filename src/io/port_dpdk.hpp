#pragma once
// Ports backed by a DPDK ethdev: af_packet, af_xdp, memif and vhost-user
// (virtual devices hot-plugged by name) and allow-listed PCI NICs.
#include <rte_spinlock.h>

#include <memory>
#include <string>
#include <vector>

#include "io/port.hpp"

namespace vp {

class DpdkPort : public Port {
 public:
  // devargs: e.g. "net_af_packet0,iface=veth0"; for PCI, the PCI address.
  // kind and create_cmd: what the port kind that made it says of it.
  DpdkPort(const char* kind, std::string create_cmd, std::string devname, std::string devargs, bool is_vdev,
           NodeId input, uint16_t n_rxq);
  ~DpdkPort() override;
  NodeId input_node() const override { return input_; }
  uint16_t n_rx_queues() const override { return n_rxq_; }
  uint16_t rx(Thread& t, uint16_t q, rte_mbuf** p, uint16_t n) override;
  uint16_t tx(Thread& t, rte_mbuf** p, uint16_t n) override;
  void set_admin(bool up) override;
  bool link_up() const override;
  void set_mtu(uint32_t mtu) override;
  uint32_t max_mtu() const override { return max_mtu_; }
  void set_mac(const Mac& m) override;
  const char* kind() const override { return kind_; }
  std::string create_command() const override { return create_cmd_; }
  std::string driver() const override { return driver_; }
  nlohmann::json hw_info() const override;
  uint64_t rx_missed() const override;
  Mac mac() const;
  uint16_t port_id() const { return port_; }

 private:
  std::string devname_;
  bool vdev_;
  NodeId input_;
  uint16_t port_ = 0;
  uint16_t n_rxq_ = 1, n_txq_ = 1;
  bool started_ = false;
  bool shared_tx_ = false;  // fewer tx queues than threads: queues need a lock
  uint32_t max_mtu_ = 9000;
  const char* kind_;
  std::string create_cmd_;
  std::string driver_;
  std::unique_ptr<rte_spinlock_t[]> txlock_;
};

// For the port kinds DPDK backs: a new virtual device's name (driver and a
// sequence number DPDK has not seen in this process), and the interface
// added with the port's own MAC. Returns its sw_if_index.
std::string dpdk_vdev_name(const std::string& driver);
uint32_t add_dpdk_interface(const std::string& name, std::unique_ptr<DpdkPort> port);

}  // namespace vp
