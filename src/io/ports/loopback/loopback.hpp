#pragma once
// loopback: an interface whose frames come back in (port_loopback.hpp),
// named loop<n> as in VPP.
#include <cstdint>
#include <optional>

#include "infra/parse.hpp"

namespace vp::ops {

uint32_t create_loopback(std::optional<Mac> mac);

}  // namespace vp::ops
