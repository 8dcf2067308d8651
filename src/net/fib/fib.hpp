#pragma once
// The FIB: per-VRF IPv4 and IPv6 tables of route entries (one template,
// keyed by a host-order integer: uint32_t or unsigned __int128). Each entry
// keeps, per route source, a path list; the source with the lowest priority
// value wins (connected/local 0, static 1, API 5, FPM 20, Linux netlink 20).
//
// A path list (kind and paths) is shared by every entry of the table that
// says the same thing, and owns the load-balance they all forward through:
// a million BGP routes via one next hop are a million 20-byte entries and
// one path list. Paths via an interface or an attached next hop become
// adjacencies; paths via a next hop that is itself routed become a pointer
// to the load-balance of the route covering it (recursive), so every route
// through that next hop follows a change of its cover at once (VPP's
// prefix-independent convergence). Lookups use the table's lookup structure
// (mtrie.hpp for IPv4, lpm6.hpp for IPv6), whose leaves are load-balance
// indices.
#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "infra/parse.hpp"
#include "net/fib/dpo.hpp"
#include "net/fib/lpm6.hpp"
#include "net/fib/mtrie.hpp"

namespace vp {

// feature: routes a feature keeps for its own addresses (NAT's outside
// addresses), never shown as configuration.
enum class RouteSource : uint8_t { connected = 0, static_cli, api, fpm, netlink, feature, count };
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
// The lookup structure of a family: the 8-bit trie for IPv4, Lpm6 for IPv6.
template <class K>
using Lpm = std::conditional_t<sizeof(K) == 4, Ip4Mtrie, Lpm6>;
inline constexpr size_t kMaxPaths = 64;
// Tables with ids from here on are internal (per-interface IPv6 link-local).
inline constexpr uint32_t kHiddenTable = 0x80000000u;
extern std::atomic<const Ip4Mtrie*> g_fib4[kMaxFibs];
extern std::atomic<const Lpm6*> g_fib6[kMaxFibs];

// Host-order keys from addresses and back.
inline uint32_t fib_key4(const IpAddr& a) { return a.v4_host(); }
inline u128 ip6_key(const uint8_t* b) {
  uint64_t hi, lo;
  std::memcpy(&hi, b, 8);
  std::memcpy(&lo, b + 8, 8);
  return u128(__builtin_bswap64(hi)) << 64 | __builtin_bswap64(lo);
}
IpAddr ip_of_key(uint32_t k);
IpAddr ip_of_key(u128 k);

template <class K>
class Fib {
 public:
  static constexpr int kBits = sizeof(K) * 8;
  Fib();
  // Tables by user id (0 always exists). Return the fib index workers use.
  // lookup_records: the size of an IPv6 table's node arena (0: the default,
  // 1 GB of address space touched as used; tests make it small).
  uint32_t table_add(uint32_t id, uint32_t lookup_records = 0);
  void table_del(uint32_t id);           // must hold no routes but its own
  uint32_t index_of(uint32_t id) const;  // throws if missing
  bool has_table(uint32_t id) const;
  uint32_t id_of(uint32_t fib_index) const;
  std::vector<uint32_t> table_ids() const;  // user tables only

  // Adds one path (kind paths) or sets a special kind, for a source.
  void add(uint32_t fib, const Prefix& p, RouteSource src, RouteKind kind, const RoutePath* path = nullptr);
  // The source's route for p becomes exactly kind/paths, in one change that
  // workers see at once (no moment without a route).
  void replace(uint32_t fib, const Prefix& p, RouteSource src, RouteKind kind, std::span<const RoutePath> paths);
  // Whether the source has a route for p (with that path, when given).
  bool has(uint32_t fib, const Prefix& p, RouteSource src, const RoutePath* path = nullptr) const;
  // Removes one path; without a path, everything the source had for p.
  // Returns false when there was nothing to remove.
  bool del(uint32_t fib, const Prefix& p, RouteSource src, const RoutePath* path = nullptr);

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
  // Longest match, for "show ip fib <addr>".
  std::optional<ShowEntry> lookup_show(uint32_t fib, const IpAddr& a) const;
  size_t size(uint32_t fib) const;
  // Removes every path through sw_if (the interface is going away).
  void purge_interface(uint32_t sw_if);
  size_t memory_bytes(uint32_t fib) const;
  size_t path_lists(uint32_t fib) const;

  struct Table;
  struct Entry;
  struct PathList;
  struct Found;

 private:
  static K key(const IpAddr& a);
  static const char* family();
  void check_family(const IpAddr& a) const;
  void check_add(uint32_t fib, const Prefix& p, RouteKind kind, const RoutePath* path) const;
  Found cover(const Table& t, K addr, uint8_t below_len) const;
  ShowEntry show(const Table& t, K prefix, uint8_t len, const Entry& e) const;
  uint32_t acquire(Table& t, K prefix, uint8_t len, RouteKind kind, std::span<const RoutePath> paths);
  void release(Table& t, uint32_t pl);
  void resolve(Table& t, uint32_t pl);
  uint32_t resolve_path(Table& t, PathList& l, const RoutePath& p);
  void set_source(Table& t, K prefix, uint8_t len, RouteSource src, uint32_t pl);
  void reresolve_under(Table& t, K prefix, uint8_t len);
  std::vector<std::unique_ptr<Table>> tables_;  // by fib index
};

using Fib4 = Fib<uint32_t>;
using Fib6 = Fib<u128>;
extern template class Fib<uint32_t>;
extern template class Fib<u128>;

Fib4& fib4();
Fib6& fib6();

}  // namespace vp
