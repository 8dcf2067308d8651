// The policy classifier (policy_compile.hpp), as bit vectors over rules.
//
// A rule is one application term of one active policy. Rules are numbered in
// evaluation order: each zone pair's together, starting on a 64-bit word,
// then the global policies'. Each match field (source, destination, protocol,
// source port, destination port) cuts its value space at the edges of every
// range a rule names; each piece (a class) has a bitmap with one bit per rule
// whose field holds it. A key's rule is the first bit set in the AND of its
// five classes' bitmaps, looked for in its zone pair's words, then in the
// global policies' words.
//
// A bitmap is stored as aggregate words (bit j of aggregate word a: word
// 64a + j is not zero) and its non-zero words only. Source, destination and
// destination port keep their wildcard rules ("any", all ports) out of their
// classes, in one bitmap per field and family: then a class holds the few
// rules that name its addresses or ports, its aggregates are sparse, and a
// lookup reads only the words where some rule can match. With the wildcards
// inside, a field where a third of the policies say "any" has a rule in
// nearly every word of every class.
//
// Not rte_acl: it needs each policy expanded into the cross product of its
// sources, destinations and terms, and builds at about 100 us per expanded
// rule for IPv4, 600 us for IPv6 (10k IPv4 policies of bench/engine_bench.cpp's
// shape: 290k rules, 34 s, 223 MB; 1k IPv6 policies: 15 s).
#include "features/fw/policy_compile.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "infra/error.hpp"

