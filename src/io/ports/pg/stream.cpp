#include "io/ports/pg/stream.hpp"

#include <fmt/format.h>
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_random.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "infra/error.hpp"
#include "infra/parse.hpp"
#include "infra/tsc.hpp"

namespace vp {

namespace {

struct Builder {
  StreamSpec& s;
  std::vector<uint8_t> b;
  int32_t ip_csum_off = -1;
  int32_t l4_csum_off = -1;
  bool eth = false;
  std::vector<size_t> pending_addr_mods;  // mods on IP addresses, l4 csum known later
};

// "a - b", "a-b" or "a"; returns false if the next token is not that shape.
struct Range {
  std::string lo, hi;
  bool random = false;
};

Range read_range(const std::vector<std::string>& t, size_t& i) {
  Range r;
  r.lo = t.at(i++);
  auto dash = r.lo.find('-', 1);
  if (dash != std::string::npos && r.lo.find(':') == std::string::npos) {
    r.hi = r.lo.substr(dash + 1);
    r.lo = r.lo.substr(0, dash);
  } else if (i + 1 < t.size() && t[i] == "-") {
    r.hi = t[i + 1];
    i += 2;
  }
  if (r.hi.empty()) r.hi = r.lo;
  return r;
}

void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}

uint32_t v4(const IpAddr& a) { return a.v4_host(); }

void expect(const std::vector<std::string>& t, size_t& i, const char* what) {
  if (i >= t.size() || t[i] != what) fail("pg data: expected '{}' near '{}'", what, i < t.size() ? t[i] : "end");
  i++;
}

void add_mod(Builder& B, uint16_t off, uint8_t width, uint32_t lo, uint32_t hi, bool rnd, int32_t ipc) {
  if (lo == hi) return;
  if (hi < lo) fail("pg data: range end is below its start");
  B.s.mods.push_back({off, width, rnd, lo, hi, lo, ipc, -1});
  B.pending_addr_mods.push_back(B.s.mods.size() - 1);
}

void parse_eth(Builder& B, const std::vector<std::string>& t, size_t& i, uint16_t type) {
  if (B.eth || !B.b.empty()) fail("pg data: the Ethernet header must come first, once");
  B.eth = true;
  Mac src = parse_mac(t.at(i++));
  expect(t, i, "->");
  Mac dst = parse_mac(t.at(i++));
  B.b.insert(B.b.end(), dst.b.begin(), dst.b.end());
  B.b.insert(B.b.end(), src.b.begin(), src.b.end());
  while (i < t.size()) {
    if (t[i] == "vlan") {
      uint16_t id = uint16_t(parse_uint(t.at(i + 1), 4095, "vlan id"));
      put16(B.b, 0x8100);
      put16(B.b, id);
      i += 2;
    } else if (t[i] == "type" && type == 0) {
      type = uint16_t(parse_uint(t.at(i + 1), 0xffff, "ethertype"));
      i += 2;
    } else {
      break;
    }
  }
  if (!type) fail("pg data: ETH: needs 'type <ethertype>'");
  put16(B.b, type);
}

void parse_ip_hdr(Builder& B, const std::vector<std::string>& t, size_t& i, uint8_t proto_v4, uint8_t proto_v6) {
  Range src = read_range(t, i);
  expect(t, i, "->");
  Range dst = read_range(t, i);
  uint8_t ttl = 64;
  while (i < t.size()) {
    if (t[i] == "random") {
      src.random = dst.random = true;
      i++;
    } else if (t[i] == "ttl" || t[i] == "hop-limit") {
      ttl = uint8_t(parse_uint(t.at(i + 1), 255, "ttl"));
      i += 2;
    } else {
      break;
    }
  }
  IpAddr s0 = parse_ip(src.lo), s1 = parse_ip(src.hi), d0 = parse_ip(dst.lo), d1 = parse_ip(dst.hi);
  if (s0.v6 != d0.v6 || s0.v6 != s1.v6 || d0.v6 != d1.v6) fail("pg data: mixed IPv4 and IPv6 addresses");
  auto& s = B.s;
  s.v6 = s0.v6;
  s.l3_off = int32_t(B.b.size());
  if (!s.v6) {
    s.l4_proto = proto_v4;
    B.b.insert(B.b.end(), {0x45, 0, 0, 0, 0, 0, 0, 0, ttl, proto_v4, 0, 0});
    B.b.insert(B.b.end(), s0.b.begin(), s0.b.begin() + 4);
    B.b.insert(B.b.end(), d0.b.begin(), d0.b.begin() + 4);
    B.ip_csum_off = s.l3_off + 10;
    add_mod(B, uint16_t(s.l3_off + 12), 4, v4(s0), v4(s1), src.random, B.ip_csum_off);
    add_mod(B, uint16_t(s.l3_off + 16), 4, v4(d0), v4(d1), dst.random, B.ip_csum_off);
  } else {
    s.l4_proto = proto_v6;
    B.b.insert(B.b.end(), {0x60, 0, 0, 0, 0, 0, proto_v6, ttl});
    B.b.insert(B.b.end(), s0.b.begin(), s0.b.end());
    B.b.insert(B.b.end(), d0.b.begin(), d0.b.end());
    // A range of IPv6 addresses varies each 32-bit word in which its ends
    // differ, within that word's own bounds (the low word when none does).
    auto word = [](const IpAddr& a, int w) {
      return uint32_t(a.b[4 * w]) << 24 | a.b[4 * w + 1] << 16 | a.b[4 * w + 2] << 8 | a.b[4 * w + 3];
    };
    auto range6 = [&](const IpAddr& lo, const IpAddr& hi, uint16_t off, bool random) {
      bool any = false;
      for (int w = 0; w < 4; w++)
        if (word(lo, w) != word(hi, w) || (w == 3 && !any)) {
          if (word(lo, w) > word(hi, w)) fail("pg data: IPv6 range {} - {} is backwards", lo.str(), hi.str());
          add_mod(B, uint16_t(off + 4 * w), 4, word(lo, w), word(hi, w), random, -1);
          any = true;
        }
    };
    range6(s0, s1, uint16_t(s.l3_off + 8), src.random);
    range6(d0, d1, uint16_t(s.l3_off + 24), dst.random);
  }
}

void parse_ports(Builder& B, const std::vector<std::string>& t, size_t& i, bool tcp) {
  Range sp = read_range(t, i);
  expect(t, i, "->");
  Range dp = read_range(t, i);
  uint8_t flags = 0x10;
  while (i < t.size()) {
    if (t[i] == "random") {
      sp.random = dp.random = true;
      i++;
    } else if (tcp && t[i] == "flags") {
      auto f = t.at(i + 1);
      flags = 0;
      if (f.find("SYN") != std::string::npos) flags |= 0x02;
      if (f.find("ACK") != std::string::npos) flags |= 0x10;
      if (f.find("FIN") != std::string::npos) flags |= 0x01;
      if (f.find("RST") != std::string::npos) flags |= 0x04;
      i += 2;
    } else {
      break;
    }
  }
  auto& s = B.s;
  if (s.l3_off < 0) fail("pg data: {}: ports need an IP header first", tcp ? "TCP" : "UDP");
  s.l4_off = int32_t(B.b.size());
  uint32_t s0 = uint32_t(parse_uint(sp.lo, 65535, "port")), s1 = uint32_t(parse_uint(sp.hi, 65535, "port"));
  uint32_t d0 = uint32_t(parse_uint(dp.lo, 65535, "port")), d1 = uint32_t(parse_uint(dp.hi, 65535, "port"));
  put16(B.b, uint16_t(s0));
  put16(B.b, uint16_t(d0));
  if (tcp) {
    B.b.insert(B.b.end(), {0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0});
    B.l4_csum_off = s.l4_off + 16;
  } else {
    B.b.insert(B.b.end(), {0, 0, 0, 0});
    B.l4_csum_off = s.l4_off + 6;
  }
  add_mod(B, uint16_t(s.l4_off), 2, s0, s1, sp.random, -1);
  add_mod(B, uint16_t(s.l4_off + 2), 2, d0, d1, dp.random, -1);
}

void parse_icmp_body(Builder& B, const std::vector<std::string>& t, size_t& i) {
  auto& s = B.s;
  if (s.l3_off < 0) fail("pg data: ICMP: echo needs an IP header first");
  std::string what = t.at(i++);
  s.l4_off = int32_t(B.b.size());
  uint8_t type = what == "echo_request" ? (s.v6 ? 128 : 8) : what == "echo_reply" ? (s.v6 ? 129 : 0) : 255;
  if (type == 255) fail("pg data: ICMP: expected echo_request or echo_reply, not '{}'", what);
  B.b.insert(B.b.end(), {type, 0, 0, 0, 0x12, 0x34, 0, 1});
  B.l4_csum_off = s.l4_off + 2;
}

std::vector<uint8_t> parse_hex(const std::string& h) {
  std::string x;
  for (char c : h)
    if (c != ':' && c != '.') x += c;
  if (x.size() % 2) fail("pg data: odd number of hex digits");
  std::vector<uint8_t> out;
  for (size_t k = 0; k < x.size(); k += 2) out.push_back(uint8_t(parse_uint("0x" + x.substr(k, 2), 255, "hex byte")));
  return out;
}

void parse_data(StreamSpec& s, const std::vector<std::string>& t, size_t& i) {
  expect(t, i, "{");
  Builder B{s, {}};
  while (i < t.size() && t[i] != "}") {
    std::string k = t[i++];
    if (k == "IP4:" || k == "IP6:" || k == "ETH:") {
      parse_eth(B, t, i, k == "IP4:" ? 0x0800 : k == "IP6:" ? 0x86dd : 0);
    } else if (k == "UDP:" || k == "TCP:" || k == "ICMP:") {
      IpAddr probe;
      bool is_addr =
          i < t.size() && (try_parse_ip(t[i], probe) || try_parse_ip(t[i].substr(0, t[i].find('-', 1)), probe));
      if (is_addr)
        parse_ip_hdr(B, t, i, k == "UDP:" ? 17 : k == "TCP:" ? 6 : 1, k == "UDP:" ? 17 : k == "TCP:" ? 6 : 58);
      else if (k == "ICMP:")
        parse_icmp_body(B, t, i);
      else
        parse_ports(B, t, i, k == "TCP:");
    } else if (k == "hex") {
      auto bytes = parse_hex(t.at(i++));
      B.b.insert(B.b.end(), bytes.begin(), bytes.end());
    } else if (k == "incrementing") {
      uint32_t n = uint32_t(parse_uint(t.at(i++), 9000, "incrementing length"));
      for (uint32_t x = 0; x < n; x++) B.b.push_back(uint8_t(x));
    } else {
      // A bare hex string is a whole frame.
      auto bytes = parse_hex(k);
      B.b.insert(B.b.end(), bytes.begin(), bytes.end());
    }
  }
  expect(t, i, "}");
  if (B.b.size() < 14) fail("pg data: frame is shorter than an Ethernet header");
  for (size_t m : B.pending_addr_mods) {
    auto& fm = s.mods[m];
    bool is_port = s.l4_off >= 0 && fm.off >= s.l4_off;
    bool v4_addr = !s.v6 && !is_port;
    // Ports and (pseudo-header) addresses feed the UDP/TCP/ICMPv6 checksum; ICMPv4 has no pseudo-header.
    bool feeds_l4 = B.l4_csum_off >= 0 && (is_port || !(v4_addr && s.l4_proto == 1));
    fm.l4_csum = feeds_l4 ? B.l4_csum_off : -1;
    fm.ip_csum = v4_addr ? B.ip_csum_off : -1;
  }
  if (s.size_max < B.b.size()) s.size_max = uint32_t(B.b.size());
  if (s.size_min < B.b.size()) s.size_min = uint32_t(B.b.size());
  // Payload after the headers: incrementing bytes up to the largest size.
  for (uint32_t x = 0; B.b.size() < s.size_max; x++) B.b.push_back(uint8_t(x));
  s.tmpl = std::move(B.b);
}

// Lengths and checksums for a frame of `size` bytes (full recompute).
void finish(const StreamSpec& s, uint8_t* p, uint32_t size) {
  if (s.l3_off < 0) return;
  if (!s.v6) {
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p + s.l3_off);
    ip->total_length = rte_cpu_to_be_16(uint16_t(size - s.l3_off));
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
  } else {
    auto* ip6 = reinterpret_cast<rte_ipv6_hdr*>(p + s.l3_off);
    ip6->payload_len = rte_cpu_to_be_16(uint16_t(size - s.l3_off - 40));
  }
  if (s.l4_off < 0) return;
  uint8_t* l4 = p + s.l4_off;
  uint16_t* csum = nullptr;
  if (s.l4_proto == 17) {
    *reinterpret_cast<uint16_t*>(l4 + 4) = rte_cpu_to_be_16(uint16_t(size - s.l4_off));
    csum = reinterpret_cast<uint16_t*>(l4 + 6);
  } else if (s.l4_proto == 6) {
    csum = reinterpret_cast<uint16_t*>(l4 + 16);
  } else {
    csum = reinterpret_cast<uint16_t*>(l4 + 2);
  }
  *csum = 0;
  if (s.v6)
    *csum = rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(p + s.l3_off), l4);
  else if (s.l4_proto == 1)
    *csum = uint16_t(~rte_raw_cksum(l4, size - s.l4_off));
  else
    *csum = rte_ipv4_udptcp_cksum(reinterpret_cast<rte_ipv4_hdr*>(p + s.l3_off), l4);
  if (s.l4_proto == 17 && *csum == 0) *csum = 0xffff;
}

