#pragma once
// Typed operations on interfaces, whatever backs them. The CLI parses into
// these; the API calls them too. Each validates everything first and throws
// vp::Error (changing nothing) or applies the change completely. Creating an
// interface is its port kind's operation (io/ports/<kind>/).
#include <string>

#include "infra/parse.hpp"

namespace vp::ops {

void delete_interface(uint32_t sw_if);

void set_state(uint32_t sw_if, bool up);
void set_mtu(uint32_t sw_if, uint32_t mtu);
void set_mac(uint32_t sw_if, const Mac& m);
void set_xconnect(uint32_t rx, uint32_t tx);
void set_l3(uint32_t sw_if);
void set_rx_placement(uint32_t sw_if, uint16_t queue, uint32_t worker);
void set_feature(uint32_t sw_if, const std::string& arc, const std::string& feature, bool enable);

// For port kinds: a locally administered MAC for ports that have none.
Mac random_mac();
// For port kinds: the Linux interface must exist (in vplaned's namespace).
void need_linux_if(const std::string& name);

}  // namespace vp::ops
