// Lcp: Linux mirrors (lcp/lcp.hpp), the same operations as "lcp ..." commands.
#include "api/services.hpp"
#include "io/interface.hpp"
#include "lcp/lcp.hpp"
#include "vplane/v1/vplane.grpc.pb.h"

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
}  // namespace

std::unique_ptr<grpc::Service> make_lcp(Ctx& c) { return std::make_unique<LcpSvc>(c); }

}  // namespace vp::api
