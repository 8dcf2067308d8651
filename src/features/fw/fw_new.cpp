// fw-ip4-new and fw-ip6-new: the firewall's slow path, for the packets
// fw-ip4/fw-ip6 found no session for, or found one matched against an older
// rulebase.
//
// Per packet: the from-zone is the arrival interface's; the FIB says where
// the packet goes (an interface, whose zone is the to-zone, or the router
// itself). Traffic for the router is checked against the from-zone's
// host-inbound-traffic; the rest is classified against the published
// rulebase, the whole vector in one call. A permitted packet opens a session
// (or keeps its old one when re-matched) and continues along the arc.
// `deny` drops silently; `reject` answers TCP with a reset and the rest with
// ICMP administratively prohibited.
#include "features/fw/fw_host_inbound.hpp"
#include "features/fw/fw_packet.hpp"
#include "features/fw/fw_reject.hpp"
#include "features/fw/fw_state.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"
#include "net/ip/icmp_req.hpp"

namespace vp::fw {

namespace {
enum Next : uint16_t { kRecheck, kLookup, kIcmpError, kDrop, kNextCount };
enum Err : uint16_t {
  kCreated,
  kRematched,
  kPolicyClosed,
  kDenied,
  kRejected,
  kHostDenied,
  kHostAllowed,
  kToUnzoned,
  kNoRoute,
  kNoSyn,
  kFull,
  kSourceLimit,
  kNoRulebase,
  kErrCount
};

struct Pending {
  uint16_t i;         // packet
  uint8_t from, to;   // zones
  uint32_t existing;  // session being re-matched, or kNone
};

// A session re-matched after a policy change is classified as its
// initiator's flow, whichever side's packet came first: a reply's own tuple
// would be matched against the reverse zone pair's policies, and a
// download's session closed by any change to the rules.
template <class F>
void as_initiator(const Session& s, uint8_t src_side, ClassifyKey& k) {
  k.from = s.zone[0];
  k.to = s.zone[1];
  if (s.dir_of(src_side) == 0) return;
  uint8_t a[16];
  std::memcpy(a, k.src, 16);
  std::memcpy(k.src, k.dst, 16);
  std::memcpy(k.dst, a, 16);
  if (k.proto == F::kIcmpProto) {
    // The type is the classifier's source port: an echo reply's session
    // was opened by the request. The code stays.
    if (k.sport == (F::kV6 ? 129 : 0)) k.sport = F::kV6 ? 128 : 8;
    return;
  }
  std::swap(k.sport, k.dport);
}

template <class F>
void fw_new(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  FwWorker& w = fw_worker(t.index());
  SessionTable& tab = *w.table;
  const FwState& st = *g_fw_state.load(std::memory_order_acquire);
  const Rulebase* rb = g_rulebase.load(std::memory_order_acquire);
  const uint16_t gen = rulebase_gen(rb);
  const ArcDef& arc = Arcs::get().arc(meta(p[0]).arc);

  NodeId next[256];
  ClassifyKey ck[256];
  const ClassifyKey* ckp[256];
  uint32_t res[256];
  Pending pend[256];
  uint32_t nc = 0;
  uint32_t opened = 0;  // sessions this vector opened

  auto drop = [&](uint32_t i, Err e) {
    meta(p[i]).error = uint16_t(self.error_base + e);
    next[i] = self.next[kDrop];
  };

  // Opens the session of packet i (its initiator) and sends it on.
  auto open = [&](uint32_t i, uint8_t from, uint8_t to, uint32_t policy, const RuleResult* rule) {
    rte_mbuf* m = p[i];
    const auto* ip = F::hdr(m);
    const uint32_t len = F::avail(m, ip);
    KeyBuild kb;
    F::key(ip, len, uint16_t(meta(m).vrf), kb);
    const L4 l4 = F::l4(ip, len);
    TcpSeg seg{};
    const bool tcp = l4.proto == IPPROTO_TCP;
    if (tcp && !tcp_segment(reinterpret_cast<const rte_tcp_hdr*>(l4.p), l4.len, seg)) return drop(i, kNoSyn);
    // Only a SYN opens a TCP session, unless no-syn-check picks up
    // connections already running (Junos' words and default).
    const bool syn = tcp && (seg.flags & (kTcpSyn | kTcpAck | kTcpRst | kTcpFin)) == kTcpSyn;
    if (tcp && !syn && !st.flow.no_syn_check) return drop(i, kNoSyn);
    if (tab.size() >= st.per_worker_limit) return drop(i, kFull);
    SourceCounts* sc = w.sources.load(std::memory_order_acquire);
    uint32_t* per_src = sc ? sc->find(kb.key.addr[kb.src_side]) : nullptr;
    if (per_src && st.per_source_limit && *per_src >= st.per_source_limit) return drop(i, kSourceLimit);
    const uint8_t app = rule ? st.app_class(rule->timeout) : 0;
    const TimeoutClass base = initial_class(l4.proto);
    const TimeoutClass cls = app && base != kTcpInitial ? TimeoutClass(app) : base;
    const SessionTable::Inserted r = tab.insert(kb.key, session_hash(kb.key), kb.src_side, cls, w.now);
    if (r.idx == SessionTable::kNone) return drop(i, kFull);
    if (per_src) ++*per_src;
    Session& s = tab.at(r.idx);
    s.app_class = app;
    s.zone[0] = from;
    s.zone[1] = to;
    s.policy = policy;
    s.gen = gen;
    if (tcp) {
      if (syn) {
        tcp_track(s.state, s.tcp, 0, seg);
      } else {
        // Picked up mid-stream: both directions' sequence state starts
        // unknown (the window scale counts as the largest), and this
        // segment gives the initiator's acknowledgement and window, which
        // the responder's reset is checked against. Without them the
        // responder's RST (a server that lost the connection) would always
        // be out of the window.
        s.state = TcpState::kEstablished;
        tcp_track(s.state, s.tcp, 0, seg);
        tab.set_class(r.idx, class_for(s, tcp_timeout_class(s.state)));
      }
    }
    SessionTable::touch(s, 0, len, w.now);
    if (rule && rule->log_close) s.flags |= Session::kLogClose;
    if (rule && rule->log_init) log_session(w, LogKind::kCreate, s, CloseReason::kNone);
    opened++;
    cadd(w.c.created, 1);
    t.count_error(self, kCreated);
    next[i] = feature_next(arc, meta(m));
    t.trace(self, m, "session %u created: zones %u -> %u, policy %u", r.idx, from, to, policy);
  };

  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    const auto* ip = F::hdr(m);
    const uint32_t len = F::avail(m, ip);
    KeyBuild kb;
    F::key(ip, len, uint16_t(pm.vrf), kb);  // fw-ip4/fw-ip6 sent only keys that build
    const uint32_t existing = tab.lookup(kb.key, session_hash(kb.key));
    const uint8_t from = st.if_zone[pm.rx_if];
    if (existing != SessionTable::kNone) {
      Session& s = tab.at(existing);
      // The router's own sessions and those to it are not policy-matched:
      // the router's traffic is always allowed out, and traffic to it is
      // host-inbound's, checked again below.
      if (s.zone[0] == kHostZone) {
        s.gen = gen;
        next[i] = self.next[kRecheck];
        continue;
      }
    }
    const L4 l4 = F::l4(ip, len);
    const Egress e = F::to_host_always(ip) ? Egress{Egress::kHost, 0} : F::egress(pm.vrf, ip, pm.flow_hash);
    if (e.kind == Egress::kHost) {
      if (!host_inbound_allowed<F::kV6>(st.zone[from], l4)) {
        if (existing != SessionTable::kNone) {
          closing(w, tab.at(existing), CloseReason::kPolicy);
          tab.erase(existing);
          cadd(w.c.closed_policy, 1);
        }
        drop(i, kHostDenied);
        continue;
      }
      t.count_error(self, kHostAllowed);
      if (existing != SessionTable::kNone) {
        tab.at(existing).gen = gen;
        next[i] = self.next[kRecheck];
      } else if (is_neighbor_discovery<F::kV6>(l4)) {
        next[i] = feature_next(arc, pm);  // never a session: ND is per packet
      } else {
        open(i, from, kHostZone, 0, nullptr);
      }
      continue;
    }
    if (e.kind == Egress::kNone) {
      drop(i, kNoRoute);
      continue;
    }
    const uint8_t to = st.if_zone[e.sw_if];
    if (to == kNoZone) {
      drop(i, kToUnzoned);
      continue;
    }
    if (!rb) {
      drop(i, kNoRulebase);
      continue;
    }
    classify_key<F>(ip, l4, from, to, ck[nc]);
    if (existing != SessionTable::kNone) as_initiator<F>(tab.at(existing), kb.src_side, ck[nc]);
    ckp[nc] = &ck[nc];
    pend[nc++] = {uint16_t(i), from, to, existing};
  }

