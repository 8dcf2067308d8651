#include "features/fw/fw_state.hpp"

namespace vp::fw {

void closing(FwWorker& w, const Session& s, CloseReason r) {
  if (s.flags & Session::kLogClose) log_session(w, LogKind::kClose, s, r);
  if (uint32_t* c = w.sources->find(s.key.addr[s.init_side()]); c && *c) --*c;
}

}  // namespace vp::fw
