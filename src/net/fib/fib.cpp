#include "net/fib/fib.hpp"

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>
#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <bitset>
#include <deque>
#include <map>
#include <unordered_map>

#include "infra/error.hpp"
#include "io/interface.hpp"
#include "net/fib/adj.hpp"

namespace vp {

std::atomic<const Ip4Mtrie*> g_fib4[kMaxFibs];
std::atomic<const Lpm6*> g_fib6[kMaxFibs];
std::array<uint8_t, size_t(RouteSource::count)> g_source_priority = {0, 1, 5, 20, 20, 2};

const char* source_name(RouteSource s) {
  static const char* n[] = {"connected", "static", "api", "fpm", "netlink", "feature"};
  return n[int(s)];
}

LbSummary::LbSummary() {
  size_t bytes = size_t(kMask + 1) * sizeof(uint32_t);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) fail("cannot map the load-balance summary");
  madvise(p, bytes, MADV_HUGEPAGE);  // random lookups over megabytes: spare the TLB
  a_ = static_cast<uint32_t*>(p);    // zero pages: Dpo unreach
}

LbPool* make_lb_pool() {
  auto* x = new LbPool;
  uint32_t i = x->alloc();  // kLbNoRoute
  Lb* l = Lb::make(1);
  l->buckets[0] = Dpo::make(DpoType::unreach);
  x->set(i, l);
  lb_summary().set(i, l->buckets[0]);
  return x;
}

IpAddr ip_of_key(uint32_t k) {
  IpAddr a;
  a.b = {uint8_t(k >> 24), uint8_t(k >> 16), uint8_t(k >> 8), uint8_t(k)};
  return a;
}

IpAddr ip_of_key(u128 k) {
  IpAddr a;
  a.v6 = true;
  for (int i = 0; i < 16; i++) a.b[i] = uint8_t(k >> (120 - 8 * i));
  return a;
}

namespace {
constexpr size_t kSources = size_t(RouteSource::count);
constexpr uint32_t kNone = ~0u;

// Route prefixes are mostly multiples of 256 (/24 and shorter): a hash with
// good low bits is a must for an open-addressing table.
struct KeyHash {
  size_t operator()(uint32_t k) const { return absl::Hash<uint32_t>()(k); }
  size_t operator()(u128 k) const {
    return absl::Hash<std::pair<uint64_t, uint64_t>>()({uint64_t(k >> 64), uint64_t(k)});
  }
};

template <class K>
K mask(uint8_t len) {
  return len ? ~K(0) << (sizeof(K) * 8 - len) : K(0);
}

template <class K>
auto& fib_ptrs() {
  if constexpr (sizeof(K) == 4)
    return g_fib4;
  else
    return g_fib6;
}

template <class K>
uint32_t if_fib(const Interface* i) {
  if constexpr (sizeof(K) == 4)
    return i->fib4;
  else
    return i->fib6;
}

bool same_paths(std::span<const RoutePath> a, std::span<const RoutePath> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (!(a[i] == b[i]) || a[i].weight != b[i].weight) return false;
  return true;
}
}  // namespace

// What one route prefix holds: a path list per source.
template <class K>
struct Fib<K>::Entry {
  std::array<uint32_t, kSources> pl;  // kNone: the source has no route here
  int best() const {
    int b = -1;
    for (size_t s = 0; s < kSources; s++)
      if (pl[s] != kNone && (b < 0 || g_source_priority[s] < g_source_priority[size_t(b)])) b = int(s);
    return b;
  }
};

template <class K>
struct Fib<K>::PathList {
  RouteKind kind = RouteKind::paths;
  std::vector<RoutePath> paths;
  // Set when the entry's prefix covers one of its own recursive next hops:
  // then the list is that entry's alone and never resolves through it.
  bool own = false;
  K own_prefix{};
  uint8_t own_len = 0;
  uint32_t refs = 0;  // 0: a free slot
  uint32_t lb = 0;    // the load-balance every entry using the list forwards through
  size_t hash = 0;
  std::vector<uint32_t> adjs;  // adjacencies the list holds
};

