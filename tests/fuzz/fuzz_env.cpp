#include "fuzz_env.hpp"

#include <unistd.h>

#include <string>

#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/log.hpp"
#include "io/eal.hpp"

namespace vp::fuzz {

void init_once() {
  static bool done = [] {
    Registry::get().finalize();
    Arcs::get().finalize();
    EalConfig e;
    e.instance = "fuzz-" + std::to_string(getpid());
    e.huge = HugeMode::no;
    e.memory_mb = 256;
    e.buffers = 8192;
    eal_start(e);
    threads().start(ThreadConfig{});
    run_inits();
    return true;
  }();
  (void)done;
}

}  // namespace vp::fuzz
