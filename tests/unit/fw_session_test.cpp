// Firewall session key and table: normalisation of both directions (IPv4,
// IPv6, ICMP echo), insert/lookup/erase, a full table, expiry with the lazy
// re-arm, a randomised run against std::unordered_map, and the memory budget.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "features/fw/session_table.hpp"
#include "infra/error.hpp"

namespace vp::fw {
namespace {

// An IPv4 or IPv6 header followed by an L4 header: UDP/TCP ports, or an
// ICMP type and echo id. Enough bytes for the key builders.
std::vector<uint8_t> pkt4(const char* src, const char* dst, uint8_t proto, uint16_t sport, uint16_t dport,
                          uint16_t frag = 0) {
  std::vector<uint8_t> b(20 + 8, 0);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(b.data());
  ip->version_ihl = 0x45;
  ip->next_proto_id = proto;
  ip->fragment_offset = rte_cpu_to_be_16(frag);
  inet_pton(AF_INET, src, &ip->src_addr);
  inet_pton(AF_INET, dst, &ip->dst_addr);
  uint16_t p[2] = {rte_cpu_to_be_16(sport), rte_cpu_to_be_16(dport)};
  std::memcpy(b.data() + 20, p, 4);
  return b;
}

std::vector<uint8_t> icmp4(const char* src, const char* dst, uint8_t type, uint16_t id) {
  auto b = pkt4(src, dst, IPPROTO_ICMP, 0, 0);
  b[20] = type;
  b[21] = b[22] = b[23] = 0;
  const uint16_t be = rte_cpu_to_be_16(id);
  std::memcpy(b.data() + 24, &be, 2);
  return b;
}

std::vector<uint8_t> pkt6(const char* src, const char* dst, uint8_t proto, uint16_t sport, uint16_t dport) {
  std::vector<uint8_t> b(40 + 8, 0);
  auto* ip = reinterpret_cast<rte_ipv6_hdr*>(b.data());
  ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
  ip->proto = proto;
  inet_pton(AF_INET6, src, ip->src_addr);
  inet_pton(AF_INET6, dst, ip->dst_addr);
  uint16_t p[2] = {rte_cpu_to_be_16(sport), rte_cpu_to_be_16(dport)};
  std::memcpy(b.data() + 40, p, 4);
  return b;
}

// An IPv6 packet whose first header after the fixed one is a fragment header.
std::vector<uint8_t> frag6(const char* src, const char* dst, uint8_t proto, uint16_t sport, uint16_t dport,
                           uint16_t offset_units) {
  auto b = pkt6(src, dst, IPPROTO_FRAGMENT, 0, 0);
  b.resize(40 + 8 + 8, 0);
  uint8_t fh[8] = {proto, 0, 0, 0, 0, 0, 0, 1};
  const uint16_t off = rte_cpu_to_be_16(uint16_t(offset_units << 3 | 1));  // with "more fragments"
  std::memcpy(fh + 2, &off, 2);
  std::memcpy(b.data() + 40, fh, 8);
  uint16_t p[2] = {rte_cpu_to_be_16(sport), rte_cpu_to_be_16(dport)};
  std::memcpy(b.data() + 48, p, 4);
  return b;
}

KeyBuild key4(const std::vector<uint8_t>& b, uint16_t vrf = 0, KeyStatus want = KeyStatus::kOk) {
  KeyBuild k{};
  EXPECT_EQ(session_key4(reinterpret_cast<const rte_ipv4_hdr*>(b.data()), uint32_t(b.size()), vrf, k), want);
  return k;
}

KeyBuild key6(const std::vector<uint8_t>& b, uint16_t vrf = 0, KeyStatus want = KeyStatus::kOk) {
  KeyBuild k{};
  EXPECT_EQ(session_key6(reinterpret_cast<const rte_ipv6_hdr*>(b.data()), uint32_t(b.size()), vrf, k), want);
  return k;
}

TEST(FwSessionKey, BothDirectionsGiveOneKeyAndHash) {
  for (uint8_t proto : {uint8_t(IPPROTO_UDP), uint8_t(IPPROTO_TCP)}) {
    // The lower address has the higher port: endpoints are ordered whole.
    const KeyBuild f = key4(pkt4("10.0.0.1", "10.0.0.2", proto, 40000, 53));
    const KeyBuild r = key4(pkt4("10.0.0.2", "10.0.0.1", proto, 53, 40000));
    EXPECT_TRUE(f.key == r.key);
    EXPECT_EQ(session_hash(f.key), session_hash(r.key));
    EXPECT_NE(f.src_side, r.src_side);
    EXPECT_EQ(f.key.proto, proto);
  }
  const KeyBuild f6 = key6(pkt6("2001:db8::1", "2001:db8::2", IPPROTO_UDP, 1234, 53));
  const KeyBuild r6 = key6(pkt6("2001:db8::2", "2001:db8::1", IPPROTO_UDP, 53, 1234));
  EXPECT_TRUE(f6.key == r6.key);
  EXPECT_EQ(session_hash(f6.key), session_hash(r6.key));
  EXPECT_NE(f6.src_side, r6.src_side);
  // Same addresses both ways (a host talking to itself): ports decide.
  const KeyBuild s1 = key4(pkt4("10.0.0.1", "10.0.0.1", IPPROTO_UDP, 7, 9));
  const KeyBuild s2 = key4(pkt4("10.0.0.1", "10.0.0.1", IPPROTO_UDP, 9, 7));
  EXPECT_TRUE(s1.key == s2.key);
  EXPECT_NE(s1.src_side, s2.src_side);
}

TEST(FwSessionKey, PortsStayWithTheirAddresses) {
  // A normaliser that sorted addresses and ports separately (as the
  // symmetric flow hash may) would make these two flows one session.
  const KeyBuild a = key4(pkt4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, 1, 2));
  const KeyBuild b = key4(pkt4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, 2, 1));
  EXPECT_FALSE(a.key == b.key);
  // Every field counts: protocol, VRF, a port, an address.
  const KeyBuild base = key4(pkt4("192.0.2.1", "198.51.100.1", IPPROTO_UDP, 1000, 2000));
  EXPECT_FALSE(base.key == key4(pkt4("192.0.2.1", "198.51.100.1", IPPROTO_TCP, 1000, 2000)).key);
  EXPECT_FALSE(base.key == key4(pkt4("192.0.2.1", "198.51.100.1", IPPROTO_UDP, 1000, 2000), 1).key);
  EXPECT_FALSE(base.key == key4(pkt4("192.0.2.1", "198.51.100.1", IPPROTO_UDP, 1000, 2001)).key);
  EXPECT_FALSE(base.key == key4(pkt4("192.0.2.1", "198.51.100.2", IPPROTO_UDP, 1000, 2000)).key);
}