namespace vp::fw {

namespace {

using u128 = unsigned __int128;

constexpr uint8_t kIcmp = 1, kIcmp6 = 58;
bool is_icmp(uint8_t proto) { return proto == kIcmp || proto == kIcmp6; }

// What one compile may produce: rules, and bitmap memory.
constexpr size_t kMaxRules = size_t(1) << 22;
constexpr size_t kMaxBytes = size_t(1) << 30;

// ---------------------------------------------------------------------------
// Resolution of names, as both the compiler and the reference see it: "any"
// is the wildcard; otherwise an address (application) of that name, else a
// set of that name, whose members resolve the same way. A set already met
// while resolving one name adds nothing, which ends cycles. Each name a
// policy lists must resolve to something, or the field is empty.

// An address as a number, IPv4 in 32 bits.
u128 number(const uint8_t* b, bool v6) {
  uint64_t w[2];
  if (!v6) {
    uint32_t x;
    std::memcpy(&x, b, 4);
    return __builtin_bswap32(x);
  }
  std::memcpy(w, b, 16);
  return u128(__builtin_bswap64(w[0])) << 64 | __builtin_bswap64(w[1]);
}
u128 family_max(bool v6) { return v6 ? ~u128(0) : u128(UINT32_MAX); }

struct Span {  // inclusive
  u128 lo, hi;
};

// A field's addresses per family (0: IPv4, 1: IPv6).
struct Addrs {
  std::vector<Span> fam[2];
  bool any = false;
};

void add_entry(const Address& a, Addrs& out) {
  if (a.is_range) {
    if (a.lo.v6 != a.hi.v6) return;
    const u128 lo = number(a.lo.b.data(), a.lo.v6), hi = number(a.hi.b.data(), a.hi.v6);
    if (lo <= hi) out.fam[a.lo.v6].push_back({lo, hi});
    return;
  }
  const bool v6 = a.prefix.addr.v6;
  const int bits = v6 ? 128 : 32, len = std::min<int>(a.prefix.len, bits);
  const u128 host = len == bits ? 0 : family_max(v6) >> len;
  const u128 lo = number(a.prefix.addr.b.data(), v6) & ~host;
  out.fam[v6].push_back({lo, lo | host});
}

// Adds what `name` resolves to; false when that is nothing.
bool add_address(const Config& c, const std::string& name, std::set<std::string>& seen, Addrs& out) {
  if (name == "any") return out.any = true;
  if (auto a = c.addresses.find(name); a != c.addresses.end()) {
    add_entry(a->second, out);
    return true;
  }
  auto s = c.address_sets.find(name);
  if (s == c.address_sets.end() || !seen.insert(name).second) return false;
  bool found = false;
  for (const auto& m : s->second.members) found |= add_address(c, m, seen, out);
  return found;
}

// The policy's src or dst, as disjoint spans that do not touch (so that a
// rule enters and leaves each class at most once); false when it is empty.
bool resolve_addresses(const Config& c, const std::vector<std::string>& names, Addrs& out) {
  for (const auto& n : names) {
    std::set<std::string> seen;
    if (!add_address(c, n, seen, out)) return false;
  }
  for (int f = 0; f < 2; f++) {
    auto& v = out.fam[f];
    if (out.any) v = {{0, family_max(f)}};
    std::sort(v.begin(), v.end(), [](const Span& a, const Span& b) { return a.lo < b.lo; });
    std::vector<Span> merged;
    for (const Span& s : v)
      if (!merged.empty() && (merged.back().hi == family_max(f) || s.lo <= merged.back().hi + 1))
        merged.back().hi = std::max(merged.back().hi, s.hi);
      else
        merged.push_back(s);
    v = std::move(merged);
  }
  return true;
}

// An application term as the classifier matches it: for ICMP and ICMPv6 the
// ports are the type and code.
struct Term {
  bool any_proto = false;
  uint8_t proto = 0;
  uint16_t slo = 0, shi = 65535, dlo = 0, dhi = 65535;
  uint32_t timeout = 0;
  bool operator==(const Term&) const = default;
  bool wildcard() const { return any_proto && slo == 0 && shi == 65535 && dlo == 0 && dhi == 65535; }
};

Term to_term(const AppTerm& t) {
  Term x{.any_proto = t.any_proto, .proto = t.proto, .timeout = t.inactivity_timeout};
  if (!t.any_proto && is_icmp(t.proto)) {
    if (t.icmp_type >= 0) x.slo = x.shi = uint16_t(t.icmp_type);
    if (t.icmp_code >= 0) x.dlo = x.dhi = uint16_t(t.icmp_code);
  } else {
    x.slo = t.sport_lo, x.shi = t.sport_hi, x.dlo = t.dport_lo, x.dhi = t.dport_hi;
  }
  return x;
}

bool add_application(const Config& c, const std::string& name, std::set<std::string>& seen, std::vector<Term>& out) {
  if (name == "any") {
    out.push_back(Term{.any_proto = true});
    return true;
  }
  if (auto a = c.applications.find(name); a != c.applications.end()) {
    for (const auto& [_, t] : a->second.terms) out.push_back(to_term(t));
    return !a->second.terms.empty();
  }
  auto s = c.application_sets.find(name);
  if (s == c.application_sets.end() || !seen.insert(name).second) return false;
  bool found = false;
  for (const auto& m : s->second.members) found |= add_application(c, m, seen, out);
  return found;
}

// The policy's terms in match order; false when the field is empty.
bool resolve_applications(const Config& c, const std::vector<std::string>& names, std::vector<Term>& out) {
  for (const auto& n : names) {
    std::set<std::string> seen;
    if (!add_application(c, n, seen, out)) return false;
  }
  // A repeated term never matches first, nor does any term after a wildcard.
  std::vector<Term> kept;
  for (const Term& t : out) {
    if (t.slo > t.shi || t.dlo > t.dhi || std::find(kept.begin(), kept.end(), t) != kept.end()) continue;
    kept.push_back(t);
    if (t.wildcard()) break;
  }
  out = std::move(kept);
  return true;
}

// ---------------------------------------------------------------------------
// The compiled form.

// The fields, the first kSplit of them split: a rule whose range is the whole
// space (a wildcard) is kept apart from their classes' bitmaps.
enum FieldId { kSrc, kDst, kDport, kProto, kSport, kFields };
constexpr int kSplit = 3, kGroups = 1 << kSplit;
// Keys classified together: the bound of classify()'s stack arrays.
constexpr uint32_t kChunk = 64;

// One field's class bitmaps, compressed (see the top of the file). Class c's
// aggregate word a is agg[c * aggs + a]; its non-zero words start at
// words[agg[c * aggs + a].first]. The two are side by side: a lookup that
// needs the words has just read the aggregate.
struct Agg {
  uint64_t bits;
  uint64_t first;
};
struct Field {
  std::vector<Agg> agg;
  std::vector<uint64_t> words;  // ends with a zero word
  size_t bytes() const { return agg.size() * sizeof(Agg) + words.size() * 8; }
};

// A key's class in each field, as the class's aggregate words.
using Rows = std::array<const Agg*, kFields>;

// A field's value space cut into intervals, each with its class.
template <class T>
struct Intervals {
  std::vector<T> start;  // ascending, start[0] == 0
  std::vector<uint32_t> cls;

