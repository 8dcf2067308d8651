#pragma once
// pg: packet-generator interfaces (pg<n>), whose streams (stream.hpp) enter
// the graph through them: the benchmarks' and tests' traffic source.
#include <cstdint>

namespace vp::ops {

uint32_t create_pg(uint32_t n);

}  // namespace vp::ops