template <class K>
struct Fib<K>::Found {
  const Entry* e = nullptr;
  K prefix{};
  uint8_t len = 0;
};

template <class K>
struct Fib<K>::Table {
  uint32_t id;
  std::unique_ptr<Lpm<K>> lpm;
  absl::flat_hash_map<K, Entry, KeyHash> by_len[kBits + 1];
  std::bitset<kBits + 1> lens;  // bit l set when by_len[l] is not empty
  size_t n = 0;
  std::deque<PathList> pls;  // by index
  std::vector<uint32_t> free_pls;
  std::unordered_multimap<size_t, uint32_t> shared;  // hash -> shareable path lists
  std::multimap<K, uint32_t> recursive;              // recursive next hop -> path lists through it
  uint32_t lb_of(const Entry& e) const { return pls[e.pl[size_t(e.best())]].lb; }
};

Fib4& fib4() {
  static Fib4 f;
  return f;
}

Fib6& fib6() {
  static Fib6 f;
  return f;
}

template <class K>
const char* Fib<K>::family() {
  return kBits == 32 ? "IPv4" : "IPv6";
}

template <class K>
K Fib<K>::key(const IpAddr& a) {
  if constexpr (kBits == 32)
    return a.v4_host();
  else
    return ip6_key(a.b.data());
}

template <class K>
void Fib<K>::check_family(const IpAddr& a) const {
  if (a.v6 != (kBits == 128)) fail("{} is not an {} address", a.str(), family());
}

template <class K>
Fib<K>::Fib() {
  table_add(0);
}

template <class K>
uint32_t Fib<K>::table_add(uint32_t id, uint32_t lookup_records) {
  for (auto& t : tables_)
    if (t && t->id == id) return uint32_t(&t - &tables_[0]);
  uint32_t idx = 0;
  while (idx < tables_.size() && tables_[idx]) idx++;
  if (idx >= kMaxFibs) fail("too many {} tables (max {})", family(), kMaxFibs);
  if (idx == tables_.size()) tables_.emplace_back();
  auto t = std::make_unique<Table>();
  t->id = id;
  if constexpr (kBits == 128)
    t->lpm = std::make_unique<Lpm6>(kLbNoRoute, lookup_records);
  else
    t->lpm = std::make_unique<Lpm<K>>(kLbNoRoute);
  fib_ptrs<K>()[idx].store(t->lpm.get(), std::memory_order_release);
  tables_[idx] = std::move(t);
  return idx;
}

template <class K>
bool Fib<K>::has_table(uint32_t id) const {
  for (auto& t : tables_)
    if (t && t->id == id) return true;
  return false;
}

template <class K>
uint32_t Fib<K>::index_of(uint32_t id) const {
  for (size_t i = 0; i < tables_.size(); i++)
    if (tables_[i] && tables_[i]->id == id) return uint32_t(i);
  fail("no {} table {} (create it with '{} table add {}')", family(), id, kBits == 32 ? "ip" : "ip6", id);
}

template <class K>
uint32_t Fib<K>::id_of(uint32_t fib) const {
  return tables_.at(fib)->id;
}

template <class K>
std::vector<uint32_t> Fib<K>::table_ids() const {
  std::vector<uint32_t> out;
  for (auto& t : tables_)
    if (t && t->id < kHiddenTable) out.push_back(t->id);
  return out;
}

