#pragma once
// vplane -> Linux: what is set on a paired interface in vplane (admin state,
// MTU, addresses) is set on its mirror's kernel side over rtnetlink, in the
// mirror's namespace. The netlink listener sees those changes come back and
// finds them already true in vplane, so nothing loops.
#include <string>
#include <vector>

#include "infra/parse.hpp"

namespace vp {

void host_set_link(const std::string& netns, int ifindex, bool up, uint32_t mtu);
// Makes the kernel's global addresses on the link exactly `want`.
void host_set_addresses(const std::string& netns, int ifindex, const std::vector<Prefix>& want);

}  // namespace vp