  // Finds the classes of x[0..n), n <= kChunk, for rows[at[i]][f]. The
  // searches run in lockstep, four at a time in registers, so that their
  // loads overlap.
  void find(const T* x, uint32_t n, const uint8_t* at, Rows* rows, int f, const Field& fd, uint32_t aggs) const {
    constexpr uint32_t kLanes = 4;
    for (uint32_t i0 = 0; i0 < n; i0 += kLanes) {
      const T* b[kLanes];
      T v[kLanes];
      for (uint32_t l = 0; l < kLanes; l++) {
        b[l] = start.data();
        v[l] = x[std::min(i0 + l, n - 1)];
      }
      for (size_t len = start.size(); len > 1;) {
        const size_t half = len / 2;
#pragma GCC unroll 4
        for (uint32_t l = 0; l < kLanes; l++) b[l] = b[l][half] <= v[l] ? b[l] + half : b[l];
        len -= half;
      }
      for (uint32_t l = 0; l < kLanes && i0 + l < n; l++)
        rows[at[i0 + l]][f] = fd.agg.data() + size_t(cls[size_t(b[l] - start.data())]) * aggs;
    }
  }
  size_t bytes() const { return start.size() * sizeof(T) + cls.size() * 4; }
};

// A port's class: two levels of 256, the second level's tables shared when
// equal, so that a lookup is two loads and most of them stay in cache.
struct PortClasses {
  std::array<uint32_t, 256> top{};  // high byte: index of a table in `low`
  std::vector<uint32_t> low;        // 256 per table: low byte: class

  explicit PortClasses(const Intervals<uint32_t>& iv) {
    std::map<std::vector<uint32_t>, uint32_t> tables;
    std::vector<uint32_t> t(256);
    size_t at = 0;
    for (uint32_t hi = 0; hi < 256; hi++) {
      for (uint32_t lo = 0; lo < 256; lo++) {
        const uint32_t port = hi << 8 | lo;
        while (at + 1 < iv.start.size() && iv.start[at + 1] <= port) at++;
        t[lo] = iv.cls[at];
      }
      auto [it, fresh] = tables.try_emplace(t, uint32_t(tables.size()));
      if (fresh) low.insert(low.end(), t.begin(), t.end());
      top[hi] = it->second * 256;
    }
  }
  PortClasses() = default;
  uint32_t find(uint16_t port) const { return low[top[port >> 8] + (port & 255)]; }
  size_t bytes() const { return sizeof top + low.size() * 4; }
};

// Adds classes to a Field, one per distinct bitmap.
class FieldBuilder {
 public:
  FieldBuilder(Field& f, uint32_t words, size_t& bytes)
      : f_(f), words_(words), aggs_((words + 63) / 64), bytes_(bytes) {}

  uint32_t add(const std::vector<uint64_t>& bits) {
    uint64_t h = 0;
    for (uint32_t w = 0; w < words_; w++)
      if (bits[w]) h = (h ^ bits[w] ^ w) * 0x9e3779b97f4a7c15ull;
    auto& same = by_hash_[h];
    for (uint32_t c : same)
      if (equal(c, bits)) return c;
    const uint32_t c = classes_++;
    const size_t before = f_.bytes();
    for (uint32_t a = 0; a < aggs_; a++) {
      Agg ag{0, f_.words.size()};
      for (uint32_t j = 0, w = a * 64; j < 64 && w < words_; j++, w++)
        if (bits[w]) {
          ag.bits |= uint64_t(1) << j;
          f_.words.push_back(bits[w]);
        }
      f_.agg.push_back(ag);
    }
    bytes_ += f_.bytes() - before;
    if (bytes_ > kMaxBytes) fail("policy classifier: the compiled policies need more than {} MB", kMaxBytes >> 20);
    same.push_back(c);
    return c;
  }