template <class K>
void Fib<K>::table_del(uint32_t id) {
  if (id == 0) fail("table 0 cannot be deleted");
  uint32_t idx = index_of(id);
  for (auto* i : ifs().all())
    if (if_fib<K>(i) == idx && id < kHiddenTable) fail("{} table {} is in use by {}", family(), id, i->name);
  Table& t = *tables_[idx];
  // Drop every route; dependents in other tables do not exist (no cross-VRF paths).
  for (int len = kBits; len >= 0; len--)
    while (!t.by_len[len].empty()) {
      auto [prefix, e] = *t.by_len[len].begin();
      for (size_t s = 0; s < kSources; s++)
        if (e.pl[s] != kNone) set_source(t, prefix, uint8_t(len), RouteSource(s), kNone);
    }
  fib_ptrs<K>()[idx].store(nullptr, std::memory_order_release);
  auto* dying = tables_[idx].release();
  rcu().defer([dying] { delete dying; });
}

// Longest entry covering addr with length < below_len.
template <class K>
typename Fib<K>::Found Fib<K>::cover(const Table& t, K addr, uint8_t below_len) const {
  for (int len = std::min<int>(kBits, below_len - 1); len >= 0; len--) {
    if (!t.lens[len]) continue;
    K m = addr & mask<K>(uint8_t(len));
    auto it = t.by_len[len].find(m);
    if (it != t.by_len[len].end()) return {&it->second, m, uint8_t(len)};
  }
  return {};
}

template <class K>
std::optional<typename Fib<K>::ShowEntry> Fib<K>::lookup_show(uint32_t fib, const IpAddr& a) const {
  check_family(a);
  const Table& t = *tables_.at(fib);
  Found c = cover(t, key(a), kBits + 1);
  if (!c.e) return std::nullopt;
  return show(t, c.prefix, c.len, *c.e);
}

template <class K>
size_t Fib<K>::size(uint32_t fib) const {
  return tables_.at(fib)->n;
}

template <class K>
size_t Fib<K>::path_lists(uint32_t fib) const {
  const Table& t = *tables_.at(fib);
  return t.pls.size() - t.free_pls.size();
}

template <class K>
size_t Fib<K>::memory_bytes(uint32_t fib) const {
  const Table& t = *tables_.at(fib);
  size_t b = t.lpm->memory_bytes();
  for (auto& m : t.by_len) b += m.capacity() * (sizeof(std::pair<K, Entry>) + 1);
  b += t.pls.size() * (sizeof(PathList) + sizeof(RoutePath) + sizeof(Lb)) + t.recursive.size() * 64;
  return b;
}

// A path list for (kind, paths) as the route prefix/len would have it: the
// shared one when it exists, else a new one, resolved. The caller owns one
// reference.
template <class K>
uint32_t Fib<K>::acquire(Table& t, K prefix, uint8_t len, RouteKind kind, std::span<const RoutePath> paths) {
  bool own = false;
  size_t h = absl::HashOf(uint8_t(kind));
  for (auto& p : paths) {
    own |= kind == RouteKind::paths && p.has_nh && p.sw_if == ~0u && (key(p.nh) & mask<K>(len)) == prefix;
    h = absl::HashOf(h, std::string_view(reinterpret_cast<const char*>(p.nh.b.data()), 16), p.has_nh, p.sw_if,
                     p.weight);
  }
  if (!own) {
    auto [lo, hi] = t.shared.equal_range(h);
    for (auto it = lo; it != hi; ++it) {
      PathList& l = t.pls[it->second];
      if (l.kind == kind && same_paths(l.paths, paths)) {
        l.refs++;
        return it->second;
      }
    }
  }
  uint32_t idx;
  if (!t.free_pls.empty()) {
    idx = t.free_pls.back();
    t.free_pls.pop_back();
  } else {
    idx = uint32_t(t.pls.size());
    t.pls.emplace_back();
  }
  PathList& l = t.pls[idx];
  l.kind = kind;
  l.paths.assign(paths.begin(), paths.end());
  l.own = own;
  l.own_prefix = prefix;
  l.own_len = len;
  l.refs = 1;
  l.lb = lbs().alloc();
  l.hash = h;
  if (!own) t.shared.emplace(h, idx);
  if (kind == RouteKind::paths)
    for (auto& p : paths)
      if (p.has_nh && p.sw_if == ~0u) t.recursive.emplace(key(p.nh), idx);
  resolve(t, idx);
  return idx;
}

