// Lcp: Linux mirrors (lcp/lcp.hpp), the same operations as "lcp ..." commands.
#include "api/services.hpp"
#include "features/lcp/fpm.hpp"
#include "features/lcp/lcp.hpp"
#include "features/lcp/netlink.hpp"
#include "io/interface.hpp"
#include "vplane/v1/lcp.grpc.pb.h"

namespace vp::api {

namespace pb = ::vplane::v1;

namespace {
using grpc::ServerContext;
using grpc::Status;

class LcpSvc final : public pb::Lcp::Service {
 public:
  explicit LcpSvc(Ctx& c) : c_(c) {}
  Status Create(ServerContext*, const pb::LcpPair* q, pb::Empty*) override {
    return c_.on_main([&] { ops::lcp_create(q->sw_if_index(), q->host_if(), q->netns()); });
  }
  Status Delete(ServerContext*, const pb::InterfaceRequest* q, pb::Empty*) override {
    return c_.on_main([&] { ops::lcp_delete(q->sw_if_index()); });
  }
  Status SetDefaultNetns(ServerContext*, const pb::LcpNetns* q, pb::Empty*) override {
    return c_.on_main([&] { ops::lcp_set_default_netns(q->netns()); });
  }
  Status SetNetlink(ServerContext*, const pb::LcpNetlinkConfig* q, pb::Empty*) override {
    return c_.on_main([&] {
      ops::lcp_set_netlink({.rcvbuf = q->buffer(),
                            .batch = q->batch(),
                            .delay_us = q->has_delay_us() ? q->delay_us() : nl_config().delay_us});
    });
  }
  Status SetFpm(ServerContext*, const pb::FpmConfig* q, pb::Empty*) override {
    return c_.on_main([&] {
      FpmConfig c;
      c.on = q->on();
      if (!q->listen().empty()) c.listen = q->listen();
      c.netns = q->netns().empty() ? ops::lcp_default_netns() : q->netns();
      if (q->stale_timeout()) c.stale_s = q->stale_timeout();
      fpm_set(c);
    });
  }
  Status GetFpm(ServerContext*, const pb::Empty*, pb::FpmStatus* r) override {
    return c_.on_main([&] {
      const FpmConfig& c = fpm_config();
      auto* x = r->mutable_config();
      x->set_on(c.on);
      x->set_listen(c.listen);
      x->set_netns(c.netns);
      x->set_stale_timeout(c.stale_s);
      if (const FpmServer* s = fpm_server()) {
        const FpmStats& st = s->stats();
        r->set_connected(s->connected());
        r->set_connections(st.connections);
        r->set_messages(st.messages);
        r->set_routes_applied(st.routes);
        r->set_replaces(st.replaces);
        r->set_nexthops(st.nexthops);
        r->set_stale_removed(st.stale_removed);
        r->set_routes(s->routes());
      }
    });
  }
  Status List(ServerContext*, const pb::Empty*, pb::ListLcpReply* r) override {
    return c_.on_main([&] {
      r->set_default_netns(ops::lcp_default_netns());
      for (auto& p : ops::lcp_pairs()) {
        auto* x = r->add_pairs();
        x->set_sw_if_index(p.phy);
        x->set_host_if(p.host_if);
        x->set_netns(p.netns);
        x->set_mirror_sw_if_index(p.mirror);
        IfCounters c = ifs().counters(p.mirror);
        x->set_punted(c.tx_packets);
        x->set_injected(c.rx_packets);
      }
    });
  }

 private:
  Ctx& c_;
};
ServiceRegistration reg{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<LcpSvc>(c); }};
}  // namespace

}  // namespace vp::api
