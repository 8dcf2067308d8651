// Tables and Routes (batches, the client stream, paged dump, lookup): the
// API of routing (routes.proto), over the same typed operations as the CLI.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "api/services.hpp"
#include "net/ip/route_batch_api.hpp"
#include "vplane/v1/routes.grpc.pb.h"

namespace vp::api {

namespace {
using grpc::ServerContext;
using grpc::Status;

template <class K>
void show_to(const typename Fib<K>::ShowEntry& e, uint32_t table, pb::Route* r) {
  r->set_table(table);
  prefix_to(e.prefix, r->mutable_prefix());
  r->set_kind(kind_to(e.kind));
  r->set_source(source_to(e.src));
  for (auto& p : e.paths) {
    auto* x = r->add_paths();
    if (p.has_nh) x->set_next_hop(ip_bytes(p.nh));
    if (p.sw_if != ~0u) x->set_sw_if_index(p.sw_if);
    x->set_weight(p.weight);
  }
}

// A dump walks a snapshot of the table's prefixes taken by its first page,
// so that paging a million routes costs one sort, not one per page. Routes
// deleted meanwhile are skipped; routes added meanwhile are not seen.
struct Snapshot {
  std::vector<Prefix> prefixes;
  std::chrono::steady_clock::time_point used;
};

class TablesSvc final : public pb::Tables::Service {
 public:
  explicit TablesSvc(Ctx& c) : c_(c) {}
  Status Add(ServerContext*, const pb::TableRequest* q, pb::Empty*) override {
    return c_.on_main([&] { ops::ip_table_add(q->ip6(), q->table()); });
  }
  Status Del(ServerContext*, const pb::TableRequest* q, pb::Empty*) override {
    return c_.on_main([&] { ops::ip_table_del(q->ip6(), q->table()); });
  }
  Status List(ServerContext*, const pb::ListTablesRequest*, pb::ListTablesReply* r) override {
    return c_.on_main([&] {
      for (uint32_t id : fib4().table_ids()) r->add_ip4(id);
      for (uint32_t id : fib6().table_ids()) r->add_ip6(id);
    });
  }

 private:
  Ctx& c_;
};

class RoutesSvc final : public pb::Routes::Service {
 public:
  explicit RoutesSvc(Ctx& c) : c_(c) {}
  Status Apply(ServerContext*, const pb::RouteBatch* b, pb::BatchReply* r) override {
    return c_.on_main([&] { apply_batch(*b, r); });
  }
  // Three stages at once: this thread reads and decodes batch n+1 while the
  // main thread applies batch n and a writer thread acknowledges batch n-1.
  // A batch is acknowledged only after it was applied, so a client gone
  // mid-stream loses nothing it saw acknowledged.
  Status Stream(ServerContext*, grpc::ServerReaderWriter<pb::BatchReply, pb::RouteBatch>* s) override {
    struct Pending {
      DecodedBatch batch;  // freed by the writer: the main thread only applies
      std::future<void> done;
      pb::BatchReply reply;
    };
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::unique_ptr<Pending>> q;
    bool reading = true, writer_failed = false;
    Status st = Status::OK;
    std::thread writer([&] {
      for (;;) {
        std::unique_ptr<Pending> p;
        {
          std::unique_lock g(mu);
          cv.wait(g, [&] { return !q.empty() || !reading; });
          if (q.empty()) return;
          p = std::move(q.front());
          q.pop_front();
        }
        cv.notify_all();
        p->done.wait();
        if (!writer_failed && !s->Write(p->reply)) writer_failed = true;
      }
    });
    pb::RouteBatch b;
    while (!c_.stopping && s->Read(&b)) {
      auto p = std::make_unique<Pending>();
      p->batch = decode_batch(b);
      try {
        p->done = c_.exec.submit([p = p.get()] { apply_batch(p->batch, &p->reply); });
      } catch (const Error& e) {
        st = {grpc::StatusCode::UNAVAILABLE, e.what()};
        break;
      }
      std::unique_lock g(mu);
      cv.wait(g, [&] { return q.size() < kInFlight; });
      q.push_back(std::move(p));
      cv.notify_all();
    }
    {
      std::lock_guard g(mu);
      reading = false;
    }
    cv.notify_all();
    writer.join();
    return st;
  }
  Status Dump(ServerContext*, const pb::RouteDumpRequest* q, pb::RouteDumpReply* r) override {
    return c_.on_main([&] { q->ip6() ? dump(fib6(), *q, r) : dump(fib4(), *q, r); });
  }
  Status Lookup(ServerContext*, const pb::RouteLookupRequest* q, pb::Route* r) override {
    bool found = false;
    Status st = c_.on_main([&] {
      IpAddr a = ip_from(q->address(), "address");
      if (a.v6) {
        auto e = fib6().lookup_show(fib6().index_of(q->table()), a);
        if ((found = e.has_value())) show_to<u128>(*e, q->table(), r);
      } else {
        auto e = fib4().lookup_show(fib4().index_of(q->table()), a);
        if ((found = e.has_value())) show_to<uint32_t>(*e, q->table(), r);
      }
    });
    if (st.ok() && !found) return {grpc::StatusCode::NOT_FOUND, "no route"};
    return st;
  }

 private:
  template <class K>
  void dump(Fib<K>& f, const pb::RouteDumpRequest& q, pb::RouteDumpReply* r) {
    uint32_t fib = f.index_of(q.table());
    uint32_t page = q.page_size() ? std::min<uint32_t>(q.page_size(), 100000) : 1000;
    auto now = std::chrono::steady_clock::now();
    std::erase_if(snaps_, [&](auto& kv) { return now - kv.second.used > std::chrono::minutes(1); });
    uint64_t id, off;
    if (q.page_token().empty()) {
      id = ++next_snap_;
      Snapshot& s = snaps_[id];
      for (auto& e : f.dump(fib)) s.prefixes.push_back(e.prefix);
      off = 0;
    } else {
      if (q.page_token().size() != 16) fail("bad page_token");
      std::memcpy(&id, q.page_token().data(), 8);
      std::memcpy(&off, q.page_token().data() + 8, 8);
      if (!snaps_.count(id)) fail("page_token expired (a dump must continue within a minute): start again");
    }
    Snapshot& s = snaps_[id];
    s.used = now;
    r->set_total(s.prefixes.size());
    uint64_t end = std::min<uint64_t>(s.prefixes.size(), off + page);
    for (uint64_t k = off; k < end; k++) {
      auto e = f.dump(fib, &s.prefixes[k]);
      if (!e.empty()) show_to<K>(e[0], q.table(), r->add_routes());
    }
    if (end < s.prefixes.size()) {
      std::string tok(16, '\0');
      std::memcpy(tok.data(), &id, 8);
      std::memcpy(tok.data() + 8, &end, 8);
      r->set_next_page_token(tok);
    } else {
      snaps_.erase(id);
    }
  }
  static constexpr size_t kInFlight = 4;  // batches decoded ahead of the main thread
  Ctx& c_;
  std::map<uint64_t, Snapshot> snaps_;  // main thread only
  uint64_t next_snap_ = 0;
};

ServiceRegistration reg_tables{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<TablesSvc>(c); }};
ServiceRegistration reg_routes{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<RoutesSvc>(c); }};
}  // namespace

}  // namespace vp::api