 private:
  bool equal(uint32_t c, const std::vector<uint64_t>& bits) const {
    for (uint32_t a = 0; a < aggs_; a++) {
      const uint64_t ag = f_.agg[size_t(c) * aggs_ + a].bits;
      const uint64_t* w = f_.words.data() + f_.agg[size_t(c) * aggs_ + a].first;
      for (uint32_t j = 0, i = a * 64; j < 64 && i < words_; j++, i++)
        if (bits[i] != (ag >> j & 1 ? *w++ : 0)) return false;
    }
    return true;
  }

  Field& f_;
  uint32_t words_, aggs_, classes_ = 0;
  size_t& bytes_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> by_hash_;
};

// Where rules [r0, r1) enter (open) or leave a field's range.
template <class T>
struct Edge {
  T at;
  uint32_t r0, r1;
  bool open;
};

// Cuts the field's value space at every edge; each interval's class holds
// the rules whose range covers it.
template <class T>
void sweep(std::vector<Edge<T>>& edges, uint32_t words, FieldBuilder& fb, Intervals<T>& out) {
  std::sort(edges.begin(), edges.end(), [](const Edge<T>& a, const Edge<T>& b) { return a.at < b.at; });
  std::vector<uint64_t> bits(words);
  size_t i = 0;
  T at = 0;
  for (;;) {
    for (; i < edges.size() && edges[i].at == at; i++)
      for (uint32_t r = edges[i].r0; r < edges[i].r1; r++) {
        const uint64_t bit = uint64_t(1) << (r & 63);
        bits[r >> 6] = edges[i].open ? bits[r >> 6] | bit : bits[r >> 6] & ~bit;
      }
    out.start.push_back(at);
    out.cls.push_back(fb.add(bits));
    if (i == edges.size()) break;
    at = edges[i].at;
  }
}

void set_bit(std::vector<uint64_t>& v, uint32_t bit) { v[bit >> 6] |= uint64_t(1) << (bit & 63); }

// A policy's rules and what they match.
struct Compiled {
  uint32_t r0, r1;
  Addrs src, dst;
  std::vector<Term> terms;
};

}  // namespace

struct Rulebase::Impl {
  uint32_t aggs = 0;  // aggregate words per class
  Field field[kFields];
  Intervals<uint32_t> src4, dst4;
  PortClasses sport, dport;
  Intervals<u128> src6, dst6;
  std::array<uint32_t, 256> proto{};
  // Per family, for the split fields: the rules whose range is the whole
  // space ([fam][field], a bit per rule), and which words hold a rule of
  // each wildcard group (bit f of the group: field f is a wildcard;
  // [fam][a * kGroups + group], a bit per word).
  std::vector<uint64_t> wild[2][kSplit];
  std::vector<uint64_t> group[2];
  std::vector<uint16_t> pair;                             // from << 8 | to: index in `pair_words`
  std::vector<std::pair<uint32_t, uint32_t>> pair_words;  // a zone pair's rule words [begin, end); [0]: none
  uint32_t global_begin = 0, global_end = 0;              // the global policies' rule words
  std::vector<uint32_t> result;                           // rule: index in results_
  size_t rules = 0, bytes = 0;

