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
//
// NAT44 (features/nat/nat_new.hpp) takes part on interfaces with a NAT
// role: static and destination NAT before the route lookup, source NAT
// once the policy permits, the translation stored in the session. Between
// two unzoned NAT interfaces there is no policy: a flow that needs a
// translation opens a session, and the rest passes as routed traffic,
// except what comes from outside to an outside address no session or
// mapping explains (and, without `nat44 forwarding enable`, anything else
// from outside that no session explains).
#include "features/fw/fw_host_inbound.hpp"
#include "features/fw/fw_packet.hpp"
#include "features/fw/fw_reject.hpp"
#include "features/fw/fw_state.hpp"
#include "features/nat/nat_new.hpp"
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
  kNoTranslation,
  kOutOfPorts,
  kNatPassed,
  kErrCount
};

struct Pending {
  uint16_t i;         // packet
  uint8_t from, to;   // zones
  uint32_t existing;  // session being re-matched, or kNone
  nat::Plan plan;     // the translation a new session takes
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

// A translated session is matched as its first packet was: from its
// original source to its translated destination.
void nat_initiator(const SessionTable& tab, uint32_t idx, ClassifyKey& k) {
  nat::Endpoint orig[2], xl[2];
  nat::session_endpoints(tab.at(idx), tab.xlate(idx), false, orig);
  nat::session_endpoints(tab.at(idx), tab.xlate(idx), true, xl);
  std::memcpy(k.src, &orig[0].addr, 4);
  std::memcpy(k.dst, &xl[1].addr, 4);
  if (k.proto == IPPROTO_TCP || k.proto == IPPROTO_UDP) {
    k.sport = rte_be_to_cpu_16(orig[0].port);
    k.dport = rte_be_to_cpu_16(xl[1].port);
  }
}

template <class F>
void fw_new(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  FwWorker& w = fw_worker(t.index());
  SessionTable& tab = *w.table;
  const FwState& st = *g_fw_state.load(std::memory_order_acquire);
  const Rulebase* rb = g_rulebase.load(std::memory_order_acquire);
  const uint16_t gen = rulebase_gen(rb);
  const ArcDef& arc = Arcs::get().arc(meta(p[0]).arc);
  const nat::NatState& ns = nat::nat_state();
  const bool nat_on = !F::kV6 && ns.active;

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
  auto open = [&](uint32_t i, uint8_t from, uint8_t to, uint32_t policy, const RuleResult* rule, nat::Plan* plan) {
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
    if constexpr (!F::kV6) {
      if (plan && plan->translate) {
        plan->x.vrf = kb.key.vrf;
        if ((plan->pool && !nat::allocate(ns, w.nat_share, tab, kb.key, kb.key.vrf, w.nat_cursor, *plan)) ||
            !tab.set_xlate(r.idx, plan->x)) {
          tab.erase(r.idx);
          return drop(i, kOutOfPorts);
        }
      }
    }
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
    if constexpr (!F::kV6)
      if (s.flags & Session::kNat) {
        nat::translate4(s, tab.xlate(r.idx), false, 0, F::hdr(m), len);
        // As in fw-ip4: the rest of a translated datagram is dropped.
        if (__builtin_expect(meta(m).flags & kFragVerdict, 0)) frag_verdict(m, false);
      }
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
      // host-inbound's, checked again below. Neither are translated
      // sessions between unzoned interfaces.
      if (s.zone[0] == kHostZone || (s.zone[0] == kNoZone && s.zone[1] == kNoZone)) {
        s.gen = gen;
        next[i] = self.next[kRecheck];
        continue;
      }
      // A translated session keeps its zones: a reply's own destination
      // (an outside address) would route to the router itself.
      if (s.flags & Session::kNat) {
        if (!rb) {
          drop(i, kNoRulebase);
          continue;
        }
        classify_key<F>(ip, F::l4(ip, len), s.zone[0], s.zone[1], ck[nc]);
        as_initiator<F>(s, kb.src_side, ck[nc]);
        nat_initiator(tab, existing, ck[nc]);
        ckp[nc] = &ck[nc];
        pend[nc++] = {uint16_t(i), s.zone[0], s.zone[1], existing, {}};
        continue;
      }
    }
    const L4 l4 = F::l4(ip, len);
    nat::Pre pre;
    Egress e;
    if constexpr (!F::kV6) {
      const uint8_t role = nat_on && existing == SessionTable::kNone ? nat::rx_role(ns, pm.rx_if) : 0;
      if (role) {
        pre = nat::pre_route(ns, role, ip, len);
        // An outside address that is not the router's own, with no
        // session and no mapping for this packet.
        if (pre.outside && !pre.sm && !(pre.outside->kind & nat::kIfAddr)) {
          drop(i, kNoTranslation);
          continue;
        }
      }
      const Ip4Mtrie* fib = pm.vrf < kMaxFibs ? g_fib4[pm.vrf].load(std::memory_order_acquire) : nullptr;
      e = F::to_host_always(ip) ? Egress{Egress::kHost, 0}
          : !role               ? F::egress(pm.vrf, ip, pm.flow_hash)
          : fib                 ? egress_of_dpo(lb_resolve(fib->lookup(rte_be_to_cpu_32(pre.dst.addr)), pm.flow_hash))
                                : Egress{Egress::kNone, 0};
    } else {
      e = F::to_host_always(ip) ? Egress{Egress::kHost, 0} : F::egress(pm.vrf, ip, pm.flow_hash);
    }
    if (e.kind == Egress::kHost && from == kNoZone && pre.role) {
      // The router's own traffic on an unzoned NAT interface: as without NAT.
      t.count_error(self, kNatPassed);
      next[i] = feature_next(arc, pm);
      continue;
    }
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
        open(i, from, kHostZone, 0, nullptr, nullptr);
      }
      continue;
    }
    if (e.kind == Egress::kNone) {
      drop(i, kNoRoute);
      continue;
    }
    const uint8_t to = st.if_zone[e.sw_if];
    nat::Plan plan;
    if constexpr (!F::kV6)
      if (pre.role) plan = nat::plan(ns, pre, e.sw_if < kMaxInterfaces ? nat::rx_role(ns, e.sw_if) : 0, l4.proto);
    if (from == kNoZone && to == kNoZone && pre.role) {
      if (plan.translate) {
        open(i, from, to, 0, nullptr, &plan);
      } else if ((pre.role & nat::kOut) && !(pre.role & nat::kIn) && !pre.sm && !ns.forwarding) {
        drop(i, kNoTranslation);
      } else {
        t.count_error(self, kNatPassed);
        next[i] = feature_next(arc, pm);
      }
      continue;
    }
    if (to == kNoZone || from == kNoZone) {
      drop(i, kToUnzoned);
      continue;
    }
    if (!rb) {
      drop(i, kNoRulebase);
      continue;
    }
    classify_key<F>(ip, l4, from, to, ck[nc]);
    if constexpr (!F::kV6)
      if (pre.dst.addr != pre.odst.addr || pre.dst.port != pre.odst.port) {
        std::memcpy(ck[nc].dst, &pre.dst.addr, 4);
        if (l4.proto == IPPROTO_TCP || l4.proto == IPPROTO_UDP) ck[nc].dport = rte_be_to_cpu_16(pre.dst.port);
      }
    if (existing != SessionTable::kNone) as_initiator<F>(tab.at(existing), kb.src_side, ck[nc]);
    ckp[nc] = &ck[nc];
    pend[nc++] = {uint16_t(i), from, to, existing, plan};
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
        open(q.i, q.from, q.to, r.policy, &r, &pend[k].plan);
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
                           {kNoRulebase, "rulebase not yet published"},
                           {kNoTranslation, "NAT: no session or mapping (no translation)"},
                           {kOutOfPorts, "NAT: out of ports"},
                           {kNatPassed, "NAT: not translated, passed"}});
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
