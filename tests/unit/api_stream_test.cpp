// Routes.Stream end to end in one process: a client that goes away in the
// middle of a stream loses nothing it saw acknowledged, the server's
// reader, main-thread and writer stages all wind down, and the server keeps
// answering.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "api/convert.hpp"
#include "api/server.hpp"
#include "control/event_loop.hpp"
#include "net/fib/fib.hpp"
#include "vplane/v1/routes.grpc.pb.h"
#include "vplane/v1/system.grpc.pb.h"

namespace vp {
namespace {

namespace pb = ::vplane::v1;

pb::RouteBatch batch(uint64_t id, uint32_t first, uint32_t n) {
  pb::RouteBatch b;
  b.set_batch_id(id);
  for (uint32_t k = 0; k < n; k++) {
    auto* u = b.add_updates();
    u->set_op(pb::ROUTE_ADD);
    u->mutable_route()->mutable_prefix()->set_address(api::ip_bytes(ip_of_key(first + (k << 8))));
    u->mutable_route()->mutable_prefix()->set_length(24);
    u->mutable_route()->add_paths()->set_next_hop(api::ip_bytes(parse_ip("10.77.0.1")));
  }
  return b;
}

Prefix nth(uint32_t first, uint32_t k) { return Prefix{ip_of_key(first + (k << 8)), 24}; }

TEST(ApiStream, AClientGoneMidStreamLosesNothingAcknowledged) {
  EventLoop loop;
  std::string sock = "/tmp/vplane-unit-api-" + std::to_string(getpid()) + ".sock";
  api::Server server(loop, {.socket = sock});
  constexpr uint32_t kFirst = 0x2d000000;  // 45.0.0.0
  constexpr uint32_t kPer = 500, kBatches = 40;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> acked{0};
  std::thread client([&] {
    auto ch = grpc::CreateChannel("unix:" + sock, grpc::InsecureChannelCredentials());
    auto routes = pb::Routes::NewStub(ch);
    grpc::ClientContext ctx;
    auto s = routes->Stream(&ctx);
    for (uint32_t i = 0; i < kBatches; i++) s->Write(batch(i, kFirst + i * kPer * 256, kPer));
    pb::BatchReply r;
    for (int i = 0; i < 5 && s->Read(&r); i++) acked = r.batch_id() + 1;
    ctx.TryCancel();  // gone, without WritesDone
    s->Finish();
    // The server still answers.
    pb::Empty e;
    grpc::ClientContext c2;
    pb::PingReply pr;
    pb::PingRequest pq;
    pq.set_cookie(9);
    EXPECT_TRUE(pb::System::NewStub(ch)->Ping(&c2, pq, &pr).ok());
    EXPECT_EQ(pr.cookie(), 9u);
    done = true;
  });
  while (!done) loop.run_once(1000);
  client.join();
  ASSERT_EQ(acked.load(), 5u);
  for (uint32_t i = 0; i < acked; i++)
    for (uint32_t k = 0; k < kPer; k += 97)
      EXPECT_TRUE(fib4().has(0, nth(kFirst, i * kPer + k), RouteSource::api)) << i << " " << k;
  // Whatever else was applied is whole batches: the stream never applies part of one.
  uint32_t applied = 0;
  for (uint32_t i = 0; i < kBatches; i++) {
    bool first = fib4().has(0, nth(kFirst, i * kPer), RouteSource::api);
    EXPECT_EQ(first, fib4().has(0, nth(kFirst, i * kPer + kPer - 1), RouteSource::api)) << i;
    applied += first;
  }
  EXPECT_GE(applied, 5u);
  for (uint32_t i = 0; i < kBatches * kPer; i++) fib4().del(0, nth(kFirst, i), RouteSource::api);
}

}  // namespace
}  // namespace vp
