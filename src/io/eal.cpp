#include "io/eal.hpp"

#include <fmt/format.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "graph/meta.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"

namespace vp {

EalState& eal() {
  static EalState s;
  return s;
}

bool hugepages_available(uint32_t need_mb) {
  std::ifstream mi("/proc/meminfo");
  std::string k;
  long free_pages = 0, page_kb = 0;
  while (mi >> k) {
    if (k == "HugePages_Free:") mi >> free_pages;
    if (k == "Hugepagesize:") mi >> page_kb;
  }
  // Several instances share the machine's pages: use them only if ours fit.
  if (free_pages <= 0 || uint64_t(free_pages) * uint64_t(page_kb) / 1024 < need_mb) return false;
  std::ifstream mounts("/proc/mounts");
  std::string line;
  while (std::getline(mounts, line))
    if (line.find(" hugetlbfs ") != std::string::npos) return true;
  return false;
}

void eal_cleanup_stale(const std::string& prefix) {
  // DPDK keeps its config/lock files there; a crashed primary leaves them.
  std::error_code ec;
  for (auto base : {"/var/run/dpdk/", "/run/dpdk/"}) std::filesystem::remove_all(std::string(base) + prefix, ec);
}

void eal_start(const EalConfig& c) {
  auto& s = eal();
  s.prefix = "vplane-" + c.instance;
  uint32_t huge_mb = std::max<uint32_t>(c.memory_mb, 256);
  bool huge = c.huge == HugeMode::yes || (c.huge == HugeMode::automatic && hugepages_available(huge_mb));
  if (c.huge == HugeMode::yes && !hugepages_available(huge_mb))
    fail(
        "hugepages requested but none are free or hugetlbfs is not mounted (run: sysctl vm.nr_hugepages=1024 && "
        "mount -t hugetlbfs none /dev/hugepages)");
  eal_cleanup_stale(s.prefix);
  std::vector<std::string> args = {
      "vplaned",     "--file-prefix",       s.prefix, "-l", "0", "--log-level", "lib.*:" + c.log_level,
      "--log-level", "pmd.*:" + c.log_level};
  if (huge) {
    args.insert(args.end(), {"--huge-unlink", "-m", std::to_string(huge_mb)});
  } else {
    args.insert(args.end(), {"--no-huge", "-m", std::to_string(c.memory_mb)});
    if (c.huge == HugeMode::automatic)
      log::warn("not enough free hugepages: using ordinary memory (slower; see README, Hugepages, to reserve them)");
  }
  eal().pci_allow = c.pci_allow;
  if (c.pci_allow.empty())
    args.push_back("--no-pci");
  else
    for (auto& p : c.pci_allow) args.insert(args.end(), {"-a", p});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  // EAL may rewrite argv; we keep our copies alive until exit.
  static std::vector<std::string> keep;
  keep = args;
  // EAL pins the calling thread to lcore 0; vplane decides pinning itself
  // (ThreadConfig), so give the main thread back the mask it started with.
  cpu_set_t before;
  bool have_mask = sched_getaffinity(0, sizeof before, &before) == 0;
  int rc = rte_eal_init(int(argv.size()), argv.data());
  if (have_mask) sched_setaffinity(0, sizeof before, &before);
  if (rc < 0)
    fail("DPDK EAL failed to start: {} (is another vplaned named '{}' running?)", rte_strerror(rte_errno), c.instance);
  s.hugepages = huge;
  s.pool = rte_pktmbuf_pool_create("vp-pkts", c.buffers, c.buffer_cache, kMetaSize, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   SOCKET_ID_ANY);
  if (!s.pool)
    fail("cannot allocate {} packet buffers: {} (lower buffers or raise memory-mb)", c.buffers,
         rte_strerror(rte_errno));
  s.buffers = c.buffers;
}

rte_mempool* jumbo_pool() {
  static rte_mempool* p = nullptr;
  if (!p) {
    p = rte_pktmbuf_pool_create("vp-jumbo", 1023, 32, kMetaSize, uint16_t(kJumboData + RTE_PKTMBUF_HEADROOM),
                                SOCKET_ID_ANY);
    if (!p) fail("cannot allocate GSO buffers: {} (raise memory-mb)", rte_strerror(rte_errno));
  }
  return p;
}

void eal_stop() {
  // rte_eal_cleanup releases hugepages and the runtime directory.
  rte_eal_cleanup();
  eal_cleanup_stale(eal().prefix);
}

}  // namespace vp
