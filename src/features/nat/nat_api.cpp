// Nat: NAT44's gRPC service (proto/vplane/v1/nat.proto), the typed
// operations of nat_ops.hpp that the `nat44` commands call, and the same
// views as their show commands.
#include <rte_byteorder.h>

#include <algorithm>
#include <string>

#include "api/convert.hpp"
#include "api/services.hpp"
#include "features/fw/fw_sessions.hpp"
#include "features/nat/nat_ops.hpp"
#include "features/nat/nat_sessions.hpp"
#include "features/nat/nat_state.hpp"
#include "io/interface.hpp"
#include "vplane/v1/nat.grpc.pb.h"

namespace vp::api {

namespace pb = ::vplane::v1;

namespace {
using grpc::ServerContext;
using grpc::Status;
using namespace vp::nat;

// A ListSessions page holds at most this many: it is built on the main
// thread, and at about 100 bytes a session it stays well under gRPC's
// default 4 MB message limit.
constexpr uint32_t kMaxPage = 10000;

uint32_t ip4_from(const std::string& b, const char* what) {
  const IpAddr a = ip_from(b, what);
  if (a.v6) fail("{}: NAT44 addresses are IPv4 (4 bytes)", what);
  return a.v4_host();
}

std::string ip4_bytes(uint32_t host) {
  const uint32_t be = rte_cpu_to_be_32(host);
  return std::string(reinterpret_cast<const char*>(&be), 4);
}

uint16_t port_from(uint32_t p, const char* what) {
  if (p > 65535) fail("{} {} above 65535", what, p);
  return uint16_t(p);
}

uint32_t index_of(const std::string& ifname) {
  const Interface* i = ifs().find(ifname);
  if (!i) fail("no interface {}", ifname);
  return i->index;
}

Pool pool_from(const pb::Nat44Pool& q) {
  Pool p;
  p.lo = ip4_from(q.first(), "first");
  p.hi = q.last().empty() ? p.lo : ip4_from(q.last(), "last");
  if (q.has_tenant_vrf()) p.tenant_vrf = q.tenant_vrf();
  p.twice_nat = q.twice_nat();
  return p;
}

StaticMapping static_from(const pb::Nat44StaticMapping& q) {
  StaticMapping m;
  if (q.protocol() > 255) fail("protocol {} above 255", q.protocol());
  m.proto = uint8_t(q.protocol());
  m.identity = q.identity();
  m.twice_nat = q.twice_nat();
  if (q.has_external_sw_if_index()) {
    if (!q.external_address().empty()) fail("give external_address or external_sw_if_index, not both");
    m.external_if = iface(q.external_sw_if_index()).name;
  } else {
    m.external = ip4_from(q.external_address(), "external_address");
  }
  m.external_port = port_from(q.external_port(), "external_port");
  if (m.identity) {
    if (!q.local_address().empty() || q.local_port())
      fail("an identity mapping gives only its external side: no local_address or local_port");
    // What `nat44 add identity mapping` makes of its line.
    m.local = m.external;
    m.local_port = m.external_port;
  } else {
    m.local = ip4_from(q.local_address(), "local_address");
    m.local_port = port_from(q.local_port(), "local_port");
  }
  return m;
}

void static_to(const StaticMapping& m, pb::Nat44StaticMapping* x) {
  x->set_protocol(m.proto);
  if (!m.identity) {
    x->set_local_address(ip4_bytes(m.local));
    x->set_local_port(m.local_port);
  }
  if (m.external_if.empty())
    x->set_external_address(ip4_bytes(m.external));
  else
    x->set_external_sw_if_index(index_of(m.external_if));
  x->set_external_port(m.external_port);
  x->set_twice_nat(m.twice_nat);
  x->set_identity(m.identity);
}

void port_range_to(uint16_t lo, uint16_t hi, pb::Nat44PortRange* x) {
  x->set_first(lo);
  x->set_last(hi);
}

class NatSvc final : public pb::Nat::Service {
 public:
  explicit NatSvc(Ctx& c) : c_(c) {}

  Status AddPool(ServerContext*, const pb::Nat44Pool* q, pb::Empty*) override {
    return c_.on_main([&] { add_pool(pool_from(*q), false); });
  }
  Status DeletePool(ServerContext*, const pb::Nat44Pool* q, pb::Empty*) override {
    return c_.on_main([&] { add_pool(pool_from(*q), true); });
  }
  Status AddInterfaceAddress(ServerContext*, const pb::InterfaceRequest* q, pb::Empty*) override {
    return c_.on_main([&] { add_interface_address(iface(q->sw_if_index()).name, false); });
  }
  Status DeleteInterfaceAddress(ServerContext*, const pb::InterfaceRequest* q, pb::Empty*) override {
    return c_.on_main([&] { add_interface_address(iface(q->sw_if_index()).name, true); });
  }
  Status SetInterface(ServerContext*, const pb::Nat44Interface* q, pb::Empty*) override {
    return c_.on_main([&] {
      const IfRole r{.in = q->inside(), .out = q->outside(), .output_feature = q->output_feature()};
      set_interface(iface(q->sw_if_index()).name, r, q->del());
    });
  }
  Status SetPortRange(ServerContext*, const pb::Nat44PortRange* q, pb::Empty*) override {
    return c_.on_main([&] { set_port_range(port_from(q->first(), "first"), port_from(q->last(), "last")); });
  }
  Status AddStaticMapping(ServerContext*, const pb::Nat44StaticMapping* q, pb::Empty*) override {
    return c_.on_main([&] { add_static(static_from(*q), false); });
  }
  Status DeleteStaticMapping(ServerContext*, const pb::Nat44StaticMapping* q, pb::Empty*) override {
    return c_.on_main([&] { add_static(static_from(*q), true); });
  }
  Status SetForwarding(ServerContext*, const pb::Nat44Forwarding* q, pb::Empty*) override {
    return c_.on_main([&] { set_forwarding(q->enable()); });
  }
  Status SetTimeout(ServerContext*, const pb::NatTimeout* q, pb::Empty*) override {
    return c_.on_main([&] { set_timeout(q->name(), q->seconds()); });
  }