  // The first rule in words [wb, we) that the key's classes all hold; 0: none.
  // A word is looked at only if, for some wildcard group, each of the
  // group's specific fields has a rule in it.
  uint32_t rule(bool v6, const Rows& row, uint32_t wb, uint32_t we) const {
    static_assert(kSrc == 0 && kDst == 1 && kDport == 2 && kGroups == 8);
    while (wb < we) {
      const uint32_t a = wb >> 6, end = std::min(we, (a + 1) << 6);
      uint64_t ag[kFields];
      for (int f = 0; f < kFields; f++) ag[f] = row[f][a].bits;
      const uint64_t* g = group[v6].data() + size_t(a) * kGroups;
      const uint64_t s = ag[kSrc], d = ag[kDst], p = ag[kDport];
      uint64_t cand =
          (((g[0] & s & d) | (g[1] & d) | (g[2] & s) | g[3]) & p) | (g[4] & s & d) | (g[5] & d) | (g[6] & s) | g[7];
      cand &= ag[kProto] & ag[kSport] & (~uint64_t(0) >> (64 - (end - wb)) << (wb & 63));
      wb = end;
      if (!cand) continue;
      const uint64_t* nz[kFields];  // the class's non-zero words under this aggregate word
      for (int f = 0; f < kFields; f++) nz[f] = field[f].words.data() + row[f][a].first;
      for (; cand; cand &= cand - 1) {
        const int j = std::countr_zero(cand);
        const uint32_t w = a * 64 + uint32_t(j);
        const uint64_t below = (uint64_t(1) << j) - 1;
        // Branch-free: where the word is zero this reads the next one (or the
        // field's last, zero, word) and masks it off.
        auto word = [&](int f) { return nz[f][std::popcount(ag[f] & below)] & (0 - (ag[f] >> j & 1)); };
        // The most selective fields first.
        uint64_t x = (wild[v6][kSrc][w] | word(kSrc)) & (wild[v6][kDst][w] | word(kDst));
        if (!x) continue;
        x &= (wild[v6][kDport][w] | word(kDport)) & word(kProto) & word(kSport);
        if (x) return result[size_t(w) * 64 + uint32_t(std::countr_zero(x))];
      }
    }
    return 0;
  }

