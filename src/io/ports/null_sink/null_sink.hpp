#pragma once
// null-sink: frees what is sent to it (port_null.hpp), named null<n>.
#include <cstdint>

namespace vp::ops {

uint32_t create_null_sink(uint32_t n);

}  // namespace vp::ops