template <class K>
void Fib<K>::release(Table& t, uint32_t idx) {
  PathList& l = t.pls[idx];
  if (--l.refs) return;
  for (uint32_t a : l.adjs) adj_table().unlock(a);
  l.adjs.clear();
  if (!l.own) {
    auto [lo, hi] = t.shared.equal_range(l.hash);
    for (auto it = lo; it != hi; ++it)
      if (it->second == idx) {
        t.shared.erase(it);
        break;
      }
  }
  for (auto& p : l.paths) {
    if (!p.has_nh || p.sw_if != ~0u || l.kind != RouteKind::paths) continue;
    auto [lo, hi] = t.recursive.equal_range(key(p.nh));
    for (auto it = lo; it != hi; ++it)
      if (it->second == idx) {
        t.recursive.erase(it);
        break;
      }
  }
  // The index and its contents stay valid for packets in flight until a
  // grace period has passed (PublishedPool::release).
  lbs().release(l.lb);
  l.paths.clear();
  t.free_pls.push_back(idx);
}

template <class K>
uint32_t Fib<K>::resolve_path(Table& t, PathList& l, const RoutePath& p) {
  if (p.sw_if != ~0u) {
    uint32_t a = p.has_nh ? adj_table().lock_nbr(p.sw_if, p.nh) : adj_table().lock_glean(p.sw_if, kBits == 128);
    l.adjs.push_back(a);
    return Dpo::make(p.has_nh ? DpoType::adj : DpoType::glean, a);
  }
  // Recursive: the longest route covering the next hop, never the list's own entry.
  K nh = key(p.nh);
  Found c = cover(t, nh, kBits + 1);
  if (l.own && c.e && c.prefix == l.own_prefix && c.len == l.own_len) c = cover(t, nh, l.own_len);
  if (!c.e) return Dpo::make(DpoType::unreach);
  const PathList& b = t.pls[c.e->pl[size_t(c.e->best())]];
  if (b.kind == RouteKind::connected) {
    // The next hop is on an attached subnet: an adjacency on that interface.
    uint32_t a = adj_table().lock_nbr(b.paths.at(0).sw_if, p.nh);
    l.adjs.push_back(a);
    return Dpo::make(DpoType::adj, a);
  }
  if (b.kind == RouteKind::local) return Dpo::make(DpoType::drop);  // a route via ourselves
  if (b.kind == RouteKind::paths && b.paths.size() == 1 && b.paths[0].has_nh && b.paths[0].nh == p.nh &&
      b.paths[0].sw_if != ~0u) {
    // The cover is the next hop's own attached host route: use its adjacency.
    uint32_t a = adj_table().lock_nbr(b.paths[0].sw_if, p.nh);
    l.adjs.push_back(a);
    return Dpo::make(DpoType::adj, a);
  }
  return Dpo::make(DpoType::lb, b.lb);
}

