#include "io/port_dpdk.hpp"

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"

namespace vp {

DpdkPort::DpdkPort(const char* kind, std::string create_cmd, std::string devname, std::string devargs, bool is_vdev,
                   NodeId input, uint16_t n_rxq)
    : devname_(std::move(devname)), vdev_(is_vdev), input_(input), kind_(kind), create_cmd_(std::move(create_cmd)) {
  int rc = vdev_ ? rte_vdev_init(devname_.c_str(), devargs.c_str()) : rte_dev_probe(devargs.c_str());
  if (rc < 0) fail("cannot create {}: {}", devname_, rte_strerror(-rc));
  const std::string lookup = vdev_ ? devname_ : devargs;
  if (rte_eth_dev_get_port_by_name(lookup.c_str(), &port_) != 0) {
    if (vdev_) rte_vdev_uninit(devname_.c_str());
    fail("{} did not create an ethernet port", devname_);
  }
  rte_eth_dev_info info;
  rte_eth_dev_info_get(port_, &info);
  driver_ = info.driver_name;
  max_mtu_ = info.max_mtu;
  n_rxq_ = std::min<uint16_t>(std::max<uint16_t>(n_rxq, 1), info.max_rx_queues);
  uint32_t threads_n = threads().size();
  n_txq_ = uint16_t(std::min<uint32_t>(threads_n, info.max_tx_queues));
  // memif pairs each of one side's tx rings with one of the other side's rx
  // rings, so both sides need as many tx as rx queues whatever their thread
  // counts: threads beyond that share a queue under its lock (VPP does the same).
  if (driver_ == "net_memif") n_txq_ = n_rxq_;
  shared_tx_ = n_txq_ < threads_n;
  txlock_.reset(new rte_spinlock_t[n_txq_]);
  for (uint16_t i = 0; i < n_txq_; i++) rte_spinlock_init(&txlock_[i]);
  rte_eth_conf conf{};
  rc = rte_eth_dev_configure(port_, n_rxq_, n_txq_, &conf);
  if (rc == 0)
    for (uint16_t q = 0; q < n_rxq_ && rc == 0; q++)
      rc = rte_eth_rx_queue_setup(port_, q, 1024, SOCKET_ID_ANY, nullptr, eal().pool);
  if (rc == 0)
    for (uint16_t q = 0; q < n_txq_ && rc == 0; q++)
      rc = rte_eth_tx_queue_setup(port_, q, 1024, SOCKET_ID_ANY, nullptr);
  if (rc != 0) {
    rte_eth_dev_close(port_);
    if (vdev_) rte_vdev_uninit(devname_.c_str());
    fail("cannot set up {}: {}", devname_, rte_strerror(-rc));
  }
}

DpdkPort::~DpdkPort() {
  if (started_) rte_eth_dev_stop(port_);
  rte_eth_dev_close(port_);
  if (vdev_) rte_vdev_uninit(devname_.c_str());
}

uint16_t DpdkPort::rx(Thread&, uint16_t q, rte_mbuf** p, uint16_t n) { return rte_eth_rx_burst(port_, q, p, n); }

uint16_t DpdkPort::tx(Thread& t, rte_mbuf** p, uint16_t n) {
  uint16_t q = uint16_t(t.index() % n_txq_);
  if (!shared_tx_) return rte_eth_tx_burst(port_, q, p, n);
  rte_spinlock_lock(&txlock_[q]);
  uint16_t s = rte_eth_tx_burst(port_, q, p, n);
  rte_spinlock_unlock(&txlock_[q]);
  return s;
}

void DpdkPort::set_admin(bool up) {
  if (up == started_) return;
  if (up) {
    int rc = rte_eth_dev_start(port_);
    if (rc != 0) fail("cannot start {}: {}", devname_, rte_strerror(-rc));
    rte_eth_promiscuous_enable(port_);
  } else {
    rte_eth_dev_stop(port_);
  }
  started_ = up;
}

bool DpdkPort::link_up() const {
  rte_eth_link l{};
  if (rte_eth_link_get_nowait(port_, &l) != 0) return false;
  return l.link_status == RTE_ETH_LINK_UP;
}

void DpdkPort::set_mtu(uint32_t mtu) {
  int rc = rte_eth_dev_set_mtu(port_, uint16_t(mtu));
  // Some virtual PMDs (memif, vhost) do not implement MTU; the interface
  // MTU is still enforced by vplane itself.
  if (rc != 0 && rc != -ENOTSUP) fail("cannot set MTU {} on {}: {}", mtu, devname_, rte_strerror(-rc));
}

void DpdkPort::set_mac(const Mac& m) {
  rte_ether_addr a;
  std::copy(m.b.begin(), m.b.end(), a.addr_bytes);
  int rc = rte_eth_dev_default_mac_addr_set(port_, &a);
  if (rc != 0 && rc != -ENOTSUP) fail("cannot set MAC on {}: {}", devname_, rte_strerror(-rc));
}

Mac DpdkPort::mac() const {
  rte_ether_addr a{};
  rte_eth_macaddr_get(port_, &a);
  Mac m;
  std::copy(a.addr_bytes, a.addr_bytes + 6, m.b.begin());
  return m;
}

nlohmann::json DpdkPort::hw_info() const {
  rte_eth_stats s{};
  rte_eth_stats_get(port_, &s);
  return {{"dpdk_port", port_},      {"device", devname_},   {"rx_queues", n_rxq_},    {"tx_queues", n_txq_},
          {"tx_shared", shared_tx_}, {"link_up", link_up()}, {"rx_missed", s.imissed}, {"rx_nombuf", s.rx_nombuf},
          {"ierrors", s.ierrors},    {"oerrors", s.oerrors}};
}

uint64_t DpdkPort::rx_missed() const {
  rte_eth_stats s{};
  rte_eth_stats_get(port_, &s);
  return s.imissed;
}

std::string dpdk_vdev_name(const std::string& driver) {
  static uint32_t seq = 0;
  return driver + std::to_string(seq++);
}

uint32_t add_dpdk_interface(const std::string& name, std::unique_ptr<DpdkPort> port) {
  Mac mac = port->mac();
  return ifs().add(name, std::move(port), mac).index;
}

}  // namespace vp
