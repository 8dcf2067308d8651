#include "features/fw/timer_wheel.hpp"

namespace vp::fw {

TimerWheel::TimerWheel(uint32_t n, uint32_t now) : link_(n, Link{kNil, kNil, 0}), head_(kSlots, kNil), now_(now) {}

}  // namespace vp::fw