// (Re)computes the list's load-balance; published only when it changed.
template <class K>
void Fib<K>::resolve(Table& t, uint32_t idx) {
  PathList& l = t.pls[idx];
  std::vector<uint32_t> old_adjs;
  old_adjs.swap(l.adjs);
  std::vector<std::pair<uint32_t, uint32_t>> dpos;  // (dpo, weight)
  switch (l.kind) {
    case RouteKind::connected: {
      uint32_t a = adj_table().lock_glean(l.paths.at(0).sw_if, kBits == 128);
      l.adjs.push_back(a);
      dpos.push_back({Dpo::make(DpoType::glean, a), 1});
      break;
    }
    case RouteKind::local:
      dpos.push_back({Dpo::make(DpoType::local, l.paths.empty() ? 0 : l.paths[0].sw_if), 1});
      break;
    case RouteKind::drop:
      dpos.push_back({Dpo::make(DpoType::drop), 1});
      break;
    case RouteKind::unreachable:
      dpos.push_back({Dpo::make(DpoType::unreach), 1});
      break;
    case RouteKind::prohibit:
      dpos.push_back({Dpo::make(DpoType::prohibit), 1});
      break;
    case RouteKind::paths:
      for (auto& p : l.paths) dpos.push_back({resolve_path(t, l, p), p.weight});
      break;
  }
  // Buckets: a power of two, shared out in proportion to the weights.
  uint32_t total = 0;
  for (auto& d : dpos) total += d.second;
  uint32_t n = 1;
  while (n < total && n < 1024) n <<= 1;
  if (dpos.size() > 1 && n < 64) n = 64;  // finer spread of flows over paths
  Lb* nl = Lb::make(n);
  uint32_t k = 0;
  for (size_t i = 0; i < dpos.size(); i++) {
    uint32_t share = i + 1 == dpos.size() ? n - k : uint32_t(uint64_t(n) * dpos[i].second / total);
    for (uint32_t j = 0; j < share && k < n; j++) nl->buckets[k++] = dpos[i].first;
  }
  const Lb* cur = lbs().get(l.lb);
  if (cur && cur->n_buckets == n && std::equal(nl->buckets, nl->buckets + n, cur->buckets)) {
    LbFree()(nl);
  } else {
    lb_summary().set(l.lb, n == 1 ? nl->buckets[0] : kLbMulti);
    lbs().set(l.lb, nl);
  }
  // Released after the new locks were taken: an adjacency kept is never freed in between.
  for (uint32_t a : old_adjs) adj_table().unlock(a);
}

// Path lists through a next hop inside prefix/len may resolve differently now.
template <class K>
void Fib<K>::reresolve_under(Table& t, K prefix, uint8_t len) {
  K last = prefix | ~mask<K>(len);
  std::vector<uint32_t> v;
  for (auto it = t.recursive.lower_bound(prefix); it != t.recursive.end() && it->first <= last; ++it)
    v.push_back(it->second);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  for (uint32_t i : v) resolve(t, i);
}

// The source's path list for prefix/len becomes pl (a reference the caller
// hands over; kNone removes the source). The trie changes only when the
// winning load-balance does, and before the old list is released, so
// packets never see a moment without a route. The trie changes first:
// when it fails (out of node memory) nothing here has changed, and pl is
// released.
template <class K>
void Fib<K>::set_source(Table& t, K prefix, uint8_t len, RouteSource src, uint32_t pl) {
  auto& m = t.by_len[len];
  auto it = m.find(prefix);
  auto trie = [&](auto&& change) {
    try {
      change();
    } catch (...) {
      if (pl != kNone) release(t, pl);
      throw;
    }
  };
  if (it == m.end()) {
    if (pl == kNone) return;
    trie([&] { t.lpm->add(prefix, len, t.pls[pl].lb); });
    Entry e;
    e.pl.fill(kNone);
    e.pl[size_t(src)] = pl;
    m.emplace(prefix, e);
    t.lens[len] = true;
    t.n++;
    reresolve_under(t, prefix, len);
    return;
  }
  Entry& e = it->second;
  const uint32_t old_lb = t.lb_of(e), old_pl = e.pl[size_t(src)];
  Entry after = e;
  after.pl[size_t(src)] = pl;
  if (after.best() < 0) {
    Found parent = cover(t, prefix, len);
    trie([&] { t.lpm->del(prefix, len, parent.e ? t.lb_of(*parent.e) : kLbNoRoute, parent.len); });
    m.erase(it);
    if (m.empty()) t.lens[len] = false;
    t.n--;
    reresolve_under(t, prefix, len);
  } else if (uint32_t lb = t.lb_of(after); lb != old_lb) {
    trie([&] { t.lpm->add(prefix, len, lb); });
    e = after;
    reresolve_under(t, prefix, len);
  } else {
    e = after;
  }
  if (old_pl != kNone) release(t, old_pl);
}

