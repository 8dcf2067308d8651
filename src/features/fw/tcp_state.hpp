#pragma once
// TCP connection tracking for firewall sessions, in both directions.
//
// Pure functions over a 24-byte per-session struct (TcpTrack) and the
// session's one-byte state. Direction 0 is the initiator (the side that
// sent the first SYN), 1 the responder.
//
// States: SYN sent -> SYN-ACK seen -> established -> FIN from the initiator
// or the responder -> FIN from both -> time-wait once both FINs are
// acknowledged. An RST inside the window closes the session from any state;
// one outside it is refused (rst_in_window). What does not fit — a SYN-ACK
// before a SYN, data or an ACK before the handshake completes, SYN+FIN, a
// segment with neither ACK nor RST after the first SYN — is "invalid" and
// leaves the state as it was: the caller drops and counts it.
//
// Sequence state kept per direction (the sender's next sequence number, the
// last acknowledgement and window it sent, its window scale) is what the RST
// window check needs; full in-window checks of every segment are not done.
// Simultaneous open (a SYN answered by a SYN without ACK) is refused as
// invalid: the sides never agree on an initiator.
#include <rte_byteorder.h>
#include <rte_tcp.h>

#include <cstdint>

#include "features/fw/timeouts.hpp"

namespace vp::fw {

enum class TcpState : uint8_t {
  kNone,         // no segment yet (a new session before its first SYN is applied)
  kSynSent,      // the initiator's SYN
  kSynAckSeen,   // the responder's SYN-ACK acknowledging it
  kEstablished,  // the initiator's ACK of the SYN-ACK
  kFinInit,      // FIN from the initiator only
  kFinResp,      // FIN from the responder only
  kFinBoth,      // FIN from both, not both acknowledged
  kTimeWait,     // both FINs acknowledged
  kClosed,       // reset
};

enum class TcpVerdict : uint8_t {
  kOk,
  kInvalid,         // does not fit the state: drop, state unchanged
  kRstOutOfWindow,  // an RST whose sequence number is outside the window: drop
  kReopen,          // a new SYN from the initiator on a closed or time-wait session:
                    // the caller ends it and starts a new one
};

// TCP header flags (rte_tcp.h's RTE_TCP_*_FLAG, as one byte).
enum : uint8_t { kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10 };

// One direction, as its sender's segments show it.
struct TcpDir {
  enum : uint8_t { kSyn = 1, kFin = 2, kAck = 4, kWs = 8 };
  uint32_t end;    // sequence number after the last byte sent (SYN and FIN count one)
  uint32_t ack;    // highest acknowledgement sent (with kAck)
  uint16_t win;    // last window advertised, unscaled
  uint8_t wscale;  // window scale option of its SYN (with kWs)
  uint8_t flags;
};

struct TcpTrack {
  TcpDir d[2];  // [0] initiator, [1] responder
};
static_assert(sizeof(TcpTrack) == 24);

// The fields of one segment the tracker reads, host byte order.
struct TcpSeg {
  static constexpr uint8_t kNoWscale = 0xff;
  uint32_t seq, ack;
  uint32_t len;  // payload bytes
  uint16_t win;
  uint8_t flags;
  uint8_t wscale;  // the SYN's window scale option, or kNoWscale
};

// Sequence-space comparison (RFC 1982 arithmetic, wraps at 2^32).
inline bool seq_lt(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }
inline bool seq_geq(uint32_t a, uint32_t b) { return int32_t(a - b) >= 0; }

// Reads a segment of `l4_len` bytes (TCP header and payload, from the IP
// length, not the frame: Ethernet padding is not payload). The options are
// walked only on a SYN, for the window scale. False when the header does not
// fit.
bool tcp_segment(const rte_tcp_hdr* th, uint32_t l4_len, TcpSeg& s);

// The state change of one segment from direction `dir`: the state and the
// sequence fields are updated only when the verdict is kOk.
TcpVerdict tcp_track_slow(TcpState& st, TcpTrack& t, uint8_t dir, const TcpSeg& s);

// The per-packet entry: an ACK-only or data segment on an established
// session (nearly every segment of a connection) updates the sequence fields
// inline; everything else takes the full state machine.
inline TcpVerdict tcp_track(TcpState& st, TcpTrack& t, uint8_t dir, const TcpSeg& s) {
  if (__builtin_expect(st == TcpState::kEstablished && (s.flags & (kTcpSyn | kTcpFin | kTcpRst | kTcpAck)) == kTcpAck,
                       1)) {
    TcpDir& me = t.d[dir];
    const uint32_t end = s.seq + s.len;
    if (seq_lt(me.end, end)) me.end = end;
    // A session picked up mid-stream (no-syn-check) learns each side's
    // acknowledgement here, not in a handshake: without the flag the
    // other side's RST has no window to be checked against and is refused.
    if (!(me.flags & TcpDir::kAck) || seq_lt(me.ack, s.ack)) me.ack = s.ack;
    me.flags |= TcpDir::kAck;
    me.win = s.win;
    return TcpVerdict::kOk;
  }
  return tcp_track_slow(st, t, dir, s);
}

// Whether an RST from direction `dir` is acceptable: its sequence number is
// the sender's next one, or lies in the window the receiver last advertised
// from the receiver's last acknowledgement. Before the receiver has
// acknowledged anything (the initiator's SYN answered by a reset), the RST
// must acknowledge that SYN (RFC 9293 3.10.7.3). A window of unknown scale
// counts as the largest scale (14): too wide rather than refusing good RSTs.
bool rst_in_window(const TcpTrack& t, uint8_t dir, const TcpSeg& s);

TimeoutClass tcp_timeout_class(TcpState st);

const char* tcp_state_name(TcpState st);

}  // namespace vp::fw