  // n <= kChunk keys: their classes in every field first, then their rules.
  void classify(const ClassifyKey* const* keys, uint32_t n, uint32_t* out) const {
    Rows rows[kChunk];
    uint8_t i4[kChunk], i6[kChunk];
    uint32_t n4 = 0, n6 = 0, a4[2][kChunk];
    u128 a6[2][kChunk];
    for (uint32_t i = 0; i < n; i++) {
      const ClassifyKey& k = *keys[i];
      if (k.v6) {
        a6[kSrc][n6] = number(k.src, true), a6[kDst][n6] = number(k.dst, true);
        i6[n6++] = uint8_t(i);
      } else {
        a4[kSrc][n4] = uint32_t(number(k.src, false)), a4[kDst][n4] = uint32_t(number(k.dst, false));
        i4[n4++] = uint8_t(i);
      }
      rows[i][kProto] = field[kProto].agg.data() + size_t(proto[k.proto]) * aggs;
      rows[i][kSport] = field[kSport].agg.data() + size_t(sport.find(k.sport)) * aggs;
      rows[i][kDport] = field[kDport].agg.data() + size_t(dport.find(k.dport)) * aggs;
    }
    for (int f : {kSrc, kDst}) {
      (f == kSrc ? src4 : dst4).find(a4[f], n4, i4, rows, f, field[f], aggs);
      (f == kSrc ? src6 : dst6).find(a6[f], n6, i6, rows, f, field[f], aggs);
    }
    // The aggregate words each key reads first, prefetched for all keys
    // before any is walked.
    std::pair<uint32_t, uint32_t> range[kChunk];
    for (uint32_t i = 0; i < n; i++) {
      const ClassifyKey& k = *keys[i];
      range[i] = pair_words[pair[size_t(k.from) << 8 | k.to]];
      const uint32_t a = (range[i].first != range[i].second ? range[i].first : global_begin) >> 6;
      for (int f = 0; f < kSplit; f++) __builtin_prefetch(&rows[i][f][a]);
    }
    for (uint32_t i = 0; i < n; i++) {
      const ClassifyKey& k = *keys[i];
      out[i] = 0;
      if (k.from == kNoZone || k.to == kNoZone) continue;
      const auto [b, e] = range[i];
      if (b != e) out[i] = rule(k.v6, rows[i], b, e);
      if (!out[i]) out[i] = rule(k.v6, rows[i], global_begin, global_end);
    }
  }
};

Rulebase::~Rulebase() = default;

size_t Rulebase::rules() const { return impl_->rules; }
size_t Rulebase::memory_bytes() const { return impl_->bytes; }

std::unique_ptr<const Rulebase> Rulebase::compile(const Config& c, uint64_t generation) {
  std::unique_ptr<Rulebase> rb(new Rulebase);
  rb->generation_ = generation;
  rb->impl_ = std::make_unique<Impl>();
  rb->results_.push_back({.policy = 0, .action = c.default_permit ? Action::kPermit : Action::kDeny});
  Impl& m = *rb->impl_;

  // Rules, numbered in evaluation order.
  std::vector<Compiled> pols;
  uint32_t rules = 0;
  auto add = [&](const Policy& p) {
    Compiled x;
    if (!p.active() || !resolve_addresses(c, p.src, x.src) || !resolve_addresses(c, p.dst, x.dst) ||
        !resolve_applications(c, p.app, x.terms))
      return;
    if ((x.src.fam[0].empty() || x.dst.fam[0].empty()) && (x.src.fam[1].empty() || x.dst.fam[1].empty())) return;
    if (rules + x.terms.size() > kMaxRules)
      fail("policy classifier: more than {} rules (policy x application term)", kMaxRules);
    x.r0 = rules;
    for (const Term& t : x.terms) {
      const RuleResult r{.policy = p.id,
                         .action = p.action,
                         .log_init = p.log_init,
                         .log_close = p.log_close,
                         .count = p.count,
                         .timeout = t.timeout};
      // A policy's rules differ in their timeout at most.
      if (rules == x.r0 || rb->results_.back().timeout != r.timeout) rb->results_.push_back(r);
      m.result.push_back(uint32_t(rb->results_.size() - 1));
      rules++;
    }
    x.r1 = rules;
    m.rules += x.terms.size();
    pols.push_back(std::move(x));
  };
  // Each zone pair's rules start on a word, so that a key visits its own
  // pair's words only.
  auto align = [&] {
    for (; rules % 64; rules++) m.result.push_back(0);
  };
  std::map<uint16_t, std::vector<const std::vector<Policy>*>> by_ids;
  for (const auto& [pair, list] : c.policies) {
    const uint8_t from = c.zone_id(pair.from), to = c.zone_id(pair.to);
    if (from != kNoZone && to != kNoZone) by_ids[uint16_t(from << 8 | to)].push_back(&list);
  }
  m.pair.assign(1 << 16, 0);
  m.pair_words = {{0, 0}};
  for (const auto& [ids, lists] : by_ids) {
    const uint32_t begin = rules;
    for (const auto* list : lists)
      for (const Policy& p : *list) add(p);
    align();
    if (rules == begin) continue;
    m.pair[ids] = uint16_t(m.pair_words.size());
    m.pair_words.push_back({begin / 64, rules / 64});
  }
  m.global_begin = rules / 64;
  for (const Policy& p : c.global) add(p);
  align();
  m.global_end = rules / 64;

  // Each rule's wildcards and groups, per family.
  const uint32_t words = rules / 64;
  m.aggs = (words + 63) / 64;
  for (int v6 = 0; v6 < 2; v6++) {
    for (auto& w : m.wild[v6]) w.assign(words, 0);
    m.group[v6].assign(size_t(m.aggs) * kGroups, 0);
    const Span all{0, family_max(v6)};
    auto whole = [&](const std::vector<Span>& s) { return s.size() == 1 && s[0].lo == all.lo && s[0].hi == all.hi; };
    for (const Compiled& x : pols) {
      if (x.src.fam[v6].empty() || x.dst.fam[v6].empty()) continue;
      for (uint32_t r = x.r0; r < x.r1; r++) {
        const Term& t = x.terms[r - x.r0];
        const bool wild[kSplit] = {whole(x.src.fam[v6]), whole(x.dst.fam[v6]), t.dlo == 0 && t.dhi == 65535};
        int k = 0;
        for (int f = 0; f < kSplit; f++)
          if (wild[f]) set_bit(m.wild[v6][f], r), k |= 1 << f;
        const uint32_t w = r >> 6;
        m.group[v6][size_t(w >> 6) * kGroups + k] |= uint64_t(1) << (w & 63);
      }
    }
  }
  auto wild = [&](int v6, int f, uint32_t r) { return m.wild[v6][f][r >> 6] >> (r & 63) & 1; };

  // The fields' classes: the split fields' without their wildcard rules.
  std::vector<FieldBuilder> fb;
  for (int f = 0; f < kFields; f++) fb.emplace_back(m.field[f], words, m.bytes);
  for (int f : {kSrc, kDst}) {
    std::vector<Edge<uint32_t>> e4;
    std::vector<Edge<u128>> e6;
    for (const Compiled& x : pols) {
      const Addrs& a = f == kSrc ? x.src : x.dst;
      if (!wild(0, f, x.r0))
        for (const Span& s : a.fam[0]) {
          e4.push_back({uint32_t(s.lo), x.r0, x.r1, true});
          if (s.hi < UINT32_MAX) e4.push_back({uint32_t(s.hi + 1), x.r0, x.r1, false});
        }
      if (!wild(1, f, x.r0))
        for (const Span& s : a.fam[1]) {
          e6.push_back({s.lo, x.r0, x.r1, true});
          if (s.hi != ~u128(0)) e6.push_back({s.hi + 1, x.r0, x.r1, false});
        }
    }
    sweep(e4, words, fb[f], f == kSrc ? m.src4 : m.dst4);
    sweep(e6, words, fb[f], f == kSrc ? m.src6 : m.dst6);
  }
  std::vector<Edge<uint32_t>> es, ed;
  for (const Compiled& x : pols)
    for (uint32_t r = x.r0; r < x.r1; r++) {
      const Term& t = x.terms[r - x.r0];
      es.push_back({t.slo, r, r + 1, true});
      es.push_back({uint32_t(t.shi) + 1, r, r + 1, false});
      if (t.dlo == 0 && t.dhi == 65535) continue;
      ed.push_back({t.dlo, r, r + 1, true});
      ed.push_back({uint32_t(t.dhi) + 1, r, r + 1, false});
    }
  Intervals<uint32_t> sport, dport;
  sweep(es, words, fb[kSport], sport);
  sweep(ed, words, fb[kDport], dport);
  m.sport = PortClasses(sport);
  m.dport = PortClasses(dport);
  std::vector<uint64_t> bits(words);
  for (uint32_t v = 0; v < 256; v++) {
    std::fill(bits.begin(), bits.end(), 0);
    for (const Compiled& x : pols)
      for (uint32_t r = x.r0; r < x.r1; r++)
        if (x.terms[r - x.r0].any_proto || x.terms[r - x.r0].proto == v) set_bit(bits, r);
    m.proto[v] = fb[kProto].add(bits);
  }
  for (Field& f : m.field) f.words.push_back(0);
  m.bytes += m.src4.bytes() + m.dst4.bytes() + m.sport.bytes() + m.dport.bytes() + m.src6.bytes() + m.dst6.bytes() +
             m.pair.size() * 2 + m.pair_words.size() * 8 + m.result.size() * 4;
  for (int v6 = 0; v6 < 2; v6++) {
    m.bytes += m.group[v6].size() * 8;
    for (const auto& w : m.wild[v6]) m.bytes += w.size() * 8;
  }
  return rb;
}

void Rulebase::classify(const ClassifyKey* const* keys, uint32_t n, uint32_t* out) const {
  for (uint32_t at = 0; at < n; at += kChunk) impl_->classify(keys + at, std::min(kChunk, n - at), out + at);
}

// ---------------------------------------------------------------------------
// The reference: one policy, one name, one comparison at a time.

namespace {

bool ref_contains(const Address& a, const ClassifyKey& k, const uint8_t* addr) {
  IpAddr x{.v6 = bool(k.v6)};
  const size_t n = k.v6 ? 16 : 4;
  std::memcpy(x.b.data(), addr, n);
  if (!a.is_range) return a.prefix.contains(x);
  return a.lo.v6 == x.v6 && a.hi.v6 == x.v6 && std::memcmp(a.lo.b.data(), addr, n) <= 0 &&
         std::memcmp(addr, a.hi.b.data(), n) <= 0;
}

struct RefName {
  bool resolves = false, matches = false;
};

void ref_address(const Config& c, const std::string& name, const ClassifyKey& k, const uint8_t* addr,
                 std::set<std::string>& seen, RefName& r) {
  if (name == "any") {
    r.resolves = r.matches = true;
  } else if (auto a = c.addresses.find(name); a != c.addresses.end()) {
    r.resolves = true;
    r.matches |= ref_contains(a->second, k, addr);
  } else if (auto s = c.address_sets.find(name); s != c.address_sets.end() && seen.insert(name).second) {
    for (const auto& m : s->second.members) ref_address(c, m, k, addr, seen, r);
  }
}

bool ref_addresses(const Config& c, const std::vector<std::string>& names, const ClassifyKey& k, const uint8_t* addr) {
  bool matches = false;
  for (const auto& n : names) {
    std::set<std::string> seen;
    RefName r;
    ref_address(c, n, k, addr, seen, r);
    if (!r.resolves) return false;
    matches |= r.matches;
  }
  return matches;
}

bool ref_term(const AppTerm& t, const ClassifyKey& k) {
  if (t.any_proto)
    return t.sport_lo <= k.sport && k.sport <= t.sport_hi && t.dport_lo <= k.dport && k.dport <= t.dport_hi;
  if (t.proto != k.proto) return false;
  if (is_icmp(t.proto))
    return (t.icmp_type < 0 || k.sport == t.icmp_type) && (t.icmp_code < 0 || k.dport == t.icmp_code);
  return t.sport_lo <= k.sport && k.sport <= t.sport_hi && t.dport_lo <= k.dport && k.dport <= t.dport_hi;
}

struct RefApp {
  bool resolves = false, matches = false;
  uint32_t timeout = 0;
};

void ref_application(const Config& c, const std::string& name, const ClassifyKey& k, std::set<std::string>& seen,
                     RefApp& r) {
  if (name == "any") {
    r.resolves = true;
    if (!r.matches) r.matches = true, r.timeout = 0;
  } else if (auto a = c.applications.find(name); a != c.applications.end()) {
    r.resolves |= !a->second.terms.empty();
    for (const auto& [_, t] : a->second.terms)
      if (!r.matches && ref_term(t, k)) r.matches = true, r.timeout = t.inactivity_timeout;
  } else if (auto s = c.application_sets.find(name); s != c.application_sets.end() && seen.insert(name).second) {
    for (const auto& m : s->second.members) ref_application(c, m, k, seen, r);
  }
}

bool ref_policy(const Config& c, const Policy& p, const ClassifyKey& k, RuleResult& out) {
  if (!p.active() || !ref_addresses(c, p.src, k, k.src) || !ref_addresses(c, p.dst, k, k.dst)) return false;
  RefApp first;
  for (const auto& n : p.app) {
    std::set<std::string> seen;
    RefApp r;
    ref_application(c, n, k, seen, r);
    if (!r.resolves) return false;
    if (!first.matches && r.matches) first = r;
  }
  if (!first.matches) return false;
  out = {.policy = p.id,
         .action = p.action,
         .log_init = p.log_init,
         .log_close = p.log_close,
         .count = p.count,
         .timeout = first.timeout};
  return true;
}

}  // namespace

RuleResult reference_match(const Config& c, const ClassifyKey& k) {
  RuleResult r{.policy = 0, .action = c.default_permit ? Action::kPermit : Action::kDeny};
  if (k.from == kNoZone || k.to == kNoZone) return r;
  for (const auto& [pair, list] : c.policies)
    if (c.zone_id(pair.from) == k.from && c.zone_id(pair.to) == k.to)
      for (const Policy& p : list)
        if (ref_policy(c, p, k, r)) return r;
  for (const Policy& p : c.global)
    if (ref_policy(c, p, k, r)) return r;
  return r;
}

}  // namespace vp::fw
