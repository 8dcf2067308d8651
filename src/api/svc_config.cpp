// System, Interfaces, Tables, Neighbors and Config: thin translations onto
// the typed operations the CLI uses.
#include "api/convert.hpp"
#include "api/services.hpp"
#include "control/cli.hpp"
#include "graph/threads.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "net/arp/neighbor.hpp"
#include "net/ip/icmp_req.hpp"
#include "net/ip/ip_ops.hpp"
#include "vplane/v1/vplane.grpc.pb.h"

namespace vp::api {

namespace {
using grpc::ServerContext;
using grpc::Status;

class SystemSvc final : public pb::System::Service {
 public:
  explicit SystemSvc(Ctx& c) : c_(c) {}
  Status Version(ServerContext*, const pb::VersionRequest*, pb::VersionReply* r) override {
    r->set_version(VPLANE_VERSION);
    r->set_api_version(1);
    return c_.on_main([&] { r->set_workers(uint32_t(threads().size() - 1)); });
  }
  Status Ping(ServerContext*, const pb::PingRequest* q, pb::PingReply* r) override {
    return c_.on_main([&] { r->set_cookie(q->cookie()); });
  }
  Status SetVectorSize(ServerContext*, const pb::SetVectorSizeRequest* q, pb::Empty*) override {
    return c_.on_main([&] { threads().set_vector_size(q->size()); });
  }
  Status SetIdleSleep(ServerContext*, const pb::SetIdleSleepRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      if (q->max_us() > 1000000) fail("idle sleep {} us is out of range (0-1000000)", q->max_us());
      threads().set_idle_sleep(q->max_us());
    });
  }
  Status SetIcmpRateLimit(ServerContext*, const pb::SetIcmpRateLimitRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      if (q->per_second() > 10000000) fail("ICMP rate {} is out of range (0-10000000)", q->per_second());
      g_icmp_rate.store(q->per_second());
    });
  }
  Status Show(ServerContext*, const pb::ShowRequest* q, pb::ShowReply* r) override {
    return c_.on_main([&] {
      const std::string& c = q->command();
      if (c.rfind("show ", 0) != 0 || c.find_first_of("\n\r") != std::string::npos)
        fail("'{}' is not a show command (Show runs read-only 'show ...' commands)", c);
      r->set_json(run_cli(c, true));
    });
  }
  Status ClearCounters(ServerContext*, const pb::ClearCountersRequest* q, pb::Empty*) override {
    return c_.on_main([&] {
      if (q->interfaces()) ifs().clear_counters();
      if (q->runtime()) run_cli("clear runtime", false);
      if (q->errors()) run_cli("clear errors", false);
    });
  }

 private:
  Ctx& c_;
};

Interface& iface(uint32_t sw_if) {
  Interface* i = ifs().at(sw_if);
  if (!i) fail("no interface with index {}", sw_if);
  return *i;
}

class InterfacesSvc final : public pb::Interfaces::Service {
 public:
  explicit InterfacesSvc(Ctx& c) : c_(c) {}
  Status List(ServerContext*, const pb::ListInterfacesRequest*, pb::ListInterfacesReply* r) override {
    return c_.on_main([&] {
      for (auto* i : ifs().all()) {
        auto* x = r->add_interfaces();
        x->set_sw_if_index(i->index);
        x->set_name(i->name);
        x->set_kind(kind_name(i->kind));
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

class ConfigSvc final : public pb::Config::Service {
 public:
  explicit ConfigSvc(Ctx& c) : c_(c) {}
  Status Running(ServerContext*, const pb::RunningConfigRequest*, pb::RunningConfigReply* r) override {
    return c_.on_main([&] {
      for (auto& l : running_config()) r->add_commands(l);
    });
  }

 private:
  Ctx& c_;
};
}  // namespace

std::unique_ptr<grpc::Service> make_system(Ctx& c) { return std::make_unique<SystemSvc>(c); }
std::unique_ptr<grpc::Service> make_interfaces(Ctx& c) { return std::make_unique<InterfacesSvc>(c); }
std::unique_ptr<grpc::Service> make_tables(Ctx& c) { return std::make_unique<TablesSvc>(c); }
std::unique_ptr<grpc::Service> make_neighbors(Ctx& c) { return std::make_unique<NeighborsSvc>(c); }
std::unique_ptr<grpc::Service> make_config(Ctx& c) { return std::make_unique<ConfigSvc>(c); }

}  // namespace vp::api
