// The Nat service in one process, over its socket: a whole NAT44
// configuration made through the API is the running configuration the CLI
// would make, which the CLI replays into the same configuration; GetConfig
// gives back what deletes it; a refused call says why in one line and
// changes nothing.
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "api/convert.hpp"
#include "api/server.hpp"
#include "control/cli.hpp"
#include "control/event_loop.hpp"
#include "features/fw/fw_config.hpp"
#include "features/fw/fw_ops.hpp"
#include "features/nat/nat_ops.hpp"
#include "features/nat/nat_runtime.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/ports/loopback/loopback.hpp"
#include "net/ip/ip_ops.hpp"
#include "vplane/v1/nat.grpc.pb.h"

namespace vp {
namespace {

namespace pb = ::vplane::v1;

std::string ip(const char* s) { return api::ip_bytes(parse_ip(s)); }

std::vector<std::string> nat_lines() {
  std::vector<std::string> v;
  for (auto& l : running_config())
    if (l.starts_with("nat44 ") || l.starts_with("set nat44 ") || l.starts_with("set interface nat44 ")) v.push_back(l);
  return v;
}

class ApiNat : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int k = 0; k < 3; k++) {
      idx_.push_back(ops::create_loopback({}));
      name_.push_back(ifs().at(idx_.back())->name);
    }
    ops::set_interface_address(idx_[1], parse_prefix("192.0.2.1/24"), false);
    flow_ = fw::config().flow;
    server_ = std::make_unique<api::Server>(loop_, api::ServerConfig{.socket = sock_});
    stub_ = pb::Nat::NewStub(grpc::CreateChannel("unix:" + sock_, grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    stub_.reset();
    server_.reset();
    nat::config() = nat::Config{};
    nat::republish();
    fw::set_flow(flow_);
    for (uint32_t i : idx_)
      if (ifs().at(i)) ops::delete_interface(i);
  }

  // One call, made from a client thread while this thread runs the main
  // loop that the service's work is queued on.
  template <class Req, class Rep>
  grpc::Status call(grpc::Status (pb::Nat::Stub::*m)(grpc::ClientContext*, const Req&, Rep*), const Req& q, Rep* r) {
    grpc::Status s;
    std::atomic<bool> done{false};
    std::thread t([&] {
      grpc::ClientContext ctx;
      s = (stub_.get()->*m)(&ctx, q, r);
      done = true;
    });
    while (!done) loop_.run_once(1000);
    t.join();
    return s;
  }
  template <class Req>
  void ok(grpc::Status (pb::Nat::Stub::*m)(grpc::ClientContext*, const Req&, pb::Empty*), const Req& q) {
    pb::Empty e;
    const grpc::Status s = call(m, q, &e);
    EXPECT_TRUE(s.ok()) << q.ShortDebugString() << ": " << s.error_message();
  }
  // Refused with INVALID_ARGUMENT and one line that says `expect`, and
  // nothing changed.
  template <class Req>
  void bad(grpc::Status (pb::Nat::Stub::*m)(grpc::ClientContext*, const Req&, pb::Empty*), const Req& q,
           const std::string& expect) {
    const auto before = running_config();
    const auto udp = fw::config().flow.timeouts.s[fw::kUdp];
    pb::Empty e;
    const grpc::Status s = call(m, q, &e);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << q.ShortDebugString();
    EXPECT_EQ(s.error_message().find('\n'), std::string::npos) << s.error_message();
    EXPECT_NE(s.error_message().find(expect), std::string::npos) << q.ShortDebugString() << " -> " << s.error_message();
    EXPECT_EQ(running_config(), before) << q.ShortDebugString();
    EXPECT_EQ(fw::config().flow.timeouts.s[fw::kUdp], udp);
  }
  pb::NatConfig get_config() {
    pb::NatConfig c;
    EXPECT_TRUE(call(&pb::Nat::Stub::GetConfig, pb::Empty{}, &c).ok());
    return c;
  }

  EventLoop loop_;
  std::string sock_ = "/tmp/vplane-unit-nat-" + std::to_string(getpid()) + ".sock";
  std::unique_ptr<api::Server> server_;
  std::unique_ptr<pb::Nat::Stub> stub_;
  std::vector<uint32_t> idx_;
  std::vector<std::string> name_;
  fw::FlowSettings flow_;
};

pb::Nat44Pool pool(const char* first, const char* last = nullptr) {
  pb::Nat44Pool p;
  p.set_first(ip(first));
  if (last) p.set_last(ip(last));
  return p;
}

pb::Nat44StaticMapping mapping(uint32_t proto, const char* local, uint32_t lport, const char* ext, uint32_t eport) {
  pb::Nat44StaticMapping m;
  m.set_protocol(proto);
  m.set_local_address(ip(local));
  m.set_local_port(lport);
  m.set_external_address(ip(ext));
  m.set_external_port(eport);
  return m;
}

pb::Nat44Interface role(uint32_t sw_if, bool in, bool out, bool output_feature = false, bool del = false) {
  pb::Nat44Interface r;
  r.set_sw_if_index(sw_if);
  r.set_inside(in);
  r.set_outside(out);
  r.set_output_feature(output_feature);
  r.set_del(del);
  return r;
}

TEST_F(ApiNat, ConfigurationIsTheCliOneAndReplays) {
  using S = pb::Nat::Stub;
  auto twice = pool("198.51.100.10", "198.51.100.13");
  twice.set_twice_nat(true);
  twice.set_tenant_vrf(7);
  ok(&S::AddPool, twice);
  ok(&S::AddPool, pool("198.51.100.20"));
  pb::InterfaceRequest ia;
  ia.set_sw_if_index(idx_[1]);
  ok(&S::AddInterfaceAddress, ia);
  ia.set_sw_if_index(idx_[2]);  // no address yet
  ok(&S::AddInterfaceAddress, ia);
  pb::Nat44PortRange pr;
  pr.set_first(2000);
  pr.set_last(60000);
  ok(&S::SetPortRange, pr);
  ok(&S::AddStaticMapping, mapping(6, "10.1.0.2", 8080, "198.51.100.30", 80));
  auto by_if = mapping(17, "10.1.0.3", 53, "0.0.0.0", 5353);
  by_if.clear_external_address();
  by_if.set_external_sw_if_index(idx_[1]);
  by_if.set_twice_nat(true);
  ok(&S::AddStaticMapping, by_if);
  ok(&S::AddStaticMapping, mapping(0, "10.1.0.4", 0, "198.51.100.31", 0));
  pb::Nat44StaticMapping identity;
  identity.set_identity(true);
  identity.set_external_address(ip("10.1.0.7"));
  identity.set_protocol(17);
  identity.set_external_port(53);
  ok(&S::AddStaticMapping, identity);
  pb::Nat44StaticMapping identity_if;
  identity_if.set_identity(true);
  identity_if.set_external_sw_if_index(idx_[1]);
  identity_if.set_protocol(6);
  identity_if.set_external_port(22);
  ok(&S::AddStaticMapping, identity_if);
  pb::Nat44Forwarding fwd;
  fwd.set_enable(true);
  ok(&S::SetForwarding, fwd);
  ok(&S::SetInterface, role(idx_[0], true, false));
  ok(&S::SetInterface, role(idx_[1], false, true, true));
  pb::NatTimeout t;
  t.set_name("udp");
  t.set_seconds(77);
  ok(&S::SetTimeout, t);
  EXPECT_EQ(fw::config().flow.timeouts.s[fw::kUdp], 77u);

  const std::vector<std::string> want = {
      "nat44 add address 198.51.100.10 - 198.51.100.13 tenant-vrf 7 twice-nat",
      "nat44 add address 198.51.100.20",
      "nat44 add interface address " + name_[1],
      "nat44 add interface address " + name_[2],
      "set nat44 port-range 2000-60000",
      "nat44 add static mapping tcp local 10.1.0.2 8080 external 198.51.100.30 80",
      "nat44 add static mapping udp local 10.1.0.3 53 external " + name_[1] + " 5353 twice-nat",
      "nat44 add static mapping local 10.1.0.4 external 198.51.100.31",
      "nat44 add identity mapping 10.1.0.7 udp 53",
      "nat44 add identity mapping " + name_[1] + " tcp 22",
      "nat44 forwarding enable",
      "set interface nat44 in " + name_[0],
      "set interface nat44 out " + name_[1] + " output-feature",
  };
  EXPECT_EQ(nat_lines(), want);

  const pb::NatConfig c = get_config();
  ASSERT_EQ(c.pools_size(), 2);
  EXPECT_EQ(c.pools(0).first(), ip("198.51.100.10"));
  EXPECT_EQ(c.pools(0).last(), ip("198.51.100.13"));
  EXPECT_EQ(c.pools(0).tenant_vrf(), 7u);
  EXPECT_TRUE(c.pools(0).twice_nat());
  EXPECT_FALSE(c.pools(1).has_tenant_vrf());
  EXPECT_EQ(std::vector<uint32_t>(c.interface_addresses().begin(), c.interface_addresses().end()),
            (std::vector<uint32_t>{idx_[1], idx_[2]}));
  ASSERT_EQ(c.interfaces_size(), 2);
  ASSERT_EQ(c.static_mappings_size(), 5);
  EXPECT_EQ(c.static_mappings(1).external_sw_if_index(), idx_[1]);
  EXPECT_TRUE(c.static_mappings(3).identity());
  EXPECT_TRUE(c.static_mappings(3).local_address().empty());
  EXPECT_EQ(c.port_range().first(), 2000u);
  EXPECT_EQ(c.port_range().last(), 60000u);
  EXPECT_TRUE(c.forwarding());

  pb::ListNatAddressesReply a;
  ASSERT_TRUE(call(&S::ListAddresses, pb::Empty{}, &a).ok());
  ASSERT_EQ(a.addresses_size(), 6);  // .20, the interface's, then the four twice-NAT ones
  EXPECT_EQ(a.addresses(0).address(), ip("198.51.100.20"));
  EXPECT_EQ(a.addresses(1).address(), ip("192.0.2.1"));
  EXPECT_EQ(a.addresses(1).sw_if_index(), idx_[1]);
  EXPECT_TRUE(a.addresses(5).twice_nat());
  EXPECT_EQ(a.addresses(5).tenant_vrf(), 7u);
  EXPECT_EQ(std::vector<uint32_t>(a.waiting_interfaces().begin(), a.waiting_interfaces().end()),
            std::vector<uint32_t>{idx_[2]});

  pb::NatSummary s;
  ASSERT_TRUE(call(&S::GetSummary, pb::Empty{}, &s).ok());
  EXPECT_EQ(s.sessions(), 0u);
  EXPECT_EQ(s.port_range().first(), 2000u);
  EXPECT_EQ(s.workers(), 1u);
  EXPECT_EQ(s.port_share(), 58001u);
  EXPECT_TRUE(s.forwarding());

  // The running configuration replayed by the CLI is the same configuration.
  nat::config() = nat::Config{};
  nat::republish();
  for (auto& l : want) {
    auto r = Cli::get().execute(l, false);
    EXPECT_TRUE(r.ok) << l << ": " << r.text;
  }
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(get_config(), c)) << get_config().DebugString();

