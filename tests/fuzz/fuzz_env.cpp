#include "fuzz_env.hpp"

#include "test_engine.hpp"

namespace vp::fuzz {

void init_once() {
  static bool done = (test::start_engine("fuzz", 8192), true);
  (void)done;
}

}  // namespace vp::fuzz
