#pragma once
// The rx queues one input node polls on one thread (published per thread).
#include <cstdint>

#include "io/port.hpp"

namespace vp {

struct RxQueue {
  Port* port;
  uint32_t sw_if;
  uint16_t q;
};

struct RxList {
  uint32_t n;
  RxQueue q[1];  // n entries
};

}  // namespace vp
