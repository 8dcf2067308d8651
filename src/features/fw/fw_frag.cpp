// fw-ip4-frag and fw-ip6-frag: fragments of zoned traffic, through the
// fragment table (fw_frag.hpp). fw-ip4/fw-ip6 send every fragment here,
// except a first fragment coming back from here with its ticket.
#include "features/fw/fw_frag.hpp"

#include <rte_errno.h>

#include <atomic>

#include "features/fw/fw_packet.hpp"
#include "features/fw/fw_state.hpp"
#include "graph/feature.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "infra/error.hpp"
#include "io/interface.hpp"

namespace vp::fw {

FragTable::FragTable() {
  static std::atomic<uint32_t> n{0};
  const std::string name = "fw-frag-" + std::to_string(n++);
  ring_ = rte_ring_create(name.c_str(), 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
  if (!ring_) fail("cannot create the fragment verdict ring: {}", rte_strerror(rte_errno));
}

FragTable::~FragTable() {
  for (uint32_t i = 0; i < kSlots; i++)
    for (uint32_t h = 0; h < e_[i].n_held; h++) rte_pktmbuf_free(e_[i].held[h]);
  rte_ring_free(ring_);
}

int FragTable::find_or_add(const FragKey& k, uint32_t now) {
  uint64_t w[5];
  std::memcpy(w, &k, 40);
  uint64_t h = 0;
  for (uint64_t x : w) h = _mm_crc32_u64(h, x);
  int free_slot = -1;
  for (uint32_t n = 0, i = uint32_t(h) % kSlots; n < kProbe; n++, i = (i + 1) % kSlots) {
    if (e_[i].expires && e_[i].key == k) return int(i);
    if (!e_[i].expires && free_slot < 0) free_slot = int(i);
  }
  if (free_slot < 0) return -1;
  FragEntry& e = e_[free_slot];
  e.key = k;
  e.expires = now + kTimeout;
  e.gen++;
  e.verdict = FragVerdict::kPending;
  e.first_sent = false;
  e.n_ranges = e.n_held = 0;
  used_++;
  return free_slot;
}

bool FragTable::add_range(FragEntry& e, uint32_t lo, uint32_t hi) {
  for (uint32_t r = 0; r < e.n_ranges; r++)
    if (lo < e.ranges[r].hi && e.ranges[r].lo < hi) return false;
  if (e.n_ranges == FragEntry::kRanges) return false;
  e.ranges[e.n_ranges++] = {lo, hi};
  return true;
}

void FragTable::post(rte_ring* r, const FragTicket& t, bool permit) {
  const uint64_t v = uint64_t(t.entry) << 32 | uint64_t(t.gen) << 8 | (permit ? 1 : 0);
  // A full ring loses the verdict: the entry times out and drops what it held.
  rte_ring_mp_enqueue(r, reinterpret_cast<void*>(uintptr_t(v)));
}

void FragTable::release(uint32_t i) {
  e_[i].expires = 0;
  used_--;
}

namespace {
enum Next : uint16_t { kLookup, kDrop, kNextCount };
enum Err : uint16_t {
  kPassed,
  kHeld,
  kOverlap,
  kDeniedDatagram,
  kTooMany,
  kTableFull,
  kTimeout,
  kTruncated,
  kErrCount
};

struct FragInfo {
  uint32_t id, off, len;  // payload offset and length in bytes
  uint8_t proto;          // of the datagram's upper layer
  bool ok;
};

FragInfo frag_info(const rte_ipv4_hdr* ip, uint32_t avail) {
  const uint32_t hl = rte_ipv4_hdr_len(ip);
  if (hl < sizeof(rte_ipv4_hdr) || avail < hl) return {0, 0, 0, 0, false};
  return {rte_be_to_cpu_16(ip->packet_id),
          uint32_t(rte_be_to_cpu_16(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK) * 8, avail - hl, ip->next_proto_id,
          true};
}
FragInfo frag_info(const rte_ipv6_hdr* ip, uint32_t avail) {
  if (ip->proto != IPPROTO_FRAGMENT || avail < sizeof(rte_ipv6_hdr) + 8) return {0, 0, 0, 0, false};
  const auto* fh = reinterpret_cast<const uint8_t*>(ip + 1);
  uint16_t off;
  uint32_t id;
  std::memcpy(&off, fh + 2, 2);
  std::memcpy(&id, fh + 4, 4);
  return {rte_be_to_cpu_32(id), uint32_t(rte_be_to_cpu_16(off) & 0xfff8), avail - uint32_t(sizeof(rte_ipv6_hdr)) - 8,
          fh[0], true};
}

uint32_t whole_hash(const rte_ipv4_hdr* ip) { return flow_hash4_whole(ip); }
uint32_t whole_hash(const rte_ipv6_hdr* ip) { return flow_hash6_whole(ip); }

template <class F>
void fw_frag(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) {
  FwWorker& w = fw_worker(t.index());
  FragTable& ft = *w.frags;
  const FwState& st = *g_fw_state.load(std::memory_order_acquire);
  const ArcDef& arc = Arcs::get().arc(meta(p[0]).arc);
  NodeId next[256];
  for (uint32_t i = 0; i < n; i++) {
    rte_mbuf* m = p[i];
    PktMeta& pm = meta(m);
    const auto* ip = F::hdr(m);
    const uint32_t avail = F::avail(m, ip);
    auto drop = [&](Err e) {
      pm.error = uint16_t(self.error_base + e);
      next[i] = self.next[kDrop];
    };
    const FragInfo fi = frag_info(ip, avail);
    if (!fi.ok) {
      drop(kTruncated);
      continue;
    }
    FragKey k{};
    F::addrs(ip, k.src, k.dst);
    k.id = fi.id;
    k.vrf = uint16_t(pm.vrf);
    k.proto = fi.proto;
    const int idx = ft.find_or_add(k, w.now);
    if (idx < 0) {
      drop(kTableFull);
      continue;
    }
    FragEntry& e = ft.at(uint32_t(idx));
    const uint8_t zone = st.if_zone[pm.rx_if];
    if (!FragTable::add_range(e, fi.off, fi.off + fi.len)) {
      if (st.zone[zone].screened && (st.zone[zone].screen.flags & kScrTearDrop))
        cadd(w.screen_drops[zone][kScreenTearDrop], 1);
      drop(kOverlap);
      continue;
    }
    if (e.verdict == FragVerdict::kPermit) {
      t.count_error(self, kPassed);
      next[i] = feature_next(arc, pm);
      continue;
    }
    if (e.verdict == FragVerdict::kDeny) {
      drop(kDeniedDatagram);
      continue;
    }
    if (fi.off == 0 && !e.first_sent) {
      // The first fragment: to its session's owner, with a ticket for the verdict.
      e.first_sent = true;
      FragTicket tk{kTicketMagic, uint16_t(idx), e.gen, uint8_t(t.index())};
      static_assert(sizeof tk <= sizeof pm.opaque);
      std::memcpy(pm.opaque, &tk, sizeof tk);
      pm.flags |= kFragVerdict;
      const uint32_t owner = w.owners->owner(whole_hash(ip));
      if (owner == t.index()) {
        next[i] = self.next[kLookup];
      } else {
        pm.next = self.next[kLookup];
        t.handoff(owner, &p[i], 1);
        next[i] = kNoNode;
      }
      continue;
    }
    if (!ft.can_hold(e)) {
      drop(kTooMany);
      continue;
    }
    ft.hold(e, m);
    t.count_error(self, kHeld);
    next[i] = kNoNode;
  }
  t.enqueue_nexts(p, next, n);
}

void fw_ip4_frag(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) { fw_frag<Fam4>(t, self, p, n); }
void fw_ip6_frag(Thread& t, NodeRt& self, rte_mbuf** p, uint32_t n) { fw_frag<Fam6>(t, self, p, n); }

Names errors() {
  return names<kErrCount>({{kPassed, "fragment passed (datagram permitted)"},
                           {kHeld, "fragment held until its first arrives"},
                           {kOverlap, "overlapping fragment"},
                           {kDeniedDatagram, "fragment of a denied datagram"},
                           {kTooMany, "too many fragments held"},
                           {kTableFull, "fragment table full"},
                           {kTimeout, "fragment timed out without its first"},
                           {kTruncated, "truncated fragment header"}});
}
}  // namespace

static NodeRegistration reg4{{
    .name = "fw-ip4-frag",
    .fn = fw_ip4_frag,
    .next_names = names<kNextCount>({{kLookup, "fw-ip4"}, {kDrop, "error-drop"}}),
    .errors = errors(),
}};
static NodeRegistration reg6{{
    .name = "fw-ip6-frag",
    .fn = fw_ip6_frag,
    .next_names = names<kNextCount>({{kLookup, "fw-ip6"}, {kDrop, "error-drop"}}),
    .errors = errors(),
}};

void frag_verdict(rte_mbuf* m, bool permit) {
  PktMeta& pm = meta(m);
  pm.flags &= uint8_t(~kFragVerdict);
  FragTicket tk;
  std::memcpy(&tk, pm.opaque, sizeof tk);
  if (tk.magic != kTicketMagic) return;
  if (FwWorker* x = g_fw_worker[tk.worker].load(std::memory_order_acquire))
    FragTable::post(x->frags->verdicts(), tk, permit);
}

namespace {
const NodeId* frag_nodes() {
  static const NodeId ids[2] = {Registry::get().id("fw-ip4-frag"), Registry::get().id("fw-ip6-frag")};
  return ids;
}
bool is_v6(rte_mbuf* m) { return (rte_pktmbuf_mtod_offset(m, const uint8_t*, meta(m).l3_off)[0] >> 4) == 6; }
}  // namespace

uint32_t frag_verdicts(Thread& t, FwWorker& w) {
  FragTable& ft = *w.frags;
  uint32_t released = 0;
  void* obj;
  while (rte_ring_sc_dequeue(ft.verdicts(), &obj) == 0) {
    const uint64_t v = uintptr_t(obj);
    FragEntry& e = ft.at(uint32_t(v >> 32));
    if (!e.expires || e.gen != uint16_t(v >> 8)) continue;  // an older datagram's
    e.verdict = (v & 1) ? FragVerdict::kPermit : FragVerdict::kDeny;
    for (uint32_t h = 0; h < e.n_held; h++) {
      rte_mbuf* m = e.held[h];
      NodeRt& node = t.node(frag_nodes()[is_v6(m)]);
      if (e.verdict == FragVerdict::kPermit) {
        t.count_error(node, kPassed);
        PktMeta& pm = meta(m);
        t.enqueue1(feature_next(Arcs::get().arc(pm.arc), pm), m);
        released++;
      } else {
        t.drop(node, m, kDeniedDatagram);
      }
    }
    ft.unheld(e);
  }
  return released;
}

void frag_expire(Thread& t, FwWorker& w) {
  w.frags->expire(w.now, [&](rte_mbuf* m) { t.drop(t.node(frag_nodes()[is_v6(m)]), m, kTimeout); });
}

}  // namespace vp::fw
