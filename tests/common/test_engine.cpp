#include "test_engine.hpp"

#include <unistd.h>

#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"

namespace vp::test {

void start_engine(const std::string& prefix, uint32_t buffers, HugeMode huge) {
  Registry::get().finalize();
  Arcs::get().finalize();
  EalConfig e;
  e.instance = prefix + "-" + std::to_string(getpid());
  e.huge = huge;
  e.memory_mb = 256;
  e.buffers = buffers;
  eal_start(e);
  threads().start(ThreadConfig{});
  run_inits();
}

}  // namespace vp::test
