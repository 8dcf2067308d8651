// Unit tests run against the real engine: EAL in memory without hugepages,
// the node registry finalized with the test nodes, single-thread mode.
#include <gtest/gtest.h>

#include "test_engine.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (::testing::GTEST_FLAG(list_tests)) return RUN_ALL_TESTS();  // CTest discovery: no EAL
  vp::test::start_engine("unit", 16384);
  int rc = RUN_ALL_TESTS();
  vp::eal_stop();
  return rc;
}
