#pragma once
// The data path's side of lcp/lcp.hpp.
#include "io/interface.hpp"

namespace vp {

// A packet vplane has learned from (an ARP reply, a neighbour advertisement)
// goes on to the interface's Linux mirror, if it has one, so that the
// kernel learns too: returns true with tx_if set for interface-output.
inline bool lcp_pass_on(const IfFast* f, PktMeta& pm) {
  if (!f || f->lcp_mirror == kNoIf) return false;
  pm.tx_if = f->lcp_mirror;
  return true;
}

}  // namespace vp