TEST(FwSessionKey, Ipv4IsMappedAndNeverEqualsIpv6) {
  const KeyBuild k = key4(pkt4("192.0.2.1", "198.51.100.7", IPPROTO_UDP, 1, 2));
  EXPECT_TRUE(k.key.v4());
  uint8_t want[16];
  inet_pton(AF_INET6, "::ffff:192.0.2.1", want);
  EXPECT_EQ(std::memcmp(k.key.addr[k.src_side], want, 16), 0);
  // The same addresses written v4-mapped in an IPv6 header are refused, so
  // no IPv6 packet can land in an IPv4 session.
  key6(pkt6("::ffff:192.0.2.1", "::ffff:198.51.100.7", IPPROTO_UDP, 1, 2), 0, KeyStatus::kBadAddress);
  key6(pkt6("2001:db8::1", "::ffff:198.51.100.7", IPPROTO_UDP, 1, 2), 0, KeyStatus::kBadAddress);
  // IPv4-compatible addresses (::a.b.c.d) are IPv6 keys, unlike the IPv4 ones.
  const KeyBuild c = key6(pkt6("::192.0.2.1", "::198.51.100.7", IPPROTO_UDP, 1, 2));
  EXPECT_FALSE(c.key.v4());
  EXPECT_FALSE(c.key == k.key);
}

