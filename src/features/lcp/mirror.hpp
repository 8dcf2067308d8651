#pragma once
// The Linux mirrors' TAPs, built so that thousands cost little. A mirror
// carries low-rate control traffic, so it owns no ring, no receive buffers
// and no place in a worker's poll list: every mirror's TAP has one read
// posted on a single shared io_uring (the hub), whose reads take their
// buffer from one shared pool of jumbo buffers (io_uring provided buffers)
// only when a frame arrives. One worker polls the hub like one rx queue
// (node lcp-mirror-input) and tells the mirrors apart by the read that
// completed. Transmit goes through one io_uring per thread shared by all
// mirrors. The TAPs speak the virtio-net header with checksum and TCP
// segmentation offload both ways, so bulk TCP to the router crosses as
// 32 KB frames rather than one syscall per segment.
#include <string>

#include "graph/meta.hpp"
#include "io/port.hpp"

namespace vp {

struct TapArgs;

class MirrorPort : public Port {
 public:
  // The TAP is created (in a.host_ns, configured from a) here; the port
  // receives once attach() tells it its interface index.
  explicit MirrorPort(const TapArgs& a);
  ~MirrorPort() override;  // stops its read; the TAP goes with mirror_flush_retired()
  // ifindex: the TAP's, in its namespace.
  void attach(uint32_t sw_if, int ifindex);
  NodeId input_node() const override { return kNoNode; }  // the hub polls it
  uint16_t rx(Thread&, uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t tx(Thread& t, rte_mbuf** p, uint16_t n) override;
  bool tx_offload() const override { return true; }
  void set_admin(bool up) override;
  // The paired interface's link (carrier): the TAP has carrier while both
  // its own admin state and this are up.
  void set_link(bool up);
  const char* kind() const override { return "tap"; }
  std::string driver() const override { return "lcp mirror (virtio-tap, shared io_uring)"; }
  uint32_t max_mtu() const override { return 9000; }
  nlohmann::json hw_info() const override;

 private:
  void carrier();
  int fd_ = -1;
  int ifindex_ = 0;
  bool admin_ = false, link_ = true;
  uint32_t sw_if_ = kNoIf;
  std::string host_if_, host_ns_;
};

// Removes the TAPs of mirrors deleted since the last call, a namespace's
// worth in one kernel batch: each alone costs the kernel an RCU grace period
// (about 16 ms here; 80 s for 5000). vplaned calls it every 20 ms, before
// creating a mirror and at shutdown.
void mirror_flush_retired();

// Frames received by the hub so far, summed over mirrors (show lcp).
nlohmann::json mirror_hub_stats();

}  // namespace vp
