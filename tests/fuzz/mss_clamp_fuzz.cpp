// Fuzz target: TCP MSS clamping's option walk, alone and in the nodes.
//
// The first byte chooses the mode, the next two the clamp; the rest is a
// TCP segment, taken as it is or (mode bit 3) read as a list of options
// to build (no-operations, MSS, the SYN options Linux sends, an option of
// any kind and length, an MSS of the wrong length), so that the seeded
// random driver of g++ builds reaches well-formed option lists too.
//
// Alone: clamp_mss must leave a segment it does not clamp exactly as it
// was; one it clamps may differ only in MSS values, each now at most the
// clamp, and in the checksum, and the ones' complement sum over the whole
// segment must be unchanged (the checksum still verifies against the same
// pseudo-header).
//
// In the nodes: the segment in an IPv4 or IPv6 packet (IP lengths right,
// SYN forced by mode bit 1, a fragment or a destination-options header by
// bit 2), routed from a loopback to a null sink with clamping on both of
// them in both directions, so that every clamp node parses it. Any crash,
// sanitizer report or leaked buffer is a bug.
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "control/cli.hpp"
#include "features/mss_clamp/mss_clamp_tcp.hpp"
#include "fuzz_env.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "io/eal.hpp"
#include "io/interface.hpp"

namespace {

// A TCP header from the first 20 bytes (what there is of them), then the
// options the remaining bytes name, the data offset covering them.
std::vector<uint8_t> shaped(const uint8_t* d, size_t n) {
  std::vector<uint8_t> seg(d, d + std::min<size_t>(n, vp::mss::kTcpHdr));
  seg.resize(vp::mss::kTcpHdr);
  size_t i = seg.size();
  auto next = [&] { return i < n ? d[i++] : uint8_t(0); };
  while (i < n && seg.size() < 60) {
    switch (next() % 8) {
      case 0:
        seg.push_back(0);
        break;
      case 1:
        seg.push_back(1);
        break;
      case 2:
        seg.insert(seg.end(), {2, 4, next(), next()});
        break;
      case 3:
        seg.insert(seg.end(), {4, 2});
        break;
      case 4:
        seg.insert(seg.end(), {8, 10, next(), next(), next(), next(), 0, 0, 0, 0});
        break;
      case 5:
        seg.insert(seg.end(), {3, 3, next()});
        break;
      case 6:
        seg.insert(seg.end(), {next(), next()});
        break;
      default:
        seg.insert(seg.end(), {2, uint8_t(next() % 8), next(), next()});
        break;
    }
  }
  seg.resize(std::min<size_t>(60, (seg.size() + 3) / 4 * 4));
  seg[12] = uint8_t(seg.size() / 4 << 4);
  return seg;
}

uint16_t folded_sum(const std::vector<uint8_t>& b) {
  const uint16_t s = rte_raw_cksum(b.data(), b.size());
  return s == 0xffff ? 0 : s;
}

void check_alone(const std::vector<uint8_t>& before, uint16_t clamp) {
  if (before.size() < vp::mss::kTcpHdr) return;
  std::vector<uint8_t> seg = before;
  const auto r = vp::mss::clamp_mss(seg.data(), uint32_t(seg.size()), clamp, false);
  if (r != vp::mss::Clamp::kClamped) {
    if (seg != before) __builtin_trap();
    return;
  }
  if (folded_sum(seg) != folded_sum(before)) __builtin_trap();
  const uint32_t hl = uint32_t(seg[12] >> 4) * 4;
  for (size_t k = 0; k < seg.size(); k++) {
    if (seg[k] == before[k] || k == 16 || k == 17) continue;
    // A changed byte is part of an MSS option's value, now at most the clamp.
    bool in_mss = false;
    for (uint32_t o = vp::mss::kTcpHdr; o < hl && seg[o] != 0;) {
      if (seg[o] == 1) {
        o++;
        continue;
      }
      if (seg[o] == 2 && (k == o + 2 || k == o + 3)) {
        in_mss = uint16_t(seg[o + 2] << 8 | seg[o + 3]) <= clamp;
        break;
      }
      o += seg[o + 1];
    }
    if (!in_mss) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vp;
  fuzz::init_once();
  static uint32_t rx = [] {
    for (const char* c : {
             "create loopback interface mac 02:00:00:00:00:01",
             "create null-sink interface null7",
             "set interface state loop0 up",
             "set interface state null7 up",
             "set interface ip address loop0 10.0.0.1/24",
             "set interface ip address null7 10.9.0.1/24",
             "set interface ip address loop0 2001:db8::1/64",
             "set interface ip address null7 2001:db8:9::1/64",
             "ip neighbor null7 10.9.0.2 02:00:00:00:00:09",
             "ip neighbor null7 2001:db8:9::2 02:00:00:00:00:09",
             "ip route add 0.0.0.0/0 via 10.9.0.2",
             "ip route add ::/0 via 2001:db8:9::2",
             "set interface tcp-mss-clamp loop0 ip4 enable ip4-mss 1000 ip6 enable ip6-mss 1000",
             "set interface tcp-mss-clamp null7 ip4 enable ip6 enable",
         })
      if (!Cli::get().execute(c, false).ok) __builtin_trap();
    return ifs().find("loop0")->index;
  }();
  if (size < 3 || size > 1500) return 0;
  const uint8_t mode = data[0];
  const uint16_t clamp = uint16_t(data[1] << 8 | data[2]);
  data += 3, size -= 3;
  std::vector<uint8_t> seg = mode & 8 ? shaped(data, size) : std::vector<uint8_t>(data, data + size);
  check_alone(seg, clamp);
  const bool v6 = mode & 1;
  if ((mode & 2) && seg.size() > 13) seg[13] |= vp::mss::kSyn;
  std::vector<uint8_t> f = {
      0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, uint8_t(v6 ? 0x86 : 0x08), uint8_t(v6 ? 0xdd : 0)};
  if (!v6) {
    uint8_t ip[20] = {0x45, 0, 0, 0, 0, 1, 0, 0, 64, IPPROTO_TCP, 0, 0, 10, 0, 0, 9, 10, 1, 2, 3};
    auto* h = reinterpret_cast<rte_ipv4_hdr*>(ip);
    h->total_length = rte_cpu_to_be_16(uint16_t(20 + seg.size()));
    if (mode & 4) h->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG);
    h->hdr_checksum = rte_ipv4_cksum(h);
    f.insert(f.end(), ip, ip + 20);
  } else {
    uint8_t ip[40] = {0x60, 0, 0, 0, 0, 0, uint8_t(mode & 4 ? 60 : IPPROTO_TCP), 64, 0x20, 0x01, 0x0d, 0xb8};
    ip[23] = 9;
    std::memcpy(ip + 24, ip + 8, 4);
    ip[28] = 5, ip[39] = 1;
    ip[4] = uint8_t(seg.size() >> 8), ip[5] = uint8_t(seg.size());
    f.insert(f.end(), ip, ip + 40);
  }
  f.insert(f.end(), seg.begin(), seg.end());
  rte_mbuf* m = rte_pktmbuf_alloc(eal().pool);
  if (!m) __builtin_trap();  // the pool ran dry: some path leaks buffers
  std::memcpy(rte_pktmbuf_append(m, uint16_t(f.size())), f.data(), f.size());
  meta_init(m, rx);
  Thread& t = threads().main();
  t.enqueue(Registry::get().id("ethernet-input"), &m, 1);
  t.run_pending();
  return 0;
}
