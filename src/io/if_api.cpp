// Interfaces: the API of the interface model (interfaces.proto), over the
// same typed operations as the CLI. Create names the port kinds that
// existed when the API was one file; kinds added since (tunnels,
// sub-interfaces) are created through their own feature's service.
#include "api/convert.hpp"
#include "api/services.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/af_packet/af_packet.hpp"
#include "io/ports/af_xdp/af_xdp.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "io/ports/memif/memif.hpp"
#include "io/ports/null_sink/null_sink.hpp"
#include "io/ports/pg/pg.hpp"
#include "io/ports/tap/tap.hpp"
#include "io/ports/vhost_user/vhost_user.hpp"
#include "net/fib/fib.hpp"
#include "net/ip/ip_ops.hpp"
#include "vplane/v1/interfaces.grpc.pb.h"

namespace vp::api {

namespace {
using grpc::ServerContext;
using grpc::Status;

class InterfacesSvc final : public pb::Interfaces::Service {
 public:
  explicit InterfacesSvc(Ctx& c) : c_(c) {}
  Status List(ServerContext*, const pb::ListInterfacesRequest*, pb::ListInterfacesReply* r) override {
    return c_.on_main([&] {
      for (auto* i : ifs().all()) {
        auto* x = r->add_interfaces();
        x->set_sw_if_index(i->index);
        x->set_name(i->name);
        x->set_kind(i->port->kind());
        x->set_admin_up(i->admin_up);
        x->set_link_up(i->port && i->port->link_up());
        x->set_mtu(i->mtu);
        x->set_mac(mac_bytes(i->mac));
        for (auto& p : i->addrs) prefix_to(p, x->add_addresses());
        x->set_ip4_table(fib4().id_of(i->fib4));
        x->set_ip6_table(fib6().id_of(i->fib6));
        if (i->ip6_on) x->set_ip6_link_local(ip_bytes(i->ip6_ll));
        IfCounters k = ifs().counters(i->index);
        auto* c = x->mutable_counters();
        c->set_rx_packets(k.rx_packets);
        c->set_rx_bytes(k.rx_bytes);
        c->set_tx_packets(k.tx_packets);
        c->set_tx_bytes(k.tx_bytes);
        c->set_drops(k.drops);
        c->set_tx_errors(k.tx_errors);
        c->set_rx_missed(k.rx_errors);
        c->set_punts(k.punts);
      }
    });
  }
  Status Create(ServerContext*, const pb::CreateInterfaceRequest* q, pb::CreateInterfaceReply* r) override {
    return c_.on_main([&] {
      uint32_t idx;
      switch (q->kind_case()) {
        case pb::CreateInterfaceRequest::kLoopback:
          idx = ops::create_loopback(q->loopback().mac().empty() ? std::nullopt
                                                                 : std::optional<Mac>(mac_from(q->loopback().mac())));
          break;
        case pb::CreateInterfaceRequest::kNullSink:
          idx = ops::create_null_sink(q->null_sink().instance());
          break;
        case pb::CreateInterfaceRequest::kAfPacket:
          idx = ops::create_af_packet(q->af_packet().host_if());
          break;
        case pb::CreateInterfaceRequest::kAfXdp: {
          ops::AfXdpArgs a;
          a.host_if = q->af_xdp().host_if();
          a.name = q->af_xdp().name();
          if (q->af_xdp().rx_queues() > 64) fail("rx_queues {} is out of range (1-64)", q->af_xdp().rx_queues());
          a.rx_queues = uint16_t(q->af_xdp().rx_queues() ? q->af_xdp().rx_queues() : 1);
          idx = ops::create_af_xdp(a);
          break;
        }
        case pb::CreateInterfaceRequest::kTap: {
          const auto& t = q->tap();
          TapArgs a;
          a.id = t.has_id() ? t.id() : UINT32_MAX;
          a.host_if = t.host_if_name();
          a.host_ns = t.host_ns();
          if (t.has_host_ip4()) a.host_ip4 = prefix_from(t.host_ip4());
          if (t.has_host_ip6()) a.host_ip6 = prefix_from(t.host_ip6());
          a.host_mtu = t.host_mtu();
          if (!t.host_mac().empty()) a.host_mac = mac_from(t.host_mac());
          a.gso = t.gso();
          idx = ops::create_tap(a);
          break;
        }
        case pb::CreateInterfaceRequest::kMemif: {
          ops::MemifArgs a;
          a.id = q->memif().id();
          a.socket_id = q->memif().socket_id();
          a.master = q->memif().master();
          if (q->memif().rx_queues() > 64) fail("rx_queues {} is out of range (1-64)", q->memif().rx_queues());
          a.rx_queues = uint16_t(q->memif().rx_queues() ? q->memif().rx_queues() : 1);
          if (q->memif().ring_size()) a.ring_size = q->memif().ring_size();
          idx = ops::create_memif(a);
          break;
        }
        case pb::CreateInterfaceRequest::kVhostUser:
          idx = ops::create_vhost_user(q->vhost_user().socket(), q->vhost_user().server());
          break;
        case pb::CreateInterfaceRequest::kPg:
          idx = ops::create_pg(q->pg().instance());
          break;
        default:
          fail("say which kind of interface to create");
      }
      r->set_sw_if_index(idx);
      r->set_name(ifs().at(idx)->name);
    });
  }
  Status Delete(ServerContext*, const pb::InterfaceRequest* q, pb::Empty*) override {
    return c_.on_main([&] { ops::delete_interface(iface(q->sw_if_index()).index); });
  }
  Status SetAdminState(ServerContext*, const pb::SetAdminStateRequest* q, pb::Empty*) override {
    return c_.on_main([&] { ops::set_state(iface(q->sw_if_index()).index, q->up()); });
  }
  Status SetMtu(ServerContext*, const pb::SetMtuRequest* q, pb::Empty*) override {
    return c_.on_main([&] { ops::set_mtu(iface(q->sw_if_index()).index, q->mtu()); });
  }
  Status SetMac(ServerContext*, const pb::SetMacRequest* q, pb::Empty*) override {
    return c_.on_main([&] { ops::set_mac(iface(q->sw_if_index()).index, mac_from(q->mac())); });
  }
  Status SetAddress(ServerContext*, const pb::InterfaceAddressRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      if (!q->has_prefix()) fail("say which prefix");
      ops::set_interface_address(iface(q->sw_if_index()).index, prefix_from(q->prefix()), q->del());
    });
  }
  Status SetTable(ServerContext*, const pb::SetInterfaceTableRequest* q, pb::Empty*) override {
    return c_.on_main([&] { ops::set_interface_ip_table(iface(q->sw_if_index()).index, q->ip6(), q->table()); });
  }
  Status SetIp6(ServerContext*, const pb::SetIp6Request* q, pb::Empty*) override {
    return c_.on_main([&] { ops::ip6_enable(iface(q->sw_if_index()).index, q->enable()); });
  }
  Status SetXconnect(ServerContext*, const pb::SetXconnectRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      uint32_t i = iface(q->sw_if_index()).index;
      if (q->has_peer_sw_if_index())
        ops::set_xconnect(i, iface(q->peer_sw_if_index()).index);
      else
        ops::set_l3(i);
    });
  }
  Status SetProxyArp(ServerContext*, const pb::SetProxyArpRequest* q, pb::Empty*) override {
    return c_.on_main([&] { ops::set_proxy_arp(iface(q->sw_if_index()).index, q->enable()); });
  }
  Status SetRxPlacement(ServerContext*, const pb::SetRxPlacementRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      if (q->queue() > 65535) fail("queue {} is out of range", q->queue());
      ops::set_rx_placement(iface(q->sw_if_index()).index, uint16_t(q->queue()), q->worker());
    });
  }
  Status SetFeature(ServerContext*, const pb::SetFeatureRequest* q, pb::Empty*) override {
    return c_.on_main([&] { ops::set_feature(iface(q->sw_if_index()).index, q->arc(), q->feature(), q->enable()); });
  }
  Status AddMemifSocket(ServerContext*, const pb::MemifSocket* q, pb::Empty*) override {
    return c_.on_main([&] { ops::create_memif_socket(q->id(), q->filename()); });
  }
  Status DelMemifSocket(ServerContext*, const pb::MemifSocket* q, pb::Empty*) override {
    return c_.on_main([&] { ops::delete_memif_socket(q->id()); });
  }
  Status ListMemifSockets(ServerContext*, const pb::Empty*, pb::ListMemifSocketsReply* r) override {
    return c_.on_main([&] {
      for (auto& [id, path] : ops::memif_sockets()) {
        auto* s = r->add_sockets();
        s->set_id(id);
        s->set_filename(path);
      }
    });
  }

 private:
  Ctx& c_;
};

ServiceRegistration reg{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<InterfacesSvc>(c); }};
}  // namespace

}  // namespace vp::api