template <class K>
void Fib<K>::check_add(uint32_t fib, const Prefix& p, RouteKind kind, const RoutePath* path) const {
  if (p.addr.v6 != (kBits == 128)) fail("{} is not an {} prefix", p.str(), family());
  if (p.len > kBits) fail("{}: prefix length out of range", p.str());
  if (fib >= tables_.size() || !tables_[fib]) fail("no {} table with index {}", family(), fib);
  if (kind == RouteKind::paths && !path) fail("a route needs a path");
  if (path && path->weight == 0) fail("weight must be at least 1");
  if (path && path->sw_if != ~0u && !ifs().at(path->sw_if)) fail("no interface with index {}", path->sw_if);
  if (path && path->has_nh) check_family(path->nh);
}

template <class K>
void Fib<K>::add(uint32_t fib, const Prefix& pin, RouteSource src, RouteKind kind, const RoutePath* path) {
  check_add(fib, pin, kind, path);
  Table& t = *tables_[fib];
  Prefix p = pin.masked();
  K a = key(p.addr);
  auto it = t.by_len[p.len].find(a);
  uint32_t cur = it == t.by_len[p.len].end() ? kNone : it->second.pl[size_t(src)];
  std::vector<RoutePath> paths;
  if (cur != kNone && t.pls[cur].kind == kind && kind == RouteKind::paths) {
    paths = t.pls[cur].paths;
    auto f = std::find(paths.begin(), paths.end(), *path);
    if (f != paths.end()) {
      f->weight = path->weight;
    } else {
      if (paths.size() >= kMaxPaths) fail("{} already has {} paths (the most ECMP takes)", p.str(), kMaxPaths);
      paths.push_back(*path);
    }
  } else if (path) {
    paths.push_back(*path);
  }
  set_source(t, a, p.len, src, acquire(t, a, p.len, kind, paths));
}

template <class K>
void Fib<K>::replace(uint32_t fib, const Prefix& pin, RouteSource src, RouteKind kind,
                     std::span<const RoutePath> paths) {
  if (kind == RouteKind::paths && paths.empty()) fail("a route needs a path");
  if (paths.size() > kMaxPaths) fail("{} paths: ECMP takes {} at most", paths.size(), kMaxPaths);
  if (paths.empty()) check_add(fib, pin, kind, nullptr);
  for (auto& path : paths) check_add(fib, pin, kind, &path);
  Table& t = *tables_[fib];
  Prefix p = pin.masked();
  K a = key(p.addr);
  set_source(t, a, p.len, src,
             acquire(t, a, p.len, kind, kind == RouteKind::paths ? paths : std::span<const RoutePath>{}));
}

template <class K>
bool Fib<K>::has(uint32_t fib, const Prefix& pin, RouteSource src, const RoutePath* path) const {
  if (pin.addr.v6 != (kBits == 128) || fib >= tables_.size() || !tables_[fib] || pin.len > kBits) return false;
  const Table& t = *tables_[fib];
  Prefix p = pin.masked();
  auto it = t.by_len[p.len].find(key(p.addr));
  if (it == t.by_len[p.len].end() || it->second.pl[size_t(src)] == kNone) return false;
  auto& paths = t.pls[it->second.pl[size_t(src)]].paths;
  return !path || std::find(paths.begin(), paths.end(), *path) != paths.end();
}

