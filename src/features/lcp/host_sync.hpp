#pragma once
// vplane -> Linux: what is set on a paired interface in vplane (admin state,
// MTU, addresses) is set on its mirror's kernel side over rtnetlink, in the
// mirror's namespace. The netlink listener sees those changes come back and
// finds them already true in vplane, so nothing loops.
#include <string>
#include <vector>

#include "infra/parse.hpp"

namespace vp {

// Sets the link up or down with the MTU, and makes its global addresses
// exactly `addrs`, over one rtnetlink socket in the namespace.
void host_sync(const std::string& netns, int ifindex, bool up, uint32_t mtu, const std::vector<Prefix>& addrs);

// Removes these links (the mirrors, at shutdown) in one kernel batch.
void host_delete_links(const std::string& netns, const std::vector<int>& ifindexes);

}  // namespace vp
