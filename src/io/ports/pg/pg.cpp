// Packet-generator interfaces (pg<n>), their streams, the pg-input node and
// the packet-generator commands.
#include "io/ports/pg/pg.hpp"

#include <map>
#include <memory>

#include "control/cli.hpp"
#include "graph/rcu.hpp"
#include "graph/registry.hpp"
#include "graph/thread.hpp"
#include "infra/error.hpp"
#include "infra/tsc.hpp"
#include "io/eal.hpp"
#include "io/if_ops.hpp"
#include "io/input.hpp"
#include "io/interface.hpp"
#include "io/mbuf_free.hpp"
#include "io/ports/pg/stream.hpp"
#include "io/rx_queue.hpp"

namespace vp {

namespace {

using StreamList = std::vector<Stream*>;

class PgPort : public Port {
 public:
  explicit PgPort(std::string create_cmd) : create_cmd_(std::move(create_cmd)) {}
  ~PgPort() override { delete streams_.load(); }
  NodeId input_node() const override { return Registry::get().id("pg-input"); }
  uint16_t rx(Thread&, uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t tx(Thread&, rte_mbuf** p, uint16_t n) override {
    free_bulk(p, n);
    return n;
  }
  const char* kind() const override { return "pg"; }
  std::string create_command() const override { return create_cmd_; }
  std::string driver() const override { return "packet-generator"; }
  const StreamList* streams() const { return streams_.load(std::memory_order_acquire); }
  void publish(StreamList* l) {
    const StreamList* old = streams_.exchange(l, std::memory_order_acq_rel);
    if (old) rcu().defer([old] { delete old; });
  }

 private:
  std::string create_cmd_;
  std::atomic<const StreamList*> streams_{new StreamList};
};

std::map<std::string, std::unique_ptr<Stream>> g_streams;

uint32_t pg_input(Thread& t, NodeRt& self) {
  auto* rl = static_cast<const RxList*>(self.rx.load(std::memory_order_acquire));
  if (!rl) return 0;
  uint32_t total = 0;
  rte_mbuf* pkts[256];
  uint64_t now = rdtsc();
  for (uint32_t i = 0; i < rl->n; i++) {
    auto* pg = static_cast<PgPort*>(rl->q[i].port);
    for (Stream* s : *pg->streams()) {
      if (!s->enabled.load(std::memory_order_relaxed)) continue;
      uint32_t n = s->generate(eal().pool, pkts, t.vsize(), now);
      if (!n) continue;
      deliver_rx(t, self, rl->q[i].sw_if, pkts, n, s->node);
      total += n;
    }
  }
  return total;
}

NodeRegistration reg{{.name = "pg-input", .input = pg_input}};

PgPort& pg_of(Interface& i) {
  auto* pg = dynamic_cast<PgPort*>(i.port.get());
  if (!pg) fail("{} is not a packet-generator interface", i.name);
  return *pg;
}

void republish(PgPort& pg, uint32_t sw_if) {
  auto* l = new StreamList;
  for (auto& [n, s] : g_streams)
    if (s->sw_if == sw_if) l->push_back(s.get());
  pg.publish(l);
}

Stream& stream(const std::string& name) {
  auto it = g_streams.find(name);
  if (it == g_streams.end()) fail("no packet-generator stream '{}' (see 'show packet-generator')", name);
  return *it->second;
}

void set_enabled(Args& a, bool on) {
  std::vector<Stream*> which;
  if (a.done())
    for (auto& [n, s] : g_streams) which.push_back(s.get());
  else
    which.push_back(&stream(a.word("stream")));
  a.end();
  for (Stream* s : which) {
    if (on) {
      s->enabled.store(false);
      rcu().synchronize();  // the generator thread is not inside generate()
      s->reset();
    }
    s->enabled.store(on);
  }
}

void stream_new(Args& a, Out& o) {
  StreamSpec spec = parse_stream(a.tokens(), a.pos());
  if (g_streams.count(spec.name)) fail("packet-generator stream '{}' already exists", spec.name);
  Interface* pgif = nullptr;
  if (spec.interface.empty()) {
    for (auto* i : ifs().all())
      if (dynamic_cast<PgPort*>(i->port.get())) {
        pgif = i;
        break;
      }
    if (!pgif) fail("no packet-generator interface: create one with 'create packet-generator interface pg0'");
  } else {
    pgif = &ifs().get(spec.interface);
  }
  PgPort& pg = pg_of(*pgif);
  NodeId node = kNoNode;
  if (!spec.node.empty()) {
    const NodeDef* d = Registry::get().find(spec.node);
    if (!d || d->input) fail("'{}' is not a node a stream can feed", spec.node);
    node = d->id;
  }
  auto s = std::make_unique<Stream>(std::move(spec));
  s->node = node;
  s->sw_if = pgif->index;
  std::string name = s->spec().name;
  g_streams[name] = std::move(s);
  republish(pg, pgif->index);
  o.line("{}", name);
}

}  // namespace

uint32_t ops::create_pg(uint32_t n) {
  if (n > 65535) fail("pg interface number {} is out of range (0-65535)", n);
  std::string name = fmt::format("pg{}", n);
  if (ifs().name_taken(name)) fail("{} already exists", name);
  Interface& i = ifs().add(name, std::make_unique<PgPort>("create packet-generator interface " + name), Mac{});
  // A MAC from the index, so that benchmark streams can be written for it.
  i.mac.b = {0x02, 0xfe, 0x70, 0x67, uint8_t(i.index >> 8), uint8_t(i.index)};
  ifs().publish(i);
  return i.index;
}

namespace {

CliRegistration cmds[] = {
    {{"create packet-generator interface", "create packet-generator interface pg<n>",
      "a packet-generator interface (streams enter the graph through it)",
      [](Args& a, Out& o) {
        auto name = a.word("interface name");
        a.end();
        if (name.rfind("pg", 0) != 0) fail("packet-generator interfaces are named pg<n>, not '{}'", name);
        uint32_t idx = ops::create_pg(uint32_t(parse_uint(name.substr(2), 65535, "pg interface number")));
        o.line("{}", ifs().at(idx)->name);
      }}},
    {{"delete packet-generator interface", "delete packet-generator interface <if>",
      "remove a pg interface and its streams",
      [](Args& a, Out&) {
        Interface& i = a.iface();
        a.end();
        pg_of(i);
        uint32_t idx = i.index;
        ifs().remove(idx);  // waits until no thread polls it
        std::erase_if(g_streams, [idx](auto& kv) { return kv.second->sw_if == idx; });
      }}},
    {{"packet-generator new",
      "packet-generator new name <s> [interface <pg-if>] [node <node>] size <n>[-<m>] [count <n>] [rate <pps>] "
      "[dst-list <file>] "
      "data { ... }",
      "define a stream (VPP's pg data syntax, or hex)", stream_new}},
    {{"packet-generator enable-stream", "packet-generator enable-stream [<name>]", "start a stream (all when no name)",
      [](Args& a, Out&) { set_enabled(a, true); }}},
    {{"packet-generator disable-stream", "packet-generator disable-stream [<name>]", "stop a stream (all when no name)",
      [](Args& a, Out&) { set_enabled(a, false); }}},
    {{"packet-generator delete", "packet-generator delete <name>", "remove a stream",
      [](Args& a, Out&) {
        Stream& s = stream(a.word("stream"));
        a.end();
        uint32_t sw_if = s.sw_if;
        std::string name = s.spec().name;
        Interface* i = ifs().at(sw_if);
        s.enabled.store(false);
        auto owned = std::move(g_streams[name]);
        g_streams.erase(name);
        if (i) republish(pg_of(*i), sw_if);
        rcu().synchronize();  // nobody iterates the old list any more
      }}},
    {{"show packet-generator", "show packet-generator", "streams and how much they sent",
      [](Args& a, Out& o) {
        a.end();
        nlohmann::json arr = nlohmann::json::array();
        o.line("{:<16}{:<10}{:<10}{:>14}{:>14}{:>12}", "Name", "Interface", "Enabled", "Sent", "Count", "Rate");
        for (auto& [n, s] : g_streams) {
          Interface* i = ifs().at(s->sw_if);
          auto& sp = s->spec();
          o.line("{:<16}{:<10}{:<10}{:>14}{:>14}{:>12}", n, i ? i->name : "?", s->enabled ? "yes" : "no",
                 s->sent.load(), sp.count, sp.rate);
          arr.push_back({{"name", n},
                         {"interface", i ? i->name : ""},
                         {"enabled", s->enabled.load()},
                         {"sent", s->sent.load()},
                         {"count", sp.count},
                         {"rate", sp.rate},
                         {"size_min", sp.size_min},
                         {"size_max", sp.size_max}});
        }
        if (o.json) o.j = arr;
      }}},
};

RunningConfigRegistration rc{20, [](std::vector<std::string>& out) {
                               for (auto& [n, s] : g_streams) out.push_back(s->spec().text);
                             }};

}  // namespace
}  // namespace vp
