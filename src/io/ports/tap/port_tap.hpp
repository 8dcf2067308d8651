#pragma once
// Our own TAP port. The kernel side may live in any network namespace; frames
// carry a virtio-net header so the kernel can hand us packets with a partial
// checksum (we complete it); I/O is batched through io_uring: one
// io_uring_enter per burst in each direction instead of one syscall per packet.
#include <liburing.h>

#include <optional>
#include <string>
#include <vector>

#include "io/port.hpp"
#include "io/ports/tap/tap_tx.hpp"

namespace vp {

struct TapArgs {
  uint32_t id = 0;
  std::string host_if;  // default tap<id>
  std::string host_ns;  // "" = vplaned's own namespace
  std::optional<Prefix> host_ip4, host_ip6;
  uint32_t host_mtu = 0;  // 0 = kernel default
  std::optional<Mac> host_mac;
  bool gso = false;  // kernel may send/receive GSO frames (TSO4/TSO6) up to kGsoMax
};

// Largest GSO frame we let the kernel build (its gso_max_size), so one fits a jumbo buffer.
inline constexpr uint32_t kGsoMax = 32768;

// Creates the TAP host_if in a.host_ns (virtio-net header, checksum offload,
// TSO when a.gso), configured from a (MTU, MAC, addresses) and up; returns
// its fd. Closing the fd removes it.
int tap_open(const TapArgs& a, const std::string& host_if);

class TapPort : public Port {
 public:
  TapPort(const TapArgs& a, std::string create_cmd);
  ~TapPort() override;
  NodeId input_node() const override;
  uint16_t rx(Thread& t, uint16_t q, rte_mbuf** p, uint16_t n) override;
  uint16_t tx(Thread& t, rte_mbuf** p, uint16_t n) override;
  void set_admin(bool up) override;
  bool tx_offload() const override { return gso_; }
  const char* kind() const override { return "tap"; }
  std::string create_command() const override { return create_cmd_; }
  std::string driver() const override { return "virtio-tap (io_uring)"; }
  uint32_t max_mtu() const override { return 2000; }
  nlohmann::json hw_info() const override;
  const std::string& host_if() const { return host_if_; }

 private:
  void post_reads(uint32_t n);
  int fd_ = -1;
  bool gso_ = false;
  rte_mempool* rx_pool_ = nullptr;
  uint32_t ring_reads_ = 128;
  std::string host_if_, host_ns_, create_cmd_;
  io_uring rx_{};
  TapTx tx_;
  uint32_t rx_posted_ = 0;
  uint64_t rx_errors_ = 0, csum_completed_ = 0, gso_rx_ = 0;
};

}  // namespace vp
