#include "net/fib/fib.hpp"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <unordered_set>

#include "infra/error.hpp"
#include "io/interface.hpp"
#include "net/fib/adj.hpp"

namespace vp {

std::atomic<const Ip4Mtrie*> g_fib4[kMaxFibs];
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

struct SrcPaths {
  RouteSource src;
  RouteKind kind;
  std::vector<RoutePath> paths;
};

struct FibEntry {
  uint32_t prefix;  // host order, masked
  uint8_t len;
  uint32_t fib;
  uint32_t lb;
  std::vector<SrcPaths> srcs;          // sorted by priority
  std::vector<uint32_t> adjs;          // adjacencies this entry holds
  std::vector<FibEntry*> via;          // entries it resolves through
  std::unordered_set<FibEntry*> deps;  // entries resolving through it (a next hop may carry a million)
  const SrcPaths& best() const { return srcs.front(); }
};

struct Fib4::Table {
  uint32_t id;
  std::unique_ptr<Ip4Mtrie> mtrie;
  std::unordered_map<uint32_t, FibEntry*> by_len[33];
  uint64_t lens = 0;  // bit l set when by_len[l] is not empty
  size_t n = 0;
  std::vector<FibEntry*> uncovered;  // recursive next hops with no route at all yet
};

Fib4& fib4() {
  static Fib4 f;
  return f;
}

Fib4::Fib4() { table_add(0); }

static uint32_t mask(uint8_t len) { return len ? ~0u << (32 - len) : 0; }

uint32_t Fib4::table_add(uint32_t id) {
  for (auto& t : tables_)
    if (t && t->id == id) return uint32_t(&t - &tables_[0]);
  uint32_t idx = 0;
  while (idx < tables_.size() && tables_[idx]) idx++;
  if (idx >= kMaxFibs) fail("too many IPv4 tables (max {})", kMaxFibs);
  if (idx == tables_.size()) tables_.emplace_back();
  auto t = std::make_unique<Table>();
  t->id = id;
  t->mtrie = std::make_unique<Ip4Mtrie>(kLbNoRoute);
  g_fib4[idx].store(t->mtrie.get(), std::memory_order_release);
  tables_[idx] = std::move(t);
  return idx;
}

bool Fib4::has_table(uint32_t id) const {
  for (auto& t : tables_)
    if (t && t->id == id) return true;
  return false;
}

uint32_t Fib4::index_of(uint32_t id) const {
  for (size_t i = 0; i < tables_.size(); i++)
    if (tables_[i] && tables_[i]->id == id) return uint32_t(i);
  fail("no IPv4 table {} (create it with 'ip table add {}')", id, id);
}

uint32_t Fib4::id_of(uint32_t fib) const { return tables_.at(fib)->id; }

std::vector<uint32_t> Fib4::table_ids() const {
  std::vector<uint32_t> out;
  for (auto& t : tables_)
    if (t) out.push_back(t->id);
  return out;
}

void Fib4::table_del(uint32_t id) {
  if (id == 0) fail("table 0 cannot be deleted");
  uint32_t idx = index_of(id);
  for (auto* i : ifs().all())
    if (i->fib4 == idx) fail("IPv4 table {} is in use by {}", id, i->name);
  Table& t = *tables_[idx];
  // Drop every route; dependents in other tables do not exist (no cross-VRF paths).
  for (int len = 32; len >= 0; len--)
    while (!t.by_len[len].empty()) {
      FibEntry* e = t.by_len[len].begin()->second;
      e->srcs.clear();
      remove(t, e);
    }
  g_fib4[idx].store(nullptr, std::memory_order_release);
  auto* dying = tables_[idx].release();
  rcu().defer([dying] { delete dying; });
}

FibEntry* Fib4::find_exact(Table& t, uint32_t prefix, uint8_t len) const {
  auto it = t.by_len[len].find(prefix);
  return it == t.by_len[len].end() ? nullptr : it->second;
}

// Longest entry covering addr with length < below_len.
FibEntry* Fib4::cover(const Table& t, uint32_t addr, uint8_t below_len) const {
  for (int len = std::min<int>(32, below_len - 1); len >= 0; len--) {
    if (!(t.lens >> len & 1)) continue;
    auto it = t.by_len[len].find(addr & mask(uint8_t(len)));
    if (it != t.by_len[len].end()) return it->second;
  }
  return nullptr;
}

const FibEntry* Fib4::lookup(uint32_t fib, uint32_t addr) const { return cover(*tables_.at(fib), addr, 33); }

size_t Fib4::size(uint32_t fib) const { return tables_.at(fib)->n; }

size_t Fib4::memory_bytes(uint32_t fib) const {
  const Table& t = *tables_.at(fib);
  size_t entry = sizeof(FibEntry) + sizeof(SrcPaths) + sizeof(RoutePath) + sizeof(Lb) + 32 /* hash node */;
  return t.mtrie->memory_bytes() + t.n * entry;
}

void Fib4::unresolve(FibEntry* e) {
  if (tables_[e->fib]) std::erase(tables_[e->fib]->uncovered, e);
  for (uint32_t a : e->adjs) adj_table().unlock(a);
  e->adjs.clear();
  for (FibEntry* v : e->via) v->deps.erase(e);
  e->via.clear();
}

uint32_t Fib4::resolve_path(FibEntry* e, const RoutePath& p) {
  if (p.sw_if != ~0u) {
    uint32_t a = p.has_nh ? adj_table().lock_nbr(p.sw_if, p.nh) : adj_table().lock_glean(p.sw_if, false);
    e->adjs.push_back(a);
    return Dpo::make(p.has_nh ? DpoType::adj : DpoType::glean, a);
  }
  // Recursive: the longest route covering the next hop, never the entry itself.
  Table& t = *tables_[e->fib];
  uint32_t nh = p.nh.v4_host();
  FibEntry* c = cover(t, nh, 33);
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

void Fib4::update(FibEntry* e) {
  unresolve(e);
  const SrcPaths& b = e->best();
  std::vector<std::pair<uint32_t, uint32_t>> dpos;  // (dpo, weight)
  switch (b.kind) {
    case RouteKind::connected:
      dpos.push_back({Dpo::make(DpoType::glean, 0), 1});
      {
        uint32_t a = adj_table().lock_glean(b.paths.at(0).sw_if, false);
        e->adjs.push_back(a);
        dpos.back().first = Dpo::make(DpoType::glean, a);
      }
      break;
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

void Fib4::add(uint32_t fib, const Prefix& pin, RouteSource src, RouteKind kind, const RoutePath* path) {
  if (pin.addr.v6) fail("{} is not an IPv4 prefix", pin.str());
  if (fib >= tables_.size() || !tables_[fib]) fail("no IPv4 table with index {}", fib);
  if (kind == RouteKind::paths && !path) fail("a route needs a path");
  if (path && path->weight == 0) fail("weight must be at least 1");
  if (path && path->sw_if != ~0u && !ifs().at(path->sw_if)) fail("no interface with index {}", path->sw_if);
  if (path && path->has_nh && path->nh.v6) fail("next hop {} is not IPv4", path->nh.str());
  Table& t = *tables_[fib];
  Prefix p = pin.masked();
  uint32_t a = p.addr.v4_host();
  FibEntry* e = find_exact(t, a, p.len);
  if (e) {
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
    return;
  }
  e = new FibEntry{a, p.len, fib, lbs().alloc(), {}, {}, {}, {}};
  e->srcs.push_back({src, kind, {}});
  if (path) e->srcs.back().paths.push_back(*path);
  FibEntry* parent = cover(t, a, p.len);
  t.by_len[p.len][a] = e;
  t.lens |= uint64_t(1) << p.len;
  t.n++;
  update(e);
  t.mtrie->add(a, p.len, e->lb);
  // Entries that resolved through the parent, or through nothing, may now
  // resolve through e.
  std::vector<FibEntry*> again;
  if (parent) again.assign(parent->deps.begin(), parent->deps.end());
  for (FibEntry* u : t.uncovered)
    for (auto& path : u->best().paths)
      if (path.has_nh && path.sw_if == ~0u && (path.nh.v4_host() & mask(p.len)) == a) again.push_back(u);
  for (FibEntry* d : again)
    if (d != e) update(d);
}

void Fib4::remove(Table& t, FibEntry* e) {
  FibEntry* parent = cover(t, e->prefix, e->len);
  t.mtrie->del(e->prefix, e->len, parent ? parent->lb : kLbNoRoute, parent ? parent->len : 0);
  t.by_len[e->len].erase(e->prefix);
  if (t.by_len[e->len].empty()) t.lens &= ~(uint64_t(1) << e->len);
  t.n--;
  unresolve(e);
  std::vector<FibEntry*> deps(e->deps.begin(), e->deps.end());
  e->deps.clear();
  for (FibEntry* d : deps) {
    std::erase(d->via, e);
    update(d);
  }
  lb_summary().set(e->lb, Dpo::make(DpoType::unreach));
  lbs().release(e->lb);
  delete e;
}

bool Fib4::del(uint32_t fib, const Prefix& pin, RouteSource src, const RoutePath* path) {
  if (pin.addr.v6) fail("{} is not an IPv4 prefix", pin.str());
  if (fib >= tables_.size() || !tables_[fib]) fail("no IPv4 table with index {}", fib);
  Table& t = *tables_[fib];
  Prefix p = pin.masked();
  FibEntry* e = find_exact(t, p.addr.v4_host(), p.len);
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

std::vector<Fib4::ShowEntry> Fib4::dump(uint32_t fib, const Prefix* only, size_t limit) const {
  std::vector<ShowEntry> out;
  const Table& t = *tables_.at(fib);
  std::vector<FibEntry*> all;
  if (only) {
    Prefix p = only->masked();
    auto it = t.by_len[p.len].find(p.addr.v4_host());
    if (it != t.by_len[p.len].end()) all.push_back(it->second);
  } else {
    for (int len = 0; len <= 32; len++)
      for (auto& [k, e] : t.by_len[len]) all.push_back(e);
    std::sort(all.begin(), all.end(),
              [](auto* x, auto* y) { return std::tie(x->prefix, x->len) < std::tie(y->prefix, y->len); });
  }
  for (FibEntry* e : all) {
    if (out.size() >= limit) break;
    ShowEntry s;
    s.prefix.addr.b = {uint8_t(e->prefix >> 24), uint8_t(e->prefix >> 16), uint8_t(e->prefix >> 8), uint8_t(e->prefix)};
    s.prefix.len = e->len;
    s.src = e->best().src;
    s.kind = e->best().kind;
    s.paths = e->best().paths;
    s.lb = e->lb;
    if (const Lb* l = lbs().get(e->lb)) s.buckets.assign(l->buckets, l->buckets + l->n_buckets);
    for (size_t i = 1; i < e->srcs.size(); i++) s.other_sources.push_back(source_name(e->srcs[i].src));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace vp

namespace vp {
void Fib4::purge_interface(uint32_t sw_if) {
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
            if (p.sw_if == sw_if) {
              Prefix pr;
              pr.addr.b = {uint8_t(e->prefix >> 24), uint8_t(e->prefix >> 16), uint8_t(e->prefix >> 8),
                           uint8_t(e->prefix)};
              pr.len = e->len;
              v.push_back({uint32_t(fi), pr, s.src, p});
            }
  }
  for (auto& x : v) del(x.fib, x.p, x.src, &x.path);
}
}  // namespace vp