TEST(FwSessionKey, IcmpEchoIdIsThePort) {
  const KeyBuild req = key4(icmp4("10.0.0.1", "10.0.0.2", 8, 0x1234));
  const KeyBuild rep = key4(icmp4("10.0.0.2", "10.0.0.1", 0, 0x1234));
  EXPECT_TRUE(req.key == rep.key);
  EXPECT_NE(req.src_side, rep.src_side);
  EXPECT_EQ(req.key.port[0], rte_cpu_to_be_16(0x1234));
  EXPECT_EQ(req.key.port[1], rte_cpu_to_be_16(0x1234));
  EXPECT_FALSE(req.key == key4(icmp4("10.0.0.1", "10.0.0.2", 8, 0x1235)).key);
  key4(icmp4("10.0.0.2", "10.0.0.1", 3, 0), 0, KeyStatus::kIcmpError);   // unreachable
  key4(icmp4("10.0.0.2", "10.0.0.1", 11, 0), 0, KeyStatus::kIcmpError);  // time exceeded

  auto e6 = [](const char* s, const char* d, uint8_t type, uint16_t id) {
    auto b = pkt6(s, d, IPPROTO_ICMPV6, 0, 0);
    b[40] = type;
    const uint16_t be = rte_cpu_to_be_16(id);
    std::memcpy(b.data() + 44, &be, 2);
    return b;
  };
  const KeyBuild q6 = key6(e6("2001:db8::1", "2001:db8::2", 128, 77));
  const KeyBuild r6 = key6(e6("2001:db8::2", "2001:db8::1", 129, 77));
  EXPECT_TRUE(q6.key == r6.key);
  EXPECT_EQ(q6.key.port[0], rte_cpu_to_be_16(77));
  key6(e6("2001:db8::2", "2001:db8::1", 1, 0), 0, KeyStatus::kIcmpError);  // destination unreachable
}

TEST(FwSessionKey, FragmentsAndTruncation) {
  // First fragment: its key comes from its L4 header; later ones have none.
  const KeyBuild first = key4(pkt4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, 5, 6, 0x2000));
  EXPECT_TRUE(first.key == key4(pkt4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, 5, 6)).key);
  key4(pkt4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, 5, 6, 0x2000 | 100), 0, KeyStatus::kFragment);
  const KeyBuild f6 = key6(frag6("2001:db8::1", "2001:db8::2", IPPROTO_UDP, 5, 6, 0));
  EXPECT_TRUE(f6.key == key6(pkt6("2001:db8::1", "2001:db8::2", IPPROTO_UDP, 5, 6)).key);
  key6(frag6("2001:db8::1", "2001:db8::2", IPPROTO_UDP, 5, 6, 100), 0, KeyStatus::kFragment);

  auto b = pkt4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, 5, 6);
  KeyBuild k;
  EXPECT_EQ(session_key4(reinterpret_cast<const rte_ipv4_hdr*>(b.data()), 22, 0, k), KeyStatus::kTruncated);
  EXPECT_EQ(session_key4(reinterpret_cast<const rte_ipv4_hdr*>(b.data()), 19, 0, k), KeyStatus::kTruncated);
  b[0] = 0x4f;  // header longer than the packet
  EXPECT_EQ(session_key4(reinterpret_cast<const rte_ipv4_hdr*>(b.data()), uint32_t(b.size()), 0, k),
            KeyStatus::kTruncated);
  auto b6 = pkt6("2001:db8::1", "2001:db8::2", IPPROTO_TCP, 5, 6);
  EXPECT_EQ(session_key6(reinterpret_cast<const rte_ipv6_hdr*>(b6.data()), 42, 0, k), KeyStatus::kTruncated);
}

SessionKey random_key(std::mt19937& rng) {
  KeyBuild k{};
  if (rng() & 1) {
    auto b = pkt4("0.0.0.0", "0.0.0.0", IPPROTO_UDP, uint16_t(rng()), uint16_t(rng()));
    uint32_t a[2] = {uint32_t(rng()), uint32_t(rng())};
    std::memcpy(b.data() + 12, a, 8);
    EXPECT_EQ(session_key4(reinterpret_cast<const rte_ipv4_hdr*>(b.data()), uint32_t(b.size()), uint16_t(rng() % 4), k),
              KeyStatus::kOk);
  } else {
    auto b = pkt6("2001:db8::", "2001:db8::", IPPROTO_TCP, uint16_t(rng()), uint16_t(rng()));
    for (int i = 8; i < 40; i++) b[i] = uint8_t(rng());
    EXPECT_EQ(session_key6(reinterpret_cast<const rte_ipv6_hdr*>(b.data()), uint32_t(b.size()), 0, k), KeyStatus::kOk);
  }
  return k.key;
}

