#include "features/fw/fw_state.hpp"

namespace vp::fw {

void closing(FwWorker& w, const Session& s, CloseReason r) {
  if (s.flags & Session::kLogClose) log_session(w, LogKind::kClose, s, r);
  if (SourceCounts* sc = w.sources.load(std::memory_order_acquire))
    if (uint32_t* c = sc->find(s.key.addr[s.init_side()]); c && *c) --*c;
}

}  // namespace vp::fw
