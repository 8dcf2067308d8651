#include "net/fib/fib.hpp"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <bitset>
#include <unordered_set>

#include "infra/error.hpp"
#include "io/interface.hpp"
#include "net/fib/adj.hpp"

namespace vp {

std::atomic<const Ip4Mtrie*> g_fib4[kMaxFibs];
std::atomic<const Ip6Mtrie*> g_fib6[kMaxFibs];
std::array<uint8_t, size_t(RouteSource::count)> g_source_priority = {0, 1, 5, 20, 20};

const char* source_name(RouteSource s) {
  static const char* n[] = {"connected", "static", "api", "fpm", "netlink"};
  return n[int(s)];
}

LbSummary::LbSummary() {
  size_t bytes = size_t(kMask + 1) * sizeof(uint32_t);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) fail("cannot map the load-balance summary");
  madvise(p, bytes, MADV_HUGEPAGE);  // random lookups over megabytes: spare the TLB
  a_ = static_cast<uint32_t*>(p);    // zero pages: Dpo unreach
}

LbSummary& lb_summary() {
  static LbSummary* s = new LbSummary;
  return *s;
}

LbPool& lbs() {
  static LbPool* p = [] {
    auto* x = new LbPool;
    uint32_t i = x->alloc();  // kLbNoRoute
    Lb* l = Lb::make(1);
    l->buckets[0] = Dpo::make(DpoType::unreach);
    x->set(i, l);
    lb_summary().set(i, l->buckets[0]);
    return x;
  }();
  return *p;
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

template <class K>
struct FibEntry {
  K prefix;  // host order, masked
  uint8_t len;
  uint32_t fib;
  uint32_t lb;
  std::vector<SrcPaths> srcs;          // sorted by priority
  std::vector<uint32_t> adjs;          // adjacencies this entry holds
  std::vector<FibEntry*> via;          // entries it resolves through
  std::unordered_set<FibEntry*> deps;  // entries resolving through it (a next hop may carry a million)
  const SrcPaths& best() const { return srcs.front(); }
};

namespace {
struct KeyHash {
  size_t operator()(uint32_t k) const { return std::hash<uint32_t>()(k); }
  size_t operator()(u128 k) const {
    return std::hash<uint64_t>()(uint64_t(k) ^ uint64_t(k >> 64) * 0x9e3779b97f4a7c15ull);
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
}  // namespace

template <class K>
struct Fib<K>::Table {
  uint32_t id;
  std::unique_ptr<Mtrie<K>> mtrie;
  std::unordered_map<K, Entry*, KeyHash> by_len[kBits + 1];
  std::bitset<kBits + 1> lens;  // bit l set when by_len[l] is not empty
  size_t n = 0;
  std::vector<Entry*> uncovered;  // recursive next hops with no route at all yet
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
uint32_t Fib<K>::table_add(uint32_t id) {
  for (auto& t : tables_)
    if (t && t->id == id) return uint32_t(&t - &tables_[0]);
  uint32_t idx = 0;
  while (idx < tables_.size() && tables_[idx]) idx++;
  if (idx >= kMaxFibs) fail("too many {} tables (max {})", family(), kMaxFibs);
  if (idx == tables_.size()) tables_.emplace_back();
  auto t = std::make_unique<Table>();
  t->id = id;
  t->mtrie = std::make_unique<Mtrie<K>>(kLbNoRoute);
  fib_ptrs<K>()[idx].store(t->mtrie.get(), std::memory_order_release);
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
      Entry* e = t.by_len[len].begin()->second;
      e->srcs.clear();
      remove(t, e);
    }
  fib_ptrs<K>()[idx].store(nullptr, std::memory_order_release);
  auto* dying = tables_[idx].release();
  rcu().defer([dying] { delete dying; });
}

template <class K>
FibEntry<K>* Fib<K>::find_exact(Table& t, K prefix, uint8_t len) const {
  auto it = t.by_len[len].find(prefix);
  return it == t.by_len[len].end() ? nullptr : it->second;
}

// Longest entry covering addr with length < below_len.
template <class K>
FibEntry<K>* Fib<K>::cover(const Table& t, K addr, uint8_t below_len) const {
  for (int len = std::min<int>(kBits, below_len - 1); len >= 0; len--) {
    if (!t.lens[len]) continue;
    auto it = t.by_len[len].find(addr & mask<K>(uint8_t(len)));
    if (it != t.by_len[len].end()) return it->second;
  }
  return nullptr;
}

template <class K>
const FibEntry<K>* Fib<K>::lookup(uint32_t fib, K addr) const {
  return cover(*tables_.at(fib), addr, kBits + 1);
}

template <class K>
std::optional<typename Fib<K>::ShowEntry> Fib<K>::lookup_show(uint32_t fib, const IpAddr& a) const {
  check_family(a);
  const Entry* e = lookup(fib, key(a));
  if (!e) return std::nullopt;
  return show(e);
}

template <class K>
size_t Fib<K>::size(uint32_t fib) const {
  return tables_.at(fib)->n;
}

template <class K>
size_t Fib<K>::memory_bytes(uint32_t fib) const {
  const Table& t = *tables_.at(fib);
  size_t entry = sizeof(Entry) + sizeof(SrcPaths) + sizeof(RoutePath) + sizeof(Lb) + 32 /* hash node */;
  return t.mtrie->memory_bytes() + t.n * entry;
}

template <class K>
void Fib<K>::unresolve(Entry* e) {
  if (tables_[e->fib]) std::erase(tables_[e->fib]->uncovered, e);
  for (uint32_t a : e->adjs) adj_table().unlock(a);
  e->adjs.clear();
  for (Entry* v : e->via) v->deps.erase(e);
  e->via.clear();
}

template <class K>
uint32_t Fib<K>::resolve_path(Entry* e, const RoutePath& p) {
  if (p.sw_if != ~0u) {
    uint32_t a = p.has_nh ? adj_table().lock_nbr(p.sw_if, p.nh) : adj_table().lock_glean(p.sw_if, kBits == 128);
    e->adjs.push_back(a);
    return Dpo::make(p.has_nh ? DpoType::adj : DpoType::glean, a);
  }
  // Recursive: the longest route covering the next hop, never the entry itself.
  Table& t = *tables_[e->fib];
  K nh = key(p.nh);
  Entry* c = cover(t, nh, kBits + 1);
  if (c == e) c = cover(t, nh, e->len);  // never through itself; more specifics are fine
  if (!c) {
    if (std::find(t.uncovered.begin(), t.uncovered.end(), e) == t.uncovered.end()) t.uncovered.push_back(e);
    return Dpo::make(DpoType::unreach);
  }
  e->via.push_back(c);
  c->deps.insert(e);
  const SrcPaths& b = c->best();
  if (b.kind == RouteKind::connected) {
    // The next hop is on an attached subnet: an adjacency on that interface.
    uint32_t a = adj_table().lock_nbr(b.paths.at(0).sw_if, p.nh);
    e->adjs.push_back(a);
    return Dpo::make(DpoType::adj, a);
  }
  if (b.kind == RouteKind::local) return Dpo::make(DpoType::drop);  // a route via ourselves
  if (b.kind == RouteKind::paths && b.paths.size() == 1 && b.paths[0].has_nh && b.paths[0].nh == p.nh &&
      b.paths[0].sw_if != ~0u) {
    // The cover is the next hop's own attached host route: use its adjacency.
    uint32_t a = adj_table().lock_nbr(b.paths[0].sw_if, p.nh);
    e->adjs.push_back(a);
    return Dpo::make(DpoType::adj, a);
  }
  return Dpo::make(DpoType::lb, c->lb);
}

template <class K>
void Fib<K>::update(Entry* e) {
  unresolve(e);
  const SrcPaths& b = e->best();
  std::vector<std::pair<uint32_t, uint32_t>> dpos;  // (dpo, weight)
  switch (b.kind) {
    case RouteKind::connected: {
      uint32_t a = adj_table().lock_glean(b.paths.at(0).sw_if, kBits == 128);
      e->adjs.push_back(a);
      dpos.push_back({Dpo::make(DpoType::glean, a), 1});
      break;
    }
    case RouteKind::local:
      dpos.push_back({Dpo::make(DpoType::local, b.paths.empty() ? 0 : b.paths[0].sw_if), 1});
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
      for (auto& p : b.paths) dpos.push_back({resolve_path(e, p), p.weight});
      break;
  }
  // Buckets: a power of two, shared out in proportion to the weights.
  uint32_t total = 0;
  for (auto& d : dpos) total += d.second;
  uint32_t n = 1;
  while (n < total && n < 1024) n <<= 1;
  if (dpos.size() > 1 && n < 64) n = 64;  // finer spread of flows over paths
  Lb* l = Lb::make(n);
  uint32_t k = 0;
  for (size_t i = 0; i < dpos.size(); i++) {
    uint32_t share = i + 1 == dpos.size() ? n - k : uint32_t(uint64_t(n) * dpos[i].second / total);
    for (uint32_t j = 0; j < share && k < n; j++) l->buckets[k++] = dpos[i].first;
  }
  lb_summary().set(e->lb, n == 1 ? l->buckets[0] : kLbMulti);
  lbs().set(e->lb, l);
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
void Fib<K>::create(uint32_t fib, const Prefix& p, SrcPaths sp) {
  Table& t = *tables_[fib];
  K a = key(p.addr);
  auto* e = new Entry{a, p.len, fib, lbs().alloc(), {}, {}, {}, {}};
  e->srcs.push_back(std::move(sp));
  Entry* parent = cover(t, a, p.len);
  t.by_len[p.len][a] = e;
  t.lens[p.len] = true;
  t.n++;
  update(e);
  t.mtrie->add(a, p.len, e->lb);
  // Entries that resolved through the parent, or through nothing, may now
  // resolve through e.
  std::vector<Entry*> again;
  if (parent) again.assign(parent->deps.begin(), parent->deps.end());
  for (Entry* u : t.uncovered)
    for (auto& up : u->best().paths)
      if (up.has_nh && up.sw_if == ~0u && (key(up.nh) & mask<K>(p.len)) == a) again.push_back(u);
  for (Entry* d : again)
    if (d != e) update(d);
}

template <class K>
void Fib<K>::add(uint32_t fib, const Prefix& pin, RouteSource src, RouteKind kind, const RoutePath* path) {
  check_add(fib, pin, kind, path);
  Table& t = *tables_[fib];
  Prefix p = pin.masked();
  Entry* e = find_exact(t, key(p.addr), p.len);
  if (!e) {
    SrcPaths sp{src, kind, {}};
    if (path) sp.paths.push_back(*path);
    return create(fib, p, std::move(sp));
  }
  auto it = std::find_if(e->srcs.begin(), e->srcs.end(), [&](auto& s) { return s.src == src; });
  if (it != e->srcs.end() && it->kind == kind && kind == RouteKind::paths) {
    if (std::find(it->paths.begin(), it->paths.end(), *path) != it->paths.end()) {
      for (auto& q : it->paths)
        if (q == *path) q.weight = path->weight;
    } else {
      if (it->paths.size() >= kMaxPaths) fail("{} already has {} paths (the most ECMP takes)", p.str(), kMaxPaths);
      it->paths.push_back(*path);
    }
  } else if (it != e->srcs.end()) {
    it->kind = kind;
    it->paths.clear();
    if (path) it->paths.push_back(*path);
  } else {
    e->srcs.push_back({src, kind, {}});
    if (path) e->srcs.back().paths.push_back(*path);
    std::stable_sort(e->srcs.begin(), e->srcs.end(), [](auto& x, auto& y) {
      return g_source_priority[size_t(x.src)] < g_source_priority[size_t(y.src)];
    });
  }
  update(e);
}

template <class K>
void Fib<K>::replace(uint32_t fib, const Prefix& pin, RouteSource src, RouteKind kind,
                     const std::vector<RoutePath>& paths) {
  if (kind == RouteKind::paths && paths.empty()) fail("a route needs a path");
  if (paths.size() > kMaxPaths) fail("{} paths: ECMP takes {} at most", paths.size(), kMaxPaths);
  if (paths.empty()) check_add(fib, pin, kind, nullptr);
  for (auto& path : paths) check_add(fib, pin, kind, &path);
  Table& t = *tables_[fib];
  Prefix p = pin.masked();
  SrcPaths sp{src, kind, kind == RouteKind::paths ? paths : std::vector<RoutePath>{}};
  Entry* e = find_exact(t, key(p.addr), p.len);
  if (!e) return create(fib, p, std::move(sp));
  auto it = std::find_if(e->srcs.begin(), e->srcs.end(), [&](auto& s) { return s.src == src; });
  if (it != e->srcs.end()) {
    *it = std::move(sp);
  } else {
    e->srcs.push_back(std::move(sp));
    std::stable_sort(e->srcs.begin(), e->srcs.end(), [](auto& x, auto& y) {
      return g_source_priority[size_t(x.src)] < g_source_priority[size_t(y.src)];
    });
  }
  update(e);
}

template <class K>
void Fib<K>::remove(Table& t, Entry* e) {
  Entry* parent = cover(t, e->prefix, e->len);
  t.mtrie->del(e->prefix, e->len, parent ? parent->lb : kLbNoRoute, parent ? parent->len : 0);
  t.by_len[e->len].erase(e->prefix);
  if (t.by_len[e->len].empty()) t.lens[e->len] = false;
  t.n--;
  unresolve(e);
  std::vector<Entry*> deps(e->deps.begin(), e->deps.end());
  e->deps.clear();
  for (Entry* d : deps) {
    std::erase(d->via, e);
    update(d);
  }
  lb_summary().set(e->lb, Dpo::make(DpoType::unreach));
  lbs().release(e->lb);
  delete e;
}

template <class K>
bool Fib<K>::has(uint32_t fib, const Prefix& pin, RouteSource src, const RoutePath* path) const {
  if (pin.addr.v6 != (kBits == 128) || fib >= tables_.size() || !tables_[fib] || pin.len > kBits) return false;
  Prefix p = pin.masked();
  auto it = tables_[fib]->by_len[p.len].find(key(p.addr));
  if (it == tables_[fib]->by_len[p.len].end()) return false;
  for (auto& s : it->second->srcs)
    if (s.src == src) return !path || std::find(s.paths.begin(), s.paths.end(), *path) != s.paths.end();
  return false;
}

template <class K>
bool Fib<K>::del(uint32_t fib, const Prefix& pin, RouteSource src, const RoutePath* path) {
  if (pin.addr.v6 != (kBits == 128)) fail("{} is not an {} prefix", pin.str(), family());
  if (fib >= tables_.size() || !tables_[fib]) fail("no {} table with index {}", family(), fib);
  Table& t = *tables_[fib];
  Prefix p = pin.masked();
  Entry* e = find_exact(t, key(p.addr), p.len);
  if (!e) return false;
  auto it = std::find_if(e->srcs.begin(), e->srcs.end(), [&](auto& s) { return s.src == src; });
  if (it == e->srcs.end()) return false;
  if (path) {
    auto pit = std::find(it->paths.begin(), it->paths.end(), *path);
    if (pit == it->paths.end()) return false;
    it->paths.erase(pit);
    if (it->paths.empty()) e->srcs.erase(it);
  } else {
    e->srcs.erase(it);
  }
  if (e->srcs.empty())
    remove(t, e);
  else
    update(e);
  return true;
}

template <class K>
typename Fib<K>::ShowEntry Fib<K>::show(const Entry* e) const {
  ShowEntry s;
  s.prefix.addr = ip_of_key(e->prefix);
  s.prefix.len = e->len;
  s.src = e->best().src;
  s.kind = e->best().kind;
  s.paths = e->best().paths;
  s.lb = e->lb;
  if (const Lb* l = lbs().get(e->lb)) s.buckets.assign(l->buckets, l->buckets + l->n_buckets);
  for (size_t i = 1; i < e->srcs.size(); i++) s.other_sources.push_back(source_name(e->srcs[i].src));
  return s;
}

template <class K>
std::vector<typename Fib<K>::ShowEntry> Fib<K>::dump(uint32_t fib, const Prefix* only, size_t limit) const {
  std::vector<ShowEntry> out;
  const Table& t = *tables_.at(fib);
  std::vector<Entry*> all;
  if (only) {
    check_family(only->addr);
    Prefix p = only->masked();
    auto it = t.by_len[p.len].find(key(p.addr));
    if (it != t.by_len[p.len].end()) all.push_back(it->second);
  } else {
    for (int len = 0; len <= kBits; len++)
      for (auto& [k, e] : t.by_len[len]) all.push_back(e);
    std::sort(all.begin(), all.end(),
              [](auto* x, auto* y) { return std::tie(x->prefix, x->len) < std::tie(y->prefix, y->len); });
  }
  for (Entry* e : all) {
    if (out.size() >= limit) break;
    out.push_back(show(e));
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
    for (auto& bl : tables_[fi]->by_len)
      for (auto& [k, e] : bl)
        for (auto& s : e->srcs)
          for (auto& p : s.paths)
            if (p.sw_if == sw_if) v.push_back({uint32_t(fi), Prefix{ip_of_key(e->prefix), e->len}, s.src, p});
  }
  for (auto& x : v) del(x.fib, x.p, x.src, &x.path);
}

template class Fib<uint32_t>;
template class Fib<u128>;

}  // namespace vp
