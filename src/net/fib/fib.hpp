#pragma once
// The FIB: per-VRF IPv4 tables of route entries. Each entry keeps, per route
// source, its kind and paths; the source with the lowest priority value wins
// (connected/local 0, static 1, API 5, FPM 20, Linux netlink 20). The winner
// is resolved to a load-balance: paths via an interface or an attached next
// hop become adjacencies, paths via a next hop that is itself routed become
// a pointer to that route's load-balance (recursive), so they follow it.
// Lookups use the table's DIR-24-8 (ip4_mtrie), whose leaves are
// load-balance indices.
#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "infra/parse.hpp"
#include "net/fib/dpo.hpp"
#include "net/fib/ip4_mtrie.hpp"

namespace vp {

enum class RouteSource : uint8_t { connected = 0, static_cli, api, fpm, netlink, count };
const char* source_name(RouteSource s);
extern std::array<uint8_t, size_t(RouteSource::count)> g_source_priority;

enum class RouteKind : uint8_t { paths, connected, local, drop, unreachable, prohibit };

struct RoutePath {
  IpAddr nh;  // all zero with has_nh false: an interface route
  bool has_nh = false;
  uint32_t sw_if = ~0u;  // ~0: resolve the next hop recursively
  uint16_t weight = 1;
  bool operator==(const RoutePath& o) const { return nh == o.nh && has_nh == o.has_nh && sw_if == o.sw_if; }
};

inline constexpr uint32_t kMaxFibs = 4096;
inline constexpr size_t kMaxPaths = 64;
extern std::atomic<const Ip4Mtrie*> g_fib4[kMaxFibs];

struct FibEntry;

class Fib4 {
 public:
  Fib4();
  // Tables by user id (0 always exists). Return the fib index workers use.
  uint32_t table_add(uint32_t id);
  void table_del(uint32_t id);           // must hold no routes but its own
  uint32_t index_of(uint32_t id) const;  // throws if missing
  bool has_table(uint32_t id) const;
  uint32_t id_of(uint32_t fib_index) const;
  std::vector<uint32_t> table_ids() const;

  // Adds one path (kind paths) or sets a special kind, for a source.
  void add(uint32_t fib, const Prefix& p, RouteSource src, RouteKind kind, const RoutePath* path = nullptr);
  // Removes one path; without a path, everything the source had for p.
  // Returns false when there was nothing to remove.
  bool del(uint32_t fib, const Prefix& p, RouteSource src, const RoutePath* path = nullptr);

  struct ShowPath {
    std::string text;
    uint32_t dpo;
  };
  struct ShowEntry {
    Prefix prefix;
    RouteSource src;
    RouteKind kind;
    std::vector<RoutePath> paths;
    uint32_t lb;
    std::vector<uint32_t> buckets;
    std::vector<std::string> other_sources;
  };
  std::vector<ShowEntry> dump(uint32_t fib, const Prefix* only = nullptr, size_t limit = SIZE_MAX) const;
  // Longest match, for "show ip fib <addr>" and tests.
  const FibEntry* lookup(uint32_t fib, uint32_t addr) const;
  size_t size(uint32_t fib) const;
  // Removes every path through sw_if (the interface is going away).
  void purge_interface(uint32_t sw_if);
  size_t memory_bytes(uint32_t fib) const;

 private:
  struct Table;
  FibEntry* find_exact(Table& t, uint32_t prefix, uint8_t len) const;
  FibEntry* cover(const Table& t, uint32_t addr, uint8_t below_len) const;
  void update(FibEntry* e);
  void unresolve(FibEntry* e);
  uint32_t resolve_path(FibEntry* e, const RoutePath& p);
  void remove(Table& t, FibEntry* e);
  std::vector<std::unique_ptr<Table>> tables_;  // by fib index
};

Fib4& fib4();

}  // namespace vp