  if (nc) rb->classify(ckp, nc, res);
  for (uint32_t k = 0; k < nc; k++) {
    const Pending& q = pend[k];
    const RuleResult& r = rb->result(res[k]);
    rte_mbuf* m = p[q.i];
    if (opened && q.existing == SessionTable::kNone) {
      // Packets of one new flow that came in one vector all missed in
      // fw-ip4/fw-ip6; the first opened the session, and the others are
      // its packets: looked up again there, not opened (and counted,
      // logged, charged to their source) once more.
      const auto* ip = F::hdr(m);
      KeyBuild kb;
      F::key(ip, F::avail(m, ip), uint16_t(meta(m).vrf), kb);
      if (tab.lookup(kb.key, session_hash(kb.key)) != SessionTable::kNone) {
        next[q.i] = self.next[kRecheck];
        continue;
      }
    }
    if (r.count && r.policy < kMaxPolicies) cadd(w.hits[r.policy], 1);
    if (q.existing != SessionTable::kNone) {
      if (r.action == Action::kPermit) {
        Session& s = tab.at(q.existing);
        s.gen = gen;
        s.policy = r.policy;
        s.flags = uint8_t((s.flags & ~Session::kLogClose) | (r.log_close ? Session::kLogClose : 0));
        s.app_class = st.app_class(r.timeout);
        t.count_error(self, kRematched);
        next[q.i] = self.next[kRecheck];
        continue;
      }
      closing(w, tab.at(q.existing), CloseReason::kPolicy);
      tab.erase(q.existing);
      cadd(w.c.closed_policy, 1);
      drop(q.i, kPolicyClosed);
      continue;
    }
    if (r.action != Action::kPermit && r.log_init) {
      // The packet's own key: the denied flow never had a session.
      const auto* ip = F::hdr(m);
      KeyBuild kb;
      F::key(ip, F::avail(m, ip), uint16_t(meta(m).vrf), kb);
      LogEvent e{};
      e.key = kb.key;
      e.policy = r.policy;
      e.kind = LogKind::kDeny;
      e.zone[0] = q.from;
      e.zone[1] = q.to;
      e.init_side = kb.src_side;
      log_push(w, e);
    }
    switch (r.action) {
      case Action::kPermit:
        open(q.i, q.from, q.to, r.policy, &r);
        break;
      case Action::kReject: {
        const L4 l4 = F::l4(F::hdr(m), F::avail(m, F::hdr(m)));
        t.count_error(self, kRejected);
        // Told here: the reset leaves by ip4-lookup like a permitted packet,
        // and the ICMP request takes the scratch the ticket is in.
        if (meta(m).flags & kFragVerdict) frag_verdict(m, false);
        if (l4.proto == IPPROTO_TCP) {
          bool ok;
          if constexpr (F::kV6)
            ok = make_rst6(m);
          else
            ok = make_rst4(m);
          if (ok) {
            next[q.i] = self.next[kLookup];
            break;
          }
          drop(q.i, kDenied);
          break;
        }
        if constexpr (F::kV6)
          want_icmp(m, 1, 1);  // administratively prohibited (RFC 4443 3.1)
        else
          want_icmp(m, 3, 13);  // communication administratively prohibited (RFC 1812 5.2.7.1)
        next[q.i] = self.next[kIcmpError];
        break;
      }
      default:
        drop(q.i, kDenied);
        break;
    }
  }
  for (uint32_t i = 0; i < n; i++)
    if (__builtin_expect(meta(p[i]).flags & kFragVerdict, 0) && next[i] != self.next[kRecheck])
      frag_verdict(p[i], next[i] != self.next[kDrop]);
  t.enqueue_nexts(p, next, n);
}

void fw_ip4_new(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) { fw_new<Fam4>(t, self, p, n); }
void fw_ip6_new(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) { fw_new<Fam6>(t, self, p, n); }

Names errors() {
  return names<kErrCount>({{kCreated, "session created"},
                           {kRematched, "session re-matched after a policy change"},
                           {kPolicyClosed, "session closed by a policy change"},
                           {kDenied, "denied by policy"},
                           {kRejected, "rejected by policy (RST or ICMP sent)"},
                           {kHostDenied, "host-inbound traffic not allowed"},
                           {kHostAllowed, "host-inbound traffic allowed"},
                           {kToUnzoned, "between a zoned and an unzoned interface"},
                           {kNoRoute, "no route"},
                           {kNoSyn, "TCP without SYN and no session"},
                           {kFull, "session table full"},
                           {kSourceLimit, "per-source session limit"},
                           {kNoRulebase, "rulebase not yet published"}});
}
}  // namespace

static NodeRegistration reg4{{
    .name = "fw-ip4-new",
    .fn = fw_ip4_new,
    .next_names = names<kNextCount>(
        {{kRecheck, "fw-ip4"}, {kLookup, "ip4-lookup"}, {kIcmpError, "ip4-icmp-error"}, {kDrop, "error-drop"}}),
    .errors = errors(),
}};
static NodeRegistration reg6{{
    .name = "fw-ip6-new",
    .fn = fw_ip6_new,
    .next_names = names<kNextCount>(
        {{kRecheck, "fw-ip6"}, {kLookup, "ip6-lookup"}, {kIcmpError, "ip6-icmp-error"}, {kDrop, "error-drop"}}),
    .errors = errors(),
}};

}  // namespace vp::fw
