#pragma once
// Starts the real engine inside a test, fuzz or benchmark program: registry
// and arcs frozen, EAL with its own file prefix, single-thread graph, init
// hooks run. Call once, before any node or port is used.
#include <string>

#include "io/eal.hpp"

namespace vp::test {

void start_engine(const std::string& prefix, uint32_t buffers, HugeMode huge = HugeMode::no);

}  // namespace vp::test