template <class K>
bool Fib<K>::del(uint32_t fib, const Prefix& pin, RouteSource src, const RoutePath* path) {
  if (pin.addr.v6 != (kBits == 128)) fail("{} is not an {} prefix", pin.str(), family());
  if (fib >= tables_.size() || !tables_[fib]) fail("no {} table with index {}", family(), fib);
  Table& t = *tables_[fib];
  Prefix p = pin.masked();
  K a = key(p.addr);
  auto it = t.by_len[p.len].find(a);
  if (it == t.by_len[p.len].end() || it->second.pl[size_t(src)] == kNone) return false;
  const PathList& l = t.pls[it->second.pl[size_t(src)]];
  if (!path) {
    set_source(t, a, p.len, src, kNone);
    return true;
  }
  std::vector<RoutePath> paths = l.paths;
  auto f = std::find(paths.begin(), paths.end(), *path);
  if (f == paths.end()) return false;
  paths.erase(f);
  RouteKind kind = l.kind;
  set_source(t, a, p.len, src, paths.empty() ? kNone : acquire(t, a, p.len, kind, paths));
  return true;
}

template <class K>
typename Fib<K>::ShowEntry Fib<K>::show(const Table& t, K prefix, uint8_t len, const Entry& e) const {
  ShowEntry s;
  s.prefix.addr = ip_of_key(prefix);
  s.prefix.len = len;
  int b = e.best();
  const PathList& l = t.pls[e.pl[size_t(b)]];
  s.src = RouteSource(b);
  s.kind = l.kind;
  s.paths = l.paths;
  s.lb = l.lb;
  if (const Lb* lb = lbs().get(l.lb)) s.buckets.assign(lb->buckets, lb->buckets + lb->n_buckets);
  std::vector<size_t> others;
  for (size_t i = 0; i < kSources; i++)
    if (e.pl[i] != kNone && int(i) != b) others.push_back(i);
  std::stable_sort(others.begin(), others.end(),
                   [](size_t x, size_t y) { return g_source_priority[x] < g_source_priority[y]; });
  for (size_t i : others) s.other_sources.push_back(source_name(RouteSource(i)));
  return s;
}

template <class K>
std::vector<typename Fib<K>::ShowEntry> Fib<K>::dump(uint32_t fib, const Prefix* only, size_t limit) const {
  std::vector<ShowEntry> out;
  const Table& t = *tables_.at(fib);
  std::vector<std::tuple<K, uint8_t, const Entry*>> all;
  if (only) {
    check_family(only->addr);
    Prefix p = only->masked();
    auto it = t.by_len[p.len].find(key(p.addr));
    if (it != t.by_len[p.len].end()) all.emplace_back(it->first, p.len, &it->second);
  } else {
    all.reserve(t.n);
    for (int len = 0; len <= kBits; len++)
      for (auto& [k, e] : t.by_len[len]) all.emplace_back(k, uint8_t(len), &e);
    std::sort(all.begin(), all.end(), [](auto& x, auto& y) {
      return std::tie(std::get<0>(x), std::get<1>(x)) < std::tie(std::get<0>(y), std::get<1>(y));
    });
  }
  for (auto& [k, len, e] : all) {
    if (out.size() >= limit) break;
    out.push_back(show(t, k, len, *e));
  }
  return out;
}

template <class K>
void Fib<K>::purge_interface(uint32_t sw_if) {
  struct Victim {
    uint32_t fib;
    Prefix p;
    RouteSource src;
    RoutePath path;
  };
  std::vector<Victim> v;
  for (size_t fi = 0; fi < tables_.size(); fi++) {
    if (!tables_[fi]) continue;
    const Table& t = *tables_[fi];
    for (int len = 0; len <= kBits; len++)
      for (auto& [k, e] : t.by_len[len])
        for (size_t s = 0; s < kSources; s++)
          if (e.pl[s] != kNone)
            for (auto& p : t.pls[e.pl[s]].paths)
              if (p.sw_if == sw_if) v.push_back({uint32_t(fi), Prefix{ip_of_key(k), uint8_t(len)}, RouteSource(s), p});
  }
  for (auto& x : v) del(x.fib, x.p, x.src, &x.path);
}

template class Fib<uint32_t>;
template class Fib<u128>;

}  // namespace vp
