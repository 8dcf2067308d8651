#pragma once
// DPDK's EAL and the packet buffer pool, started by vplaned itself.
#include <rte_mempool.h>

#include <string>
#include <vector>

namespace vp {

enum class HugeMode { automatic, yes, no };

struct EalConfig {
  std::string instance = "vplane";  // DPDK file prefix: one per instance
  HugeMode huge = HugeMode::automatic;
  uint32_t memory_mb = 512;  // ordinary memory when hugepages are not used
  std::vector<std::string> pci_allow;
  std::string log_level = "error";
  uint32_t buffers = 32768;  // mbufs in the packet pool
  uint32_t buffer_cache = 256;
};

struct EalState {
  bool hugepages = false;
  rte_mempool* pool = nullptr;
  uint32_t buffers = 0;
  std::string prefix;
  std::vector<std::string> pci_allow;  // PCI devices probed (io/ports/pci)
};

// Large single-segment buffers for GSO frames from TAPs (created on first use).
inline constexpr uint32_t kJumboData = 34 * 1024;
rte_mempool* jumbo_pool();

// Removes what a crashed instance of the same name left in DPDK's runtime dir.
void eal_cleanup_stale(const std::string& prefix);
bool hugepages_available(uint32_t need_mb);
// Throws vp::Error with what to do next when EAL cannot start.
void eal_start(const EalConfig& c);
void eal_stop();
EalState& eal();

}  // namespace vp