  Status GetConfig(ServerContext*, const pb::Empty*, pb::NatConfig* r) override {
    return c_.on_main([&] {
      const Config& c = config();
      for (const Pool& p : c.pools) {
        auto* x = r->add_pools();
        x->set_first(ip4_bytes(p.lo));
        x->set_last(ip4_bytes(p.hi));
        if (p.tenant_vrf != ~0u) x->set_tenant_vrf(p.tenant_vrf);
        x->set_twice_nat(p.twice_nat);
      }
      for (const std::string& n : c.if_addresses) r->add_interface_addresses(index_of(n));
      for (auto& [name, role] : c.interfaces) {
        auto* x = r->add_interfaces();
        x->set_sw_if_index(index_of(name));
        x->set_inside(role.in);
        x->set_outside(role.out);
        x->set_output_feature(role.output_feature);
      }
      for (const StaticMapping& m : c.statics) static_to(m, r->add_static_mappings());
      port_range_to(c.port_lo, c.port_hi, r->mutable_port_range());
      r->set_forwarding(c.forwarding);
    });
  }

  // From the configuration rather than the published addresses: a pool's
  // tenant VRF is the table id the client gave, where the workers hold its
  // FIB index.
  Status ListAddresses(ServerContext*, const pb::Empty*, pb::ListNatAddressesReply* r) override {
    return c_.on_main([&] {
      const Config& c = config();
      const auto used = sessions_by_address();
      auto add = [&](uint32_t a) {
        auto* x = r->add_addresses();
        x->set_address(ip4_bytes(a));
        const auto it = used.find(a);
        x->set_sessions(it == used.end() ? 0 : it->second);
        return x;
      };
      auto pools = [&](bool twice) {
        for (const Pool& p : c.pools)
          if (p.twice_nat == twice)
            for (uint64_t a = p.lo; a <= p.hi; a++) {
              auto* x = add(uint32_t(a));
              x->set_twice_nat(twice);
              if (p.tenant_vrf != ~0u) x->set_tenant_vrf(p.tenant_vrf);
            }
      };
      // The order of show nat44 addresses (the workers' allocation order).
      pools(false);
      for (const std::string& n : c.if_addresses) {
        if (const uint32_t a = if_address(n))
          add(a)->set_sw_if_index(index_of(n));
        else
          r->add_waiting_interfaces(index_of(n));
      }
      pools(true);
    });
  }

  Status ListSessions(ServerContext*, const pb::ListNatSessionsRequest* q, pb::ListNatSessionsReply* r) override {
    return c_.on_main([&] {
      const uint32_t page = q->page_size() ? std::min(q->page_size(), kMaxPage) : 1000;
      uint64_t from = 0;
      if (!q->page_token().empty()) {
        try {
          from = std::stoull(q->page_token());
        } catch (const std::exception&) {
          fail("bad page_token '{}': pass the previous reply's next_page_token", q->page_token());
        }
      }
      uint32_t n = 0;
      const uint64_t next = fw::visit_sessions(fw::ClearFilter{}, from, [&](const fw::SessionView& v) {
        if (!v.nat) return true;
        auto* x = r->add_sessions();
        x->set_id(v.id);
        x->set_worker(v.worker);
        x->set_vrf(v.vrf);
        x->set_protocol(v.proto);
        x->set_inside_source(ip_bytes(v.src));
        x->set_inside_source_port(v.sport);
        x->set_inside_destination(ip_bytes(v.dst));
        x->set_inside_destination_port(v.dport);
        x->set_outside_source(ip_bytes(v.xsrc));
        x->set_outside_source_port(v.xsport);
        x->set_outside_destination(ip_bytes(v.xdst));
        x->set_outside_destination_port(v.xdport);
        x->set_state(v.state);
        x->set_timeout(v.timeout_left);
        x->set_packets_i2o(v.packets[0]);
        x->set_bytes_i2o(v.bytes[0]);
        x->set_packets_o2i(v.packets[1]);
        x->set_bytes_o2i(v.bytes[1]);
        return ++n < page;
      });
      if (next) r->set_next_page_token(std::to_string(next));
    });
  }

  Status GetSummary(ServerContext*, const pb::Empty*, pb::NatSummary* r) override {
    return c_.on_main([&] {
      const SessionCounts n = session_counts();
      r->set_sessions(n.total);
      r->set_tcp(n.tcp);
      r->set_udp(n.udp);
      r->set_icmp(n.icmp);
      r->set_other(n.total - n.tcp - n.udp - n.icmp);
      const Config& c = config();
      const NatState& st = nat_state();
      port_range_to(c.port_lo, c.port_hi, r->mutable_port_range());
      r->set_port_share(st.port_share);
      r->set_workers(uint32_t(st.workers.size()));
      r->set_forwarding(c.forwarding);
      for (auto& [node, reason, count] : nat_counters()) {
        auto* x = r->add_counters();
        x->set_node(node);
        x->set_reason(reason);
        x->set_count(count);
      }
    });
  }

 private:
  Ctx& c_;
};
ServiceRegistration reg{[](Ctx& c) -> std::unique_ptr<grpc::Service> { return std::make_unique<NatSvc>(c); }};
}  // namespace

}  // namespace vp::api
