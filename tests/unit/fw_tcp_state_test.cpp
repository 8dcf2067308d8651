// The firewall's TCP tracking: the handshake, data, FIN each way and
// time-wait; simultaneous close; RST in and out of the window; segments that
// do not fit their state; the timeout class of each state; option parsing.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "features/fw/tcp_state.hpp"

namespace vp::fw {
namespace {

constexpr uint8_t kIni = 0, kRsp = 1;  // from the initiator, from the responder
constexpr uint8_t kSynAck = kTcpSyn | kTcpAck, kFinAck = kTcpFin | kTcpAck, kRstAck = kTcpRst | kTcpAck;

TcpSeg seg(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len = 0, uint16_t win = 1000,
           uint8_t wscale = TcpSeg::kNoWscale) {
  return TcpSeg{seq, ack, len, win, flags, wscale};
}

// A connection driven segment by segment; each step checks the verdict.
struct Conn {
  TcpState st = TcpState::kNone;
  TcpTrack t{};
  TcpVerdict send(uint8_t dir, const TcpSeg& s) { return tcp_track(st, t, dir, s); }
  void ok(uint8_t dir, const TcpSeg& s, TcpState want) {
    EXPECT_EQ(send(dir, s), TcpVerdict::kOk);
    EXPECT_EQ(st, want) << tcp_state_name(st) << " instead of " << tcp_state_name(want);
  }
  // A segment that must be refused and change nothing.
  void refused(uint8_t dir, const TcpSeg& s, TcpVerdict want = TcpVerdict::kInvalid) {
    const TcpState before = st;
    const TcpTrack tb = t;
    EXPECT_EQ(send(dir, s), want);
    EXPECT_EQ(st, before);
    EXPECT_EQ(std::memcmp(&t, &tb, sizeof t), 0) << "sequence state changed";
  }
  // Initiator ISN 1000, responder ISN 5000.
  void handshake(uint8_t ws_i = TcpSeg::kNoWscale, uint8_t ws_r = TcpSeg::kNoWscale) {
    ok(kIni, seg(kTcpSyn, 1000, 0, 0, 1000, ws_i), TcpState::kSynSent);
    ok(kRsp, seg(kSynAck, 5000, 1001, 0, 1000, ws_r), TcpState::kSynAckSeen);
    ok(kIni, seg(kTcpAck, 1001, 5001), TcpState::kEstablished);
  }
};

TEST(FwTcpState, HandshakeDataFinBothWaysTimeWait) {
  Conn c;
  c.handshake();
  EXPECT_EQ(tcp_timeout_class(c.st), kTcpEstablished);
  c.ok(kIni, seg(kTcpAck, 1001, 5001, 100), TcpState::kEstablished);  // 100 bytes of data
  c.ok(kRsp, seg(kTcpAck, 5001, 1101, 300), TcpState::kEstablished);  // 300 bytes back, acking them
  EXPECT_EQ(c.t.d[kIni].end, 1101u);
  EXPECT_EQ(c.t.d[kRsp].end, 5301u);
  EXPECT_EQ(c.t.d[kRsp].ack, 1101u);
  c.ok(kIni, seg(kTcpAck, 1101, 5301), TcpState::kEstablished);
  // The initiator closes first; the responder acknowledges, sends more, closes.
  c.ok(kIni, seg(kFinAck, 1101, 5301), TcpState::kFinInit);
  EXPECT_EQ(tcp_timeout_class(c.st), kTcpClosing);
  c.ok(kRsp, seg(kTcpAck, 5301, 1102), TcpState::kFinInit);
  c.ok(kRsp, seg(kTcpAck, 5301, 1102, 50), TcpState::kFinInit);  // half-closed: data still flows one way
  c.ok(kIni, seg(kTcpAck, 1102, 5351), TcpState::kFinInit);
  c.ok(kRsp, seg(kFinAck, 5351, 1102), TcpState::kFinBoth);
  EXPECT_EQ(tcp_timeout_class(c.st), kTcpClosing);
  c.ok(kIni, seg(kTcpAck, 1102, 5352), TcpState::kTimeWait);
  EXPECT_EQ(tcp_timeout_class(c.st), kTcpTimeWait);
  // A repeated FIN and the late ACK are accepted; new data is not.
  c.ok(kRsp, seg(kFinAck, 5351, 1102), TcpState::kTimeWait);
  c.ok(kIni, seg(kTcpAck, 1102, 5352), TcpState::kTimeWait);
  c.refused(kIni, seg(kTcpAck, 1102, 5352, 10));
  // A new SYN from the initiator asks for a new session.
  EXPECT_EQ(c.send(kIni, seg(kTcpSyn, 90000, 0)), TcpVerdict::kReopen);
  EXPECT_EQ(c.st, TcpState::kTimeWait);
}

TEST(FwTcpState, ResponderClosesFirst) {
  Conn c;
  c.handshake();
  c.ok(kRsp, seg(kFinAck, 5001, 1001), TcpState::kFinResp);
  c.ok(kIni, seg(kFinAck, 1001, 5002), TcpState::kFinBoth);
  c.ok(kRsp, seg(kTcpAck, 5002, 1002), TcpState::kTimeWait);
}

TEST(FwTcpState, SimultaneousClose) {
  // Both FINs cross before either is acknowledged.
  Conn c;
  c.handshake();
  c.ok(kIni, seg(kFinAck, 1001, 5001), TcpState::kFinInit);
  c.ok(kRsp, seg(kFinAck, 5001, 1001), TcpState::kFinBoth);  // sent before it saw the initiator's FIN
  c.ok(kIni, seg(kTcpAck, 1002, 5002), TcpState::kFinBoth);  // responder's FIN acked, not yet the initiator's
  c.ok(kRsp, seg(kTcpAck, 5002, 1002), TcpState::kTimeWait);
}

TEST(FwTcpState, RetransmittedHandshakeSegments) {
  Conn c;
  c.ok(kIni, seg(kTcpSyn, 1000, 0), TcpState::kSynSent);
  c.ok(kIni, seg(kTcpSyn, 1000, 0), TcpState::kSynSent);
  c.ok(kRsp, seg(kSynAck, 5000, 1001), TcpState::kSynAckSeen);
  c.ok(kRsp, seg(kSynAck, 5000, 1001), TcpState::kSynAckSeen);
  c.ok(kIni, seg(kTcpSyn, 1000, 0), TcpState::kSynAckSeen);
  c.ok(kIni, seg(kTcpAck, 1001, 5001, 20), TcpState::kEstablished);  // the ACK may carry data
  c.ok(kRsp, seg(kSynAck, 5000, 1001), TcpState::kEstablished);      // SYN-ACK again: our ACK lost further on
}

TEST(FwTcpState, SegmentsThatDoNotFit) {
  {
    Conn c;                                     // nothing before the SYN
    c.refused(kRsp, seg(kSynAck, 5000, 1001));  // SYN-ACK before SYN
    c.refused(kIni, seg(kTcpAck, 1, 1));        // mid-stream, no session state
    c.refused(kIni, seg(kSynAck, 1000, 1));     // a SYN-ACK as the first segment
    c.refused(kRsp, seg(kTcpSyn, 1000, 0));     // the responder cannot initiate
    c.refused(kIni, seg(kTcpRst, 1000, 0));     // RST on nothing
    c.refused(kIni, seg(kTcpSyn | kTcpFin, 1000, 0));
  }
  {
    Conn c;
    c.ok(kIni, seg(kTcpSyn, 1000, 0), TcpState::kSynSent);
    c.refused(kIni, seg(kTcpAck, 1001, 5001, 10));  // data before the handshake
    c.refused(kRsp, seg(kSynAck, 5000, 999));       // SYN-ACK acknowledging something else
    c.refused(kRsp, seg(kTcpAck, 5000, 1001));      // ACK without SYN
    c.refused(kRsp, seg(kTcpSyn, 5000, 0));         // simultaneous open: not supported
    c.refused(kIni, seg(kTcpSyn, 2000, 0));         // a different SYN
    c.ok(kRsp, seg(kSynAck, 5000, 1001), TcpState::kSynAckSeen);
    c.refused(kRsp, seg(kTcpAck, 5001, 1001, 10));  // responder data before the final ACK
    c.refused(kIni, seg(kTcpAck, 1001, 4242));      // final ACK acknowledging the wrong thing
    c.ok(kIni, seg(kTcpAck, 1001, 5001), TcpState::kEstablished);
    c.refused(kIni, seg(0, 1001, 0, 10));                 // no ACK flag mid-stream
    c.refused(kIni, seg(kTcpSyn, 1001, 0));               // SYN inside the connection
    c.refused(kRsp, seg(kTcpSyn | kTcpRst, 5001, 1001));  // SYN+RST
  }
}

TEST(FwTcpState, ResetInAndOutOfWindow) {
  {
    Conn c;
    c.handshake();
    c.ok(kIni, seg(kTcpAck, 1001, 5001, 500), TcpState::kEstablished);
    // The responder acknowledged up to 1001 with a window of 1000: an RST
    // from the initiator must fall in [1001, 2001).
    c.refused(kIni, seg(kTcpRst, 2001, 0), TcpVerdict::kRstOutOfWindow);
    c.refused(kIni, seg(kTcpRst, 1000, 0), TcpVerdict::kRstOutOfWindow);
    c.refused(kIni, seg(kTcpRst, 1001 + 0x80000000u, 0), TcpVerdict::kRstOutOfWindow);
    c.ok(kIni, seg(kTcpRst, 2000, 0), TcpState::kClosed);
    EXPECT_EQ(tcp_timeout_class(c.st), kTcpTimeWait);
    c.ok(kRsp, seg(kRstAck, 5001, 1501), TcpState::kClosed);  // the sender's next sequence number
    c.refused(kIni, seg(kTcpAck, 1501, 5001));                // nothing more after a reset
    EXPECT_EQ(c.send(kIni, seg(kTcpSyn, 7000, 0)), TcpVerdict::kReopen);
  }
  {
    // The sender's exact next sequence number is accepted even when the
    // receiver's acknowledgement lags.
    Conn c;
    c.handshake();
    c.ok(kRsp, seg(kTcpAck, 5001, 1001, 4000), TcpState::kEstablished);
    c.ok(kRsp, seg(kTcpRst, 9001, 0), TcpState::kClosed);
  }
  {
    // An RST answering the SYN must acknowledge it.
    Conn c;
    c.ok(kIni, seg(kTcpSyn, 1000, 0), TcpState::kSynSent);
    c.refused(kRsp, seg(kRstAck, 0, 1234), TcpVerdict::kRstOutOfWindow);
    c.refused(kRsp, seg(kTcpRst, 0, 0), TcpVerdict::kRstOutOfWindow);
    c.ok(kRsp, seg(kRstAck, 0, 1001), TcpState::kClosed);
  }
}

TEST(FwTcpState, RstWindowUsesTheScaleWhenBothSidesOfferIt) {
  auto window_check = [](uint8_t ws_i, uint8_t ws_r, uint32_t offset) {
    Conn c;
    c.handshake(ws_i, ws_r);
    c.ok(kRsp, seg(kTcpAck, 5001, 1001, 0, 1000), TcpState::kEstablished);  // responder window 1000
    return rst_in_window(c.t, kIni, seg(kTcpRst, 1001 + offset, 0));
  };
  EXPECT_TRUE(window_check(7, 7, 100000));  // 1000 << 7 = 128000
  EXPECT_FALSE(window_check(7, 7, 130000));
  EXPECT_FALSE(window_check(TcpSeg::kNoWscale, 7, 100000));  // one side without the option: no scaling
  EXPECT_FALSE(window_check(7, TcpSeg::kNoWscale, 100000));
  EXPECT_TRUE(window_check(7, TcpSeg::kNoWscale, 999));
  EXPECT_FALSE(window_check(7, TcpSeg::kNoWscale, 1000));
  EXPECT_TRUE(window_check(14, 14, 1000u << 13));
  EXPECT_FALSE(window_check(14, 20, 1000u << 15));  // a scale above 14 counts as 14 (RFC 7323 2.3)
}

TEST(FwTcpState, TimeoutClassOfEveryState) {
  EXPECT_EQ(tcp_timeout_class(TcpState::kNone), kTcpInitial);
  EXPECT_EQ(tcp_timeout_class(TcpState::kSynSent), kTcpInitial);
  EXPECT_EQ(tcp_timeout_class(TcpState::kSynAckSeen), kTcpInitial);
  EXPECT_EQ(tcp_timeout_class(TcpState::kEstablished), kTcpEstablished);
  EXPECT_EQ(tcp_timeout_class(TcpState::kFinInit), kTcpClosing);
  EXPECT_EQ(tcp_timeout_class(TcpState::kFinResp), kTcpClosing);
  EXPECT_EQ(tcp_timeout_class(TcpState::kFinBoth), kTcpClosing);
  EXPECT_EQ(tcp_timeout_class(TcpState::kTimeWait), kTcpTimeWait);
  EXPECT_EQ(tcp_timeout_class(TcpState::kClosed), kTcpTimeWait);
  EXPECT_EQ(Timeouts{}.s[kTcpInitial], 20u);
  EXPECT_EQ(Timeouts{}.s[kTcpEstablished], 1800u);
  EXPECT_EQ(Timeouts{}.s[kTcpClosing], 240u);
  EXPECT_EQ(Timeouts{}.s[kTcpTimeWait], 150u);
  EXPECT_EQ(Timeouts{}.s[kUdp], 60u);
  EXPECT_EQ(Timeouts{}.s[kIcmp], 60u);
  EXPECT_EQ(Timeouts{}.s[kOther], 1800u);
}

TEST(FwTcpState, SegmentParsing) {
  // SYN with options NOP, NOP, window scale 7, MSS 1460, then 5 bytes of data.
  std::vector<uint8_t> b(20 + 12 + 5, 0);
  auto* th = reinterpret_cast<rte_tcp_hdr*>(b.data());
  th->sent_seq = rte_cpu_to_be_32(0x01020304);
  th->recv_ack = rte_cpu_to_be_32(7);
  th->rx_win = rte_cpu_to_be_16(65535);
  th->tcp_flags = kTcpSyn;
  th->data_off = (32 / 4) << 4;
  const uint8_t opts[12] = {1, 1, 3, 3, 7, 2, 4, 0x05, 0xb4, 0, 0, 0};
  std::memcpy(b.data() + 20, opts, sizeof opts);
  TcpSeg s;
  ASSERT_TRUE(tcp_segment(th, uint32_t(b.size()), s));
  EXPECT_EQ(s.seq, 0x01020304u);
  EXPECT_EQ(s.ack, 7u);
  EXPECT_EQ(s.win, 65535);
  EXPECT_EQ(s.len, 5u);
  EXPECT_EQ(s.wscale, 7);
  // Not a SYN: options are not read.
  th->tcp_flags = kTcpAck;
  ASSERT_TRUE(tcp_segment(th, uint32_t(b.size()), s));
  EXPECT_EQ(s.wscale, TcpSeg::kNoWscale);
  // A malformed option length stops the walk without reading past the header.
  th->tcp_flags = kTcpSyn;
  b[22] = 3;
  b[23] = 40;
  ASSERT_TRUE(tcp_segment(th, uint32_t(b.size()), s));
  EXPECT_EQ(s.wscale, TcpSeg::kNoWscale);
  // Header longer than the segment, or shorter than 20 bytes.
  EXPECT_FALSE(tcp_segment(th, 31, s));
  th->data_off = 4 << 4;
  EXPECT_FALSE(tcp_segment(th, uint32_t(b.size()), s));
}

}  // namespace
}  // namespace vp::fw
