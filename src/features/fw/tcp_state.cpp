#include "features/fw/tcp_state.hpp"

#include <algorithm>

namespace vp::fw {

namespace {

constexpr uint8_t kMaxWscale = 14;  // RFC 7323 2.3

// The sequence fields a segment moves forward (never back: retransmissions
// and reordering leave them at their highest).
void note(TcpDir& me, const TcpSeg& s) {
  const uint32_t end = s.seq + s.len + ((s.flags & kTcpSyn) ? 1 : 0) + ((s.flags & kTcpFin) ? 1 : 0);
  if (!(me.flags & TcpDir::kSyn) && (s.flags & kTcpSyn)) {
    me.end = end;
    me.flags |= TcpDir::kSyn;
    if (s.wscale != TcpSeg::kNoWscale) {
      me.wscale = std::min(s.wscale, kMaxWscale);
      me.flags |= TcpDir::kWs;
    }
  } else if (seq_lt(me.end, end)) {
    me.end = end;
  }
  if (s.flags & kTcpAck) {
    if (!(me.flags & TcpDir::kAck) || seq_lt(me.ack, s.ack)) me.ack = s.ack;
    me.flags |= TcpDir::kAck;
  }
  if (s.flags & kTcpFin) me.flags |= TcpDir::kFin;
  me.win = s.win;
}

// A SYN (or SYN-ACK) that repeats the one already seen from this side.
bool syn_again(const TcpDir& me, const TcpSeg& s) { return (me.flags & TcpDir::kSyn) && s.seq + 1 == me.end; }

bool fin_acked(const TcpDir& me, const TcpDir& peer) {
  return (me.flags & TcpDir::kFin) && (peer.flags & TcpDir::kAck) && seq_geq(peer.ack, me.end);
}

// The state after the handshake follows from the FINs each side sent and
// whether the other side acknowledged them.
TcpState after_handshake(const TcpTrack& t) {
  const bool fin_i = t.d[0].flags & TcpDir::kFin, fin_r = t.d[1].flags & TcpDir::kFin;
  if (fin_i && fin_r)
    return fin_acked(t.d[0], t.d[1]) && fin_acked(t.d[1], t.d[0]) ? TcpState::kTimeWait : TcpState::kFinBoth;
  if (fin_i) return TcpState::kFinInit;
  if (fin_r) return TcpState::kFinResp;
  return TcpState::kEstablished;
}

}  // namespace

bool tcp_segment(const rte_tcp_hdr* th, uint32_t l4_len, TcpSeg& s) {
  if (l4_len < sizeof(rte_tcp_hdr)) return false;
  const uint32_t hl = uint32_t(th->data_off >> 4) * 4;
  if (hl < sizeof(rte_tcp_hdr) || hl > l4_len) return false;
  s.seq = rte_be_to_cpu_32(th->sent_seq);
  s.ack = rte_be_to_cpu_32(th->recv_ack);
  s.win = rte_be_to_cpu_16(th->rx_win);
  s.flags = th->tcp_flags;
  s.len = l4_len - hl;
  s.wscale = TcpSeg::kNoWscale;
  if (s.flags & kTcpSyn) {
    const auto* o = reinterpret_cast<const uint8_t*>(th);
    for (uint32_t i = sizeof(rte_tcp_hdr); i < hl;) {
      const uint8_t kind = o[i];
      if (kind == 0) break;  // end of options
      if (kind == 1) {       // no-op
        i++;
        continue;
      }
      if (i + 1 >= hl || o[i + 1] < 2 || i + o[i + 1] > hl) break;  // malformed: stop, keep what was read
      if (kind == 3 && o[i + 1] == 3) s.wscale = o[i + 2];
      i += o[i + 1];
    }
  }
  return true;
}

bool rst_in_window(const TcpTrack& t, uint8_t dir, const TcpSeg& s) {
  const TcpDir& snd = t.d[dir];
  const TcpDir& rcv = t.d[dir ^ 1];
  if ((snd.flags & TcpDir::kSyn) && s.seq == snd.end) return true;
  if (rcv.flags & TcpDir::kAck) {
    // Scaling applies only when both SYNs carried the option; a side whose
    // SYN was not seen has an unknown scale.
    uint8_t scale = 0;
    if (!(snd.flags & TcpDir::kSyn) || !(rcv.flags & TcpDir::kSyn))
      scale = kMaxWscale;
    else if ((snd.flags & TcpDir::kWs) && (rcv.flags & TcpDir::kWs))
      scale = rcv.wscale;
    const uint32_t window = std::max<uint32_t>(uint32_t(rcv.win) << scale, 1);
    return s.seq - rcv.ack < window;
  }
  if (rcv.flags & TcpDir::kSyn) return (s.flags & kTcpAck) && s.ack == rcv.end;
  return false;
}

TcpVerdict tcp_track_slow(TcpState& st, TcpTrack& t, uint8_t dir, const TcpSeg& s) {
  const bool syn = s.flags & kTcpSyn, ack = s.flags & kTcpAck, fin = s.flags & kTcpFin, rst = s.flags & kTcpRst;
  TcpDir& me = t.d[dir];
  TcpDir& peer = t.d[dir ^ 1];
  if (syn && (fin || rst)) return TcpVerdict::kInvalid;

  if (rst) {
    if (st == TcpState::kNone) return TcpVerdict::kInvalid;
    if (!rst_in_window(t, dir, s)) return TcpVerdict::kRstOutOfWindow;
    st = TcpState::kClosed;
    return TcpVerdict::kOk;
  }

  switch (st) {
    case TcpState::kNone:
      if (dir != 0 || !syn || ack) return TcpVerdict::kInvalid;
      t = {};
      note(me, s);
      st = TcpState::kSynSent;
      return TcpVerdict::kOk;

    case TcpState::kSynSent:
      if (dir == 0) {
        if (!syn || ack || !syn_again(me, s)) return TcpVerdict::kInvalid;
        note(me, s);
        return TcpVerdict::kOk;
      }
      // The responder's SYN-ACK must acknowledge the initiator's SYN.
      if (!syn || !ack || s.ack != peer.end) return TcpVerdict::kInvalid;
      note(me, s);
      st = TcpState::kSynAckSeen;
      return TcpVerdict::kOk;

    case TcpState::kSynAckSeen:
      if (syn) {
        // Either side repeating its SYN: the other's answer was lost.
        if (!syn_again(me, s) || (dir == 0 && ack) || (dir == 1 && !ack)) return TcpVerdict::kInvalid;
        note(me, s);
        return TcpVerdict::kOk;
      }
      // Only the initiator's ACK of the SYN-ACK (possibly with data or a
      // FIN) completes the handshake; the responder has nothing to send yet.
      if (dir != 0 || !ack || s.ack != peer.end) return TcpVerdict::kInvalid;
      note(me, s);
      st = after_handshake(t);
      return TcpVerdict::kOk;

    case TcpState::kTimeWait:
    case TcpState::kClosed:
      if (syn && dir == 0 && !ack) return TcpVerdict::kReopen;
      // Late ACKs and repeated FINs of a finished connection; no new data.
      if (st == TcpState::kClosed || syn || !ack || s.len) return TcpVerdict::kInvalid;
      note(me, s);
      return TcpVerdict::kOk;

    default:  // established, one or both FINs
      if (syn) {
        // A SYN-ACK repeated because the final ACK was lost after this box.
        if (dir == 1 && ack && syn_again(me, s)) return TcpVerdict::kOk;
        return TcpVerdict::kInvalid;
      }
      if (!ack) return TcpVerdict::kInvalid;
      note(me, s);
      st = after_handshake(t);
      return TcpVerdict::kOk;
  }
}

TimeoutClass tcp_timeout_class(TcpState st) {
  switch (st) {
    case TcpState::kNone:
    case TcpState::kSynSent:
    case TcpState::kSynAckSeen:
      return kTcpInitial;
    case TcpState::kEstablished:
      return kTcpEstablished;
    case TcpState::kFinInit:
    case TcpState::kFinResp:
    case TcpState::kFinBoth:
      return kTcpClosing;
    case TcpState::kTimeWait:
    case TcpState::kClosed:
      return kTcpTimeWait;
  }
  return kTcpInitial;
}

const char* tcp_state_name(TcpState st) {
  static const char* const kNames[] = {"none",          "syn-sent", "syn-ack-seen", "established", "fin-initiator",
                                       "fin-responder", "fin-both", "time-wait",    "closed"};
  const auto i = uint8_t(st);
  return i < sizeof kNames / sizeof *kNames ? kNames[i] : "?";
}

}  // namespace vp::fw