// RFC 1624 incremental update of a checksum for one changed 16-bit word.
inline void csum_update16(uint8_t* p, int32_t off, uint16_t old_be, uint16_t new_be) {
  if (off < 0 || old_be == new_be) return;
  uint16_t c;
  std::memcpy(&c, p + off, 2);
  uint32_t sum = uint16_t(~c) + uint16_t(~old_be) + new_be;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  c = uint16_t(~sum);
  std::memcpy(p + off, &c, 2);
}

}  // namespace

// Destinations to draw from at random, one address per line ('#' comments).
void load_dst_list(StreamSpec& s) {
  std::ifstream f(s.dst_list_file);
  if (!f) fail("dst-list: cannot read {}", s.dst_list_file);
  std::string line;
  for (size_t n = 1; std::getline(f, line); n++) {
    line = line.substr(0, line.find('#'));
    while (!line.empty() && std::isspace(uint8_t(line.back()))) line.pop_back();
    if (line.empty()) continue;
    IpAddr a;
    if (!try_parse_ip(line, a)) fail("dst-list {} line {}: '{}' is not an address", s.dst_list_file, n, line);
    s.dst_list.push_back(a);
  }
  if (s.dst_list.empty()) fail("dst-list {} holds no address", s.dst_list_file);
}

StreamSpec parse_stream(const std::vector<std::string>& t, size_t i) {
  StreamSpec s;
  bool block = i < t.size() && t[i] == "{";
  if (block) i++;
  bool have_data = false;
  while (i < t.size()) {
    const std::string& k = t[i];
    if (block && k == "}") {
      i++;
      block = false;
      break;
    }
    i++;
    if (k == "name")
      s.name = t.at(i++);
    else if (k == "node")
      s.node = t.at(i++);
    else if (k == "interface")
      s.interface = t.at(i++);
    else if (k == "size") {
      Range r = read_range(t, i);
      s.size_min = uint32_t(parse_uint(r.lo, 9000, "size"));
      s.size_max = uint32_t(parse_uint(r.hi, 9000, "size"));
      if (s.size_max < s.size_min) fail("size range {}-{} is backwards", s.size_min, s.size_max);
    } else if (k == "count" || k == "limit")
      s.count = parse_uint(t.at(i++), UINT64_MAX, "count");
    else if (k == "rate") {
      std::string r = t.at(i++);
      double mult = 1;
      if (!r.empty() && (r.back() == 'k' || r.back() == 'K')) mult = 1e3, r.pop_back();
      if (!r.empty() && (r.back() == 'm' || r.back() == 'M')) mult = 1e6, r.pop_back();
      s.rate = double(parse_uint(r, 1000000000, "rate")) * mult;
    } else if (k == "dst-list") {
      s.dst_list_file = t.at(i++);
      load_dst_list(s);
    } else if (k == "data") {
      parse_data(s, t, i);
      have_data = true;
    } else {
      fail(
          "unexpected '{}' in packet-generator stream (expected name, node, interface, size, count, rate, "
          "dst-list, data)",
          k);
    }
  }
  if (block) fail("packet-generator stream: missing closing '}}'");
  if (i < t.size()) fail("unexpected '{}' after the stream", t[i]);
  if (s.name.empty()) fail("packet-generator stream needs a name");
  if (!have_data) fail("packet-generator stream needs data {{ ... }}");
  if (s.size_max > 2048 - 128) fail("size {} is larger than a packet buffer allows ({})", s.size_max, 2048 - 128);
  // Canonical one-line form for running-config.
  s.text = "packet-generator new name " + s.name;
  if (!s.interface.empty()) s.text += " interface " + s.interface;
  if (!s.node.empty()) s.text += " node " + s.node;
  s.text += fmt::format(" size {}-{}", s.size_min, s.size_max);
  if (s.count) s.text += fmt::format(" count {}", s.count);
  if (!s.dst_list_file.empty()) {
    for (auto& a : s.dst_list)
      if (a.v6 != s.v6) fail("dst-list {}: {} is not of the stream's address family", s.dst_list_file, a.str());
    s.text += " dst-list " + s.dst_list_file;
  }
  if (s.rate > 0) s.text += fmt::format(" rate {}", uint64_t(s.rate));
  auto d = std::find(t.begin(), t.end(), "data");
  s.text += " data";
  int depth = 0;
  for (auto it = d + 1; it != t.end(); ++it) {
    s.text += " " + *it;
    depth += *it == "{" ? 1 : *it == "}" ? -1 : 0;
    if (depth == 0) break;
  }
  return s;
}

