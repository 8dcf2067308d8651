// Neighbors: the API of the neighbour table (neighbors.proto).
#include "api/convert.hpp"
#include "api/services.hpp"
#include "io/interface.hpp"
#include "net/arp/neighbor.hpp"
#include "net/ip/ip_ops.hpp"
#include "vplane/v1/neighbors.grpc.pb.h"

namespace vp::api {

namespace {
using grpc::ServerContext;
using grpc::Status;

class NeighborsSvc final : public pb::Neighbors::Service {
 public:
  explicit NeighborsSvc(Ctx& c) : c_(c) {}
  Status Set(ServerContext*, const pb::NeighborRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      const auto& n = q->neighbor();
      IpAddr ip = ip_from(n.ip(), "neighbour");
      if (q->del()) return ops::neighbor_del(iface(n.sw_if_index()).index, ip);
      ops::neighbor_add(iface(n.sw_if_index()).index, ip, mac_from(n.mac()));
    });
  }
  Status List(ServerContext*, const pb::ListNeighborsRequest*, pb::ListNeighborsReply* r) override {
    return c_.on_main([&] {
      for (auto& [k, e] : neighbors().all()) {
        auto* n = r->add_neighbors();
        n->set_sw_if_index(k.first);
        n->set_ip(ip_bytes(k.second));
        n->set_mac(mac_bytes(e.mac));
        n->set_is_static(e.is_static);
      }
    });
  }

 private:
  Ctx& c_;
};

ServiceRegistration reg{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<NeighborsSvc>(c); }};
}  // namespace

}  // namespace vp::api
