#pragma once
// Netlink attributes: by type, for mnl_attr_parse (tb[type] = attribute), and addresses.
#include <libmnl/libmnl.h>

#include <cstring>

#include "infra/parse.hpp"

namespace vp {

inline constexpr int kNlAttrs = 64;
inline int nl_attr_cb(const nlattr* a, void* data) {
  auto** tb = static_cast<const nlattr**>(data);
  uint16_t t = mnl_attr_get_type(a);
  if (t < kNlAttrs) tb[t] = a;
  return MNL_CB_OK;
}

// A 32-bit attribute; false when it is shorter (a peer's bytes are not trusted).
inline bool nl_u32(const nlattr* a, uint32_t& v) {
  if (!a || mnl_attr_get_payload_len(a) < 4) return false;
  v = mnl_attr_get_u32(a);
  return true;
}
// Whether the message holds its fixed header of `fixed` bytes.
inline bool nl_holds(const nlmsghdr* nh, size_t fixed) { return nh->nlmsg_len >= NLMSG_LENGTH(fixed); }

// An address attribute of the family's size (4 or 16 bytes).
inline bool nl_valid_addr(const nlattr* a, bool v6) { return a && mnl_attr_get_payload_len(a) == (v6 ? 16u : 4u); }
inline IpAddr nl_addr(const nlattr* a, bool v6) {
  IpAddr x;
  x.v6 = v6;
  std::memcpy(x.b.data(), mnl_attr_get_payload(a), v6 ? 16 : 4);
  return x;
}

}  // namespace vp