Stream::Stream(StreamSpec s) : s_(std::move(s)), mods_(s_.mods), next_size_(s_.size_min) {
  // Fixed-size streams get correct checksums once; generation then adjusts
  // them incrementally for each modified field.
  finish(s_, s_.tmpl.data(), s_.size_min);
}

void Stream::reset() {
  mods_ = s_.mods;
  next_size_ = s_.size_min;
  sent.store(0);
  tokens_ = 0;
  last_tsc_ = 0;
}

void Stream::fill(rte_mbuf* m, uint32_t size, const IpAddr* dst) {
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  std::memcpy(p, s_.tmpl.data(), size);
  m->data_len = uint16_t(size);
  m->pkt_len = size;
  const bool fixed = s_.size_min == s_.size_max;
  for (auto& f : mods_) {
    uint32_t v;
    if (f.random)
      v = f.lo + uint32_t(rte_rand_max(uint64_t(f.hi) - f.lo + 1));
    else {
      v = f.cur;
      f.cur = f.cur == f.hi ? f.lo : f.cur + 1;
    }
    if (f.width == 4) {
      uint32_t be = rte_cpu_to_be_32(v), old;
      std::memcpy(&old, p + f.off, 4);
      std::memcpy(p + f.off, &be, 4);
      if (fixed) {
        for (int h = 0; h < 2; h++) {
          uint16_t o16 = uint16_t(old >> (16 * h)), n16 = uint16_t(be >> (16 * h));
          csum_update16(p, f.ip_csum, o16, n16);
          csum_update16(p, f.l4_csum, o16, n16);
        }
      }
    } else {
      uint16_t be = rte_cpu_to_be_16(uint16_t(v)), old;
      std::memcpy(&old, p + f.off, 2);
      std::memcpy(p + f.off, &be, 2);
      if (fixed) csum_update16(p, f.l4_csum, old, be);
    }
  }
  if (dst) {
    std::memcpy(p + s_.l3_off + (s_.v6 ? 24 : 16), dst->b.data(), s_.v6 ? 16 : 4);
    finish(s_, p, size);
  } else if (!fixed) {
    finish(s_, p, size);
  }
}

