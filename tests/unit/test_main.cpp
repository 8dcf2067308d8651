// Unit tests run against the real engine: EAL in memory without hugepages,
// the node registry finalized with the test nodes, single-thread mode.
#include <gtest/gtest.h>
#include <unistd.h>

#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "io/eal.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (::testing::GTEST_FLAG(list_tests)) return RUN_ALL_TESTS();  // CTest discovery: no EAL
  using namespace vp;
  Registry::get().finalize();
  Arcs::get().finalize();
  EalConfig e;
  e.instance = "unit-" + std::to_string(getpid());
  e.huge = HugeMode::no;
  e.memory_mb = 256;
  e.buffers = 16384;
  eal_start(e);
  ThreadConfig t;
  t.workers = 0;
  threads().start(t);
  run_inits();
  int rc = RUN_ALL_TESTS();
  eal_stop();
  return rc;
}
