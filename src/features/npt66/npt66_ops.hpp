#pragma once
// Typed operations on NPTv6 bindings: the `set interface npt66` command and
// the Npt66 API call these. Each validates everything first and throws
// vp::Error (one line naming what is wrong) having changed nothing, or
// applies completely: the interface's maps are rebuilt and published, and
// its npt66-in and npt66-out nodes enabled (first binding) or disabled
// (last one gone). A deleted interface's bindings go with it.
#include <cstdint>
#include <vector>

#include "infra/parse.hpp"

namespace vp::npt66 {

struct BindingSpec {
  uint32_t sw_if = 0;  // the outside interface
  Prefix internal, external;
};

// Adding a binding that exists is not an error and changes nothing.
void add_binding(const BindingSpec& b);
void delete_binding(const BindingSpec& b);

struct BindingInfo {
  uint32_t id;     // stable while the binding exists (show npt66's [n])
  uint32_t sw_if;  // the outside interface
  Prefix internal, external;
  uint8_t length;                          // both are translated at this length: the longer of the two
  uint16_t adjustment;                     // added outbound to the adjusted word, subtracted inbound
  uint64_t translated_out, translated_in;  // since the binding was made, summed over threads
};
// In the order they were made.
std::vector<BindingInfo> bindings();

}  // namespace vp::npt66