  // What GetConfig gives deletes each object.
  for (auto& m : c.static_mappings()) ok(&S::DeleteStaticMapping, m);
  for (auto& p : c.pools()) ok(&S::DeletePool, p);
  for (uint32_t i : c.interface_addresses()) {
    pb::InterfaceRequest q;
    q.set_sw_if_index(i);
    ok(&S::DeleteInterfaceAddress, q);
  }
  for (auto r : c.interfaces()) {
    r.set_del(true);
    ok(&S::SetInterface, r);
  }
  EXPECT_EQ(nat_lines(), (std::vector<std::string>{"set nat44 port-range 2000-60000", "nat44 forwarding enable"}));
}

TEST_F(ApiNat, RefusedCallsSayWhyAndChangeNothing) {
  using S = pb::Nat::Stub;
  ok(&S::AddPool, pool("198.51.100.10", "198.51.100.13"));
  ok(&S::AddStaticMapping, mapping(6, "10.1.0.2", 8080, "198.51.100.30", 80));
  ok(&S::SetInterface, role(idx_[0], true, false));

  bad(&S::AddPool, pool("198.51.100.5", "198.51.100.1"), "backwards");
  bad(&S::AddPool, pool("198.51.100.12", "198.51.100.20"), "overlaps");
  bad(&S::AddPool, pool("2001:db8::1"), "NAT44 addresses are IPv4");
  pb::Nat44Pool short_addr;
  short_addr.set_first("abc");
  bad(&S::AddPool, short_addr, "first: an address is 4 (IPv4) or 16 (IPv6) bytes, not 3");
  bad(&S::DeletePool, pool("198.51.100.10"), "no address range");
  pb::InterfaceRequest ia;
  ia.set_sw_if_index(9999);
  bad(&S::AddInterfaceAddress, ia, "no interface with index 9999");
  ia.set_sw_if_index(idx_[1]);
  bad(&S::DeleteInterfaceAddress, ia, "gives no NAT44 address");
  bad(&S::SetInterface, role(idx_[1], false, false), "say in <if> or out <if>");
  bad(&S::SetInterface, role(idx_[1], true, false, true), "output-feature applies to an out interface");
  bad(&S::SetInterface, role(idx_[1], false, true, false, true), "is not a NAT44 out interface");
  pb::Nat44PortRange pr;
  pr.set_first(5000);
  pr.set_last(4000);
  bad(&S::SetPortRange, pr, "port range 5000-4000");
  pr.set_last(70000);
  bad(&S::SetPortRange, pr, "last 70000 above 65535");
  bad(&S::AddStaticMapping, mapping(6, "10.1.0.3", 8081, "198.51.100.30", 80), "already mapped");
  bad(&S::AddStaticMapping, mapping(6, "10.1.0.3", 0, "198.51.100.31", 80), "needs a local and an external port");
  bad(&S::AddStaticMapping, mapping(6 + 256, "10.1.0.3", 1, "198.51.100.31", 80), "protocol 262 above 255");
  bad(&S::AddStaticMapping, mapping(47, "10.1.0.3", 1, "198.51.100.31", 80), "tcp, udp or icmp");
  bad(&S::AddStaticMapping, mapping(6, "10.1.0.3", 70000, "198.51.100.31", 80), "local_port 70000 above 65535");
  auto both = mapping(6, "10.1.0.3", 1, "198.51.100.31", 80);
  both.set_external_sw_if_index(idx_[1]);
  bad(&S::AddStaticMapping, both, "not both");
  pb::Nat44StaticMapping identity;
  identity.set_identity(true);
  identity.set_external_address(ip("10.1.0.7"));
  identity.set_local_address(ip("10.1.0.8"));
  bad(&S::AddStaticMapping, identity, "only its external side");
  identity.clear_local_address();
  identity.set_twice_nat(true);
  bad(&S::AddStaticMapping, identity, "twice-nat does not apply");
  identity.set_twice_nat(false);
  identity.set_protocol(1);
  identity.set_external_port(5);
  bad(&S::AddStaticMapping, identity, "identity mapping's protocol is tcp or udp");
  bad(&S::DeleteStaticMapping, mapping(17, "10.1.0.2", 8080, "198.51.100.30", 80), "no such mapping");
  pb::NatTimeout t;
  t.set_name("bogus");
  t.set_seconds(10);
  bad(&S::SetTimeout, t, "unknown timeout 'bogus'");
  t.set_name("udp");
  t.set_seconds(0);
  bad(&S::SetTimeout, t, "must be 1 to");

  pb::ListNatSessionsRequest q;
  q.set_page_token("zzz");
  pb::ListNatSessionsReply r;
  const grpc::Status s = call(&S::ListSessions, q, &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("bad page_token 'zzz'"), std::string::npos) << s.error_message();
  q.clear_page_token();
  ASSERT_TRUE(call(&S::ListSessions, q, &r).ok());
  EXPECT_EQ(r.sessions_size(), 0);
  EXPECT_TRUE(r.next_page_token().empty());
}

}  // namespace
}  // namespace vp