uint32_t Stream::generate(rte_mempool* pool, rte_mbuf** out, uint32_t max, uint64_t now) {
  uint64_t done = sent.load(std::memory_order_relaxed);
  if (s_.count) {
    if (done >= s_.count) {
      enabled.store(false, std::memory_order_relaxed);
      return 0;
    }
    max = uint32_t(std::min<uint64_t>(max, s_.count - done));
  }
  max = std::min<uint32_t>(max, 256);  // a vector at most
  if (s_.rate > 0) {
    if (!last_tsc_) last_tsc_ = now;
    tokens_ += double(now - last_tsc_) * s_.rate / double(tsc_hz());
    last_tsc_ = now;
    if (tokens_ > 256) tokens_ = 256;
    if (tokens_ < 1) return 0;
    max = std::min<uint32_t>(max, uint32_t(tokens_));
    tokens_ -= max;
  }
  if (rte_pktmbuf_alloc_bulk(pool, out, max) != 0) return 0;
  // A destination list far larger than the caches (the 200k-prefix IPv6
  // workload's) missed once per packet, one after another: pick the whole
  // burst's entries and prefetch them first.
  const IpAddr* dst[256];
  const bool list = !s_.dst_list.empty();
  if (list)
    for (uint32_t i = 0; i < max; i++) {
      dst[i] = &s_.dst_list[rte_rand_max(s_.dst_list.size())];
      __builtin_prefetch(dst[i]);
    }
  for (uint32_t i = 0; i < max; i++) {
    fill(out[i], next_size_, list ? dst[i] : nullptr);
    if (s_.size_min != s_.size_max) next_size_ = next_size_ >= s_.size_max ? s_.size_min : next_size_ + 1;
  }
  sent.store(done + max, std::memory_order_relaxed);
  return max;
}

}  // namespace vp
