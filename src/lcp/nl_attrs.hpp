#pragma once
// Netlink attributes by type, for mnl_attr_parse: tb[type] = attribute.
#include <libmnl/libmnl.h>

namespace vp {

inline constexpr int kNlAttrs = 64;
inline int nl_attr_cb(const nlattr* a, void* data) {
  auto** tb = static_cast<const nlattr**>(data);
  uint16_t t = mnl_attr_get_type(a);
  if (t < kNlAttrs) tb[t] = a;
  return MNL_CB_OK;
}

}  // namespace vp
