// fw-ip4 and fw-ip6: the firewall's session lookup, a feature on the
// ip4-unicast and ip6-unicast arcs of every zoned interface, after the flow
// handoff (so this thread owns every packet's session).
//
// The shape of style.md: one pass builds every packet's session key, hashes
// it and prefetches its bucket; lookup_bulk resolves the vector; a second
// pass updates the hits (TCP state, counters) and sends them on along the
// arc. Misses, and hits matched against an older rulebase, go to the slow
// path (fw-ip4-new, fw-ip6-new) as one enqueue, never a call per packet.
//
// ICMP errors are matched to the session of the packet they quote (related
// traffic). A quoted flow owned by another worker is handed off to it;
// an error no session explains is dropped.
#include "features/fw/fw_packet.hpp"
#include "features/fw/fw_screen.hpp"
#include "features/fw/fw_state.hpp"
#include "features/nat/nat_rewrite.hpp"
#include "features/nat/nat_state.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "io/interface.hpp"

namespace vp::fw {

namespace {
enum Next : uint16_t { kNew, kFrag, kDrop, kNextCount };
enum Err : uint16_t {
  kHit,
  kRelated,
  kTcpInvalid,
  kRstWindow,
  kIcmpNoSession,
  kTruncated,
  kBadAddress,
  kScreen0,  // then one per ScreenReason after kScreenPass
  kErrCount = kScreen0 + kScreenCount - 1
};

enum Kind : uint8_t { kKey, kRelatedKey, kFragmentKind, kBad };

template <class F>
void fw_in(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  FwWorker& w = fw_worker(t.index());
  SessionTable& tab = *w.table;
  const FwState& st = *g_fw_state.load(std::memory_order_acquire);
  const Rulebase* rb = g_rulebase.load(std::memory_order_acquire);
  const uint16_t gen = rulebase_gen(rb);
  const ArcDef& arc = Arcs::get().arc(meta(p[0]).arc);
  const uint32_t me = t.index();

  SessionKey keys[256];
  uint32_t hash[256], slot[256];
  uint8_t side[256], kind[256];
  uint16_t kidx[256];
  NodeId next[256];
  uint32_t nk = 0, tickets = 0;
  for (uint32_t i = 0; i < n; i++) {
    prefetch_ahead(p, i, n);
    rte_mbuf* m = p[i];
    const auto* ip = F::hdr(m);
    const uint32_t len = F::avail(m, ip);
    // Screens first: a zone without a profile costs this one test. A
    // packet comes here again after the slow path (a session it opened or
    // re-matched), a handoff to its flow's owner or the fragment table:
    // screened once, it is not counted towards a flood twice.
    const uint8_t zone = st.if_zone[meta(m).rx_if];
    if (__builtin_expect(st.zone[zone].screened, 0) && !(meta(m).flags & kScreened)) {
      if (const uint8_t r = screen_check<F>(w, st.zone[zone].screen, st.workers, ip, len, meta(m))) {
        cadd(w.screen_drops[zone][r], 1);
        kind[i] = kBad;
        meta(m).error = uint16_t(self.error_base + kScreen0 + r - 1);
        continue;
      }
      meta(m).flags |= kScreened;
    }
    // Fragments go to the fragment table, except a first fragment it sent
    // back with a ticket, to be looked up like a whole packet.
    if (__builtin_expect(F::is_fragment(ip), 0)) {
      if (!(meta(m).flags & kFragVerdict)) {
        kind[i] = kFragmentKind;
        continue;
      }
      tickets++;
    }
    KeyStatus ks = F::key(ip, len, uint16_t(meta(m).vrf), keys[nk], side[nk]);
    kind[i] = kKey;
    if (__builtin_expect(ks == KeyStatus::kIcmpError, 0)) {
      const L4 l4 = F::l4(ip, len);
      const auto* in = icmp_inner<F>(l4);
      ks = in ? F::key(in, icmp_inner_len<F>(l4), uint16_t(meta(m).vrf), keys[nk], side[nk]) : KeyStatus::kTruncated;
      // An error about an error is never related to anything.
      if (ks == KeyStatus::kIcmpError) ks = KeyStatus::kTruncated;
      kind[i] = kRelatedKey;
    }
    if (__builtin_expect(ks != KeyStatus::kOk, 0)) {
      kind[i] = kBad;
      meta(m).error = uint16_t(self.error_base + (ks == KeyStatus::kBadAddress ? kBadAddress : kTruncated));
      continue;
    }
    hash[nk] = session_hash(keys[nk]);
    tab.prefetch(hash[nk]);
    kidx[i] = uint16_t(nk++);
  }
  tab.lookup_bulk(keys, hash, nk, slot);

  rte_mbuf* away[256];
  uint32_t away_to[256], n_away = 0, hits = 0, related = 0;
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    if (__builtin_expect(kind[i] >= kFragmentKind, 0)) {
      next[i] = self.next[kind[i] == kBad ? kDrop : kFrag];
      continue;
    }
    const uint32_t k = kidx[i];
    const uint32_t entry = slot[k];
    const uint32_t s_idx = entry == SessionTable::kNone ? entry : SessionTable::slot_of(entry);
    const bool via_xlate = entry != SessionTable::kNone && (entry & SessionTable::kViaXlate);
    if (__builtin_expect(kind[i] == kRelatedKey, 0)) {
      if (s_idx != SessionTable::kNone) {
        related++;
        if constexpr (!F::kV6) {
          const Session& s = tab.at(s_idx);
          if (s.flags & Session::kNat) {
            const Xlate& x = tab.xlate(s_idx);
            const uint8_t qdir = via_xlate ? side[k] ^ x.init_side : s.dir_of(side[k]);
            nat::translate_icmp_error4(s, x, via_xlate, qdir, F::hdr(m), F::avail(m, F::hdr(m)));
          }
        }
        next[i] = feature_next(arc, pm);
        t.trace(self, m, "ICMP error related to session %u", s_idx);
        continue;
      }
      const L4 l4 = F::l4(F::hdr(m), F::avail(m, F::hdr(m)));
      uint32_t owner;
      if constexpr (F::kV6)
        owner = w.owners->owner(F::flow_hash(icmp_inner<F>(l4)));
      else
        owner = nat::owner4(nat::nat_state(), *w.owners, icmp_inner<F>(l4), icmp_inner_len<F>(l4));
      if (owner != me) {
        pm.next = self.id;  // looked up again on the thread that owns the quoted flow
        away[n_away] = m;
        away_to[n_away++] = owner;
        next[i] = kNoNode;
        continue;
      }
      pm.error = uint16_t(self.error_base + kIcmpNoSession);
      next[i] = self.next[kDrop];
      continue;
    }
    if (s_idx == SessionTable::kNone) {
      next[i] = self.next[kNew];
      continue;
    }
    Session& s = tab.at(s_idx);
    if (__builtin_expect(s.gen != gen, 0)) {
      next[i] = self.next[kNew];  // re-matched against the new rulebase there
      continue;
    }
    const uint8_t dir = via_xlate ? side[k] ^ tab.xlate(s_idx).init_side : s.dir_of(side[k]);
    auto* ip = F::hdr(m);
    const uint32_t len = F::avail(m, ip);
    if (s.key.proto == IPPROTO_TCP) {
      const L4 l4 = F::l4(ip, len);
      TcpSeg seg;
      if (!tcp_segment(reinterpret_cast<const rte_tcp_hdr*>(l4.p), l4.len, seg)) {
        pm.error = uint16_t(self.error_base + kTruncated);
        next[i] = self.next[kDrop];
        continue;
      }
      const TcpState before = s.state;
      const TcpVerdict v = tcp_track(s.state, s.tcp, dir, seg);
      if (__builtin_expect(v != TcpVerdict::kOk, 0)) {
        if (v == TcpVerdict::kReopen) {
          // A new connection on the same ports: the old session ends and
          // the SYN is classified afresh.
          closing(w, s, CloseReason::kReopen);
          tab.erase(s_idx);
          cadd(w.c.closed_tcp, 1);
          next[i] = self.next[kNew];
          continue;
        }
        pm.error = uint16_t(self.error_base + (v == TcpVerdict::kRstOutOfWindow ? kRstWindow : kTcpInvalid));
        next[i] = self.next[kDrop];
        t.trace(self, m, "session %u: TCP segment refused in state %s", s_idx, tcp_state_name(s.state));
        continue;
      }
      if (__builtin_expect(s.state != before, 0)) {
        const TimeoutClass c = class_for(s, tcp_timeout_class(s.state));
        if (c != s.tclass) tab.set_class(s_idx, c);
      }
    }
    SessionTable::touch(s, dir, len, w.now);
    if constexpr (!F::kV6)
      if (s.flags & Session::kNat) {
        nat::translate4(s, tab.xlate(s_idx), via_xlate, dir, ip, len);
        // The rest of a translated datagram would leave untranslated (it
        // has no ports to find the session by): it is dropped instead.
        if (__builtin_expect(pm.flags & kFragVerdict, 0)) {
          frag_verdict(m, false);
          tickets--;
        }
      }
    hits++;
    next[i] = feature_next(arc, pm);
    if (__builtin_expect(pm.flags & kTraced, 0))
      t.trace(self, m, "session %u hit, direction %u, policy %u", s_idx, dir, s.policy);
  }
  // First fragments decided here tell the fragment table; those sent to
  // the slow path tell it from there.
  for (uint32_t i = 0; tickets && i < n; i++)
    if ((meta(p[i]).flags & kFragVerdict) && next[i] != self.next[kNew] && next[i] != kNoNode) {
      frag_verdict(p[i], next[i] != self.next[kDrop]);
      tickets--;
    }
  t.count_error(self, kHit, hits);
  if (related) t.count_error(self, kRelated, related);
  t.enqueue_nexts(p, next, n);
  for (uint32_t i = 0; i < n_away; i++) t.handoff(away_to[i], &away[i], 1);
}

void fw_ip4(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) { fw_in<Fam4>(t, self, p, n); }
void fw_ip6(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) { fw_in<Fam6>(t, self, p, n); }

Names errors() {
  Names n = names<kScreen0>({{kHit, "session hit"},
                             {kRelated, "ICMP error related to a session"},
                             {kTcpInvalid, "TCP segment invalid in session state"},
                             {kRstWindow, "TCP RST outside the window"},
                             {kIcmpNoSession, "ICMP error without a session"},
                             {kTruncated, "truncated header"},
                             {kBadAddress, "IPv4-mapped IPv6 address"}});
  for (uint32_t r = 1; r < kScreenCount; r++) n.list.push_back(std::string("screen: ") + kScreenNames[r]);
  return n;
}
}  // namespace

static NodeRegistration reg4{{
    .name = "fw-ip4",
    .fn = fw_ip4,
    .next_names = names<kNextCount>({{kNew, "fw-ip4-new"}, {kFrag, "fw-ip4-frag"}, {kDrop, "error-drop"}}),
    .errors = errors(),
}};
static NodeRegistration reg6{{
    .name = "fw-ip6",
    .fn = fw_ip6,
    .next_names = names<kNextCount>({{kNew, "fw-ip6-new"}, {kFrag, "fw-ip6-frag"}, {kDrop, "error-drop"}}),
    .errors = errors(),
}};
static FeatureRegistration f4{
    {.arc = "ip4-unicast", .node = "fw-ip4", .runs_after = {"ip4-flow-handoff"}, .module_only = true}};
static FeatureRegistration f6{
    {.arc = "ip6-unicast", .node = "fw-ip6", .runs_after = {"ip6-flow-handoff"}, .module_only = true}};

}  // namespace vp::fw