TEST(FwSessionTable, InsertLookupErase) {
  SessionTable t(1000, 1);
  const KeyBuild f = key4(pkt4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, 40000, 53));
  const KeyBuild r = key4(pkt4("10.0.0.2", "10.0.0.1", IPPROTO_UDP, 53, 40000));
  const uint32_t h = session_hash(f.key);
  EXPECT_EQ(t.lookup(f.key, h), SessionTable::kNone);
  const auto ins = t.insert(f.key, h, f.src_side, kUdp, 1);
  ASSERT_TRUE(ins.created);
  EXPECT_EQ(t.size(), 1u);
  // The reply finds the same session, and its direction is "from the responder".
  const uint32_t i = t.lookup(r.key, session_hash(r.key));
  ASSERT_EQ(i, ins.idx);
  EXPECT_EQ(t.at(i).dir_of(f.src_side), 0);
  EXPECT_EQ(t.at(i).dir_of(r.src_side), 1);
  SessionTable::touch(t.at(i), t.at(i).dir_of(r.src_side), 100, 5);
  EXPECT_EQ(t.at(i).packets[1], 1u);
  EXPECT_EQ(t.at(i).bytes[1], 100u);
  EXPECT_TRUE(t.at(i).flags & Session::kReplySeen);
  // A second insert of the same key finds it instead.
  const auto again = t.insert(r.key, session_hash(r.key), r.src_side, kUdp, 2);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.idx, i);
  EXPECT_EQ(t.size(), 1u);

  t.erase(i);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.lookup(f.key, h), SessionTable::kNone);
  EXPECT_FALSE(t.wheel().armed(i));
}

TEST(FwSessionTable, FullTableRefusesNewKeepsOld) {
  constexpr uint32_t kMax = 1000;
  SessionTable t(kMax, 1);
  std::mt19937 rng(7);
  std::vector<SessionKey> keys;
  std::vector<uint32_t> idx;
  while (keys.size() < kMax) {
    SessionKey k = random_key(rng);
    auto ins = t.insert(k, session_hash(k), 0, kUdp, 1);
    ASSERT_NE(ins.idx, SessionTable::kNone);
    if (!ins.created) continue;
    keys.push_back(k);
    idx.push_back(ins.idx);
  }
  EXPECT_EQ(t.size(), kMax);
  const SessionKey extra = random_key(rng);
  const auto refused = t.insert(extra, session_hash(extra), 0, kUdp, 1);
  EXPECT_EQ(refused.idx, SessionTable::kNone);
  EXPECT_FALSE(refused.created);
  EXPECT_EQ(t.size(), kMax);
  for (uint32_t i = 0; i < kMax; i++) ASSERT_EQ(t.lookup(keys[i], session_hash(keys[i])), idx[i]) << i;
  // Freeing one slot lets exactly one new session in, in that slot.
  t.erase(idx[123]);
  const auto in = t.insert(extra, session_hash(extra), 0, kUdp, 1);
  ASSERT_TRUE(in.created);
  EXPECT_EQ(in.idx, idx[123]);
  EXPECT_EQ(t.lookup(keys[123], session_hash(keys[123])), SessionTable::kNone);
  const SessionKey more = random_key(rng);
  EXPECT_EQ(t.insert(more, session_hash(more), 0, kUdp, 1).idx, SessionTable::kNone);
  for (uint32_t i = 0; i < kMax; i++) {
    if (i != 123) {
      ASSERT_EQ(t.lookup(keys[i], session_hash(keys[i])), idx[i]) << i;
    }
  }
}

struct KeyHash {
  size_t operator()(const SessionKey& k) const { return session_hash(k); }
};

// 100k random inserts, erases and lookups on a table kept near full (so
// home buckets overflow and deletions shift entries back) against a map.
TEST(FwSessionTable, RandomisedAgainstReference) {
  constexpr uint32_t kMax = 4000;
  SessionTable t(kMax, 1);
  std::unordered_map<SessionKey, uint32_t, KeyHash> ref;
  std::mt19937 rng(12345);
  std::vector<SessionKey> universe;
  for (int i = 0; i < 6000; i++) universe.push_back(random_key(rng));
  uint32_t full_refusals = 0;
  for (int op = 0; op < 100000; op++) {
    const SessionKey& k = universe[rng() % universe.size()];
    const uint32_t h = session_hash(k);
    const auto it = ref.find(k);
    // Inserts outnumber erases, so the table fills up and stays near full.
    const uint32_t dice = rng() % 10;
    switch (dice < 5 ? 0 : dice < 7 ? 1 : 2) {
      case 0: {
        const auto ins = t.insert(k, h, 0, kOther, 1);
        if (it != ref.end()) {
          ASSERT_FALSE(ins.created);
          ASSERT_EQ(ins.idx, it->second);
        } else if (ref.size() == kMax) {
          ASSERT_EQ(ins.idx, SessionTable::kNone);
          full_refusals++;
        } else {
          ASSERT_TRUE(ins.created);
          ref.emplace(k, ins.idx);
        }
        break;
      }
      case 1:
        if (it != ref.end()) {
          t.erase(it->second);
          ref.erase(it);
        }
        break;
      default:
        ASSERT_EQ(t.lookup(k, h), it == ref.end() ? SessionTable::kNone : it->second);
    }
    ASSERT_EQ(t.size(), ref.size());
    if (op % 10000 == 9999) {
      // Every key of the universe, through the bulk path, in vectors of 256.
      for (size_t b = 0; b < universe.size(); b += 256) {
        const uint32_t n = uint32_t(std::min<size_t>(256, universe.size() - b));
        uint32_t hashes[256], out[256];
        for (uint32_t i = 0; i < n; i++) {
          hashes[i] = session_hash(universe[b + i]);
          t.prefetch(hashes[i]);
        }
        t.lookup_bulk(&universe[b], hashes, n, out);
        for (uint32_t i = 0; i < n; i++) {
          const auto r = ref.find(universe[b + i]);
          ASSERT_EQ(out[i], r == ref.end() ? SessionTable::kNone : r->second);
        }
      }
    }
  }
  EXPECT_GT(full_refusals, 0u);  // the run did reach a full table
}

