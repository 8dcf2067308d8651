#pragma once
// tap: our own TAP port (port_tap.hpp), kernel side in any namespace, named
// tap<id> as in VPP.
#include <cstdint>

#include "io/ports/tap/port_tap.hpp"

namespace vp::ops {

uint32_t create_tap(const TapArgs& a);  // a.id == UINT32_MAX: next free id

}  // namespace vp::ops