TEST(FwSessionTable, ExpiryRearmsLazilyAfterTraffic) {
  SessionTable t(10, 100);
  const KeyBuild f = key4(pkt4("10.0.0.1", "10.0.0.2", IPPROTO_UDP, 1, 2));
  const uint32_t i = t.insert(f.key, session_hash(f.key), f.src_side, kUdp, 100).idx;
  EXPECT_EQ(t.wheel().due(i), 160u);
  SessionTable::touch(t.at(i), 0, 64, 130);  // no wheel operation here
  EXPECT_EQ(t.wheel().due(i), 160u);
  std::vector<uint32_t> gone;
  auto on = [&](uint32_t idx, const Session&) { gone.push_back(idx); };
  EXPECT_EQ(t.expire(159, on), 0u);
  EXPECT_EQ(t.expire(160, on), 0u);  // fired, seen at 130: re-armed for 190
  EXPECT_EQ(t.wheel().due(i), 190u);
  EXPECT_EQ(t.expire(189, on), 0u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.expire(190, on), 1u);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], i);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.lookup(f.key, session_hash(f.key)), SessionTable::kNone);
}

TEST(FwSessionTable, ShorterClassRearmsAtOnce) {
  SessionTable t(10, 1000);
  const KeyBuild f = key4(pkt4("10.0.0.1", "10.0.0.2", IPPROTO_TCP, 1, 2));
  const uint32_t i = t.insert(f.key, session_hash(f.key), f.src_side, kTcpInitial, 1000).idx;
  EXPECT_EQ(t.wheel().due(i), 1020u);
  t.set_class(i, kTcpEstablished);  // longer: left to the lazy re-arm
  EXPECT_EQ(t.wheel().due(i), 1020u);
  std::vector<uint32_t> gone;
  auto on = [&](uint32_t idx, const Session&) { gone.push_back(idx); };
  EXPECT_EQ(t.expire(1020, on), 0u);
  EXPECT_EQ(t.wheel().due(i), 2800u);
  SessionTable::touch(t.at(i), 1, 40, 1500);
  t.set_class(i, kTcpTimeWait);  // shorter: 1500 + 150
  EXPECT_EQ(t.wheel().due(i), 1650u);
  EXPECT_EQ(t.expire(1649, on), 0u);
  EXPECT_EQ(t.expire(1650, on), 1u);
}

TEST(FwSessionTable, MemoryPerSessionWithinBudget) {
  // The budget: (pool + hash index + timer wheel) / sessions at the
  // table's maximum, <= 128 B, IPv4 and IPv6 in the same 104-byte slot.
  for (uint32_t max : {1u << 20, 1000000u, 10000000u}) {
    const double per = double(SessionTable::memory_bytes_for(max)) / max;
    EXPECT_LE(per, 128.0) << max;
    RecordProperty("bytes_per_session_" + std::to_string(max), std::to_string(per));
    std::printf("[ info ] %u sessions: %.2f bytes per session\n", max, per);
  }
  // The formula is what a real table holds.
  SessionTable t(100000, 1);
  EXPECT_EQ(t.memory_bytes(), size_t(100000) * sizeof(Session) + 15625 * 64 + TimerWheel::memory_bytes_for(100000));
  EXPECT_EQ(t.capacity(), 100000u);
}

TEST(FwSessionTable, BadLimitIsRefused) {
  EXPECT_THROW(SessionTable(0, 1), Error);
  EXPECT_THROW(SessionTable(SessionTable::kMaxSessions + 1, 1), Error);
}

}  // namespace
}  // namespace vp::fw
