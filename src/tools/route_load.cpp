// vplane-route-load: programs routes through the API's route stream as fast
// as the FIB takes them, and says how fast: a million routes is more than
// Python can encode in reasonable time. Timed from the first batch sent to
// the last route answering a lookup.
//
//   vplane-route-load --api unix:/run/vplane/api.sock --count 1000000 --first 1.0.0.0/24 --via 10.9.0.2
//   vplane-route-load --file routes.txt          (lines: <prefix> via <next-hop>, "ip route add" optional)
//   --op add|del|replace, --batch <n>, --table <n>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "infra/error.hpp"
#include "infra/parse.hpp"
#include "vplane/v1/routes.grpc.pb.h"

namespace pb = ::vplane::v1;

namespace {

// n consecutive IPv4 prefixes of the first one's length.
std::vector<vp::Prefix> consecutive(const vp::Prefix& first, uint64_t n) {
  std::vector<vp::Prefix> v;
  v.reserve(n);
  uint64_t base = first.masked().addr.v4_host(), step = uint64_t(1) << (32 - first.len);
  for (uint64_t k = 0; k < n; k++) {
    uint32_t x = uint32_t(base + k * step);
    vp::Prefix p = first;
    p.addr.b = {uint8_t(x >> 24), uint8_t(x >> 16), uint8_t(x >> 8), uint8_t(x)};
    v.push_back(p);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"vplane-route-load - program routes through vplane's API route stream and time it"};
  std::string api = "unix:/run/vplane/api.sock", file, first, via, op = "add";
  uint64_t count = 0;
  uint32_t batch = 2048, table = 0;
  app.add_option("--api", api, "API address (unix:<path> or 127.0.0.1:<port>)");
  app.add_option("--file", file, "routes, one per line: <prefix> via <next-hop>");
  app.add_option("--count", count, "with --first: this many consecutive prefixes");
  app.add_option("--first", first, "the first of --count prefixes (IPv4), e.g. 1.0.0.0/24");
  app.add_option("--via", via, "next hop for --count routes");
  app.add_option("--op", op, "add, del or replace")->check(CLI::IsMember({"add", "del", "replace"}));
  app.add_option("--batch", batch, "routes per batch")->check(CLI::Range(1u, 1000000u));
  app.add_option("--table", table, "table id");
  CLI11_PARSE(app, argc, argv);

  std::vector<vp::Prefix> prefixes;
  std::vector<std::string> nhs;  // per route (file), or one for all (count)
  try {
    if (!file.empty()) {
      std::ifstream f(file);
      if (!f) vp::fail("cannot read {}", file);
      std::string line;
      for (size_t n = 1; std::getline(f, line); n++) {
        std::istringstream ws(line);
        std::vector<std::string> w;
        for (std::string x; ws >> x;) w.push_back(x);
        if (w.size() >= 3 && w[0] == "ip" && w[1] == "route" && w[2] == "add") w.erase(w.begin(), w.begin() + 3);
        if (w.empty() || w[0][0] == '#') continue;
        if (w.size() < 3 || w[1] != "via") vp::fail("{} line {}: want <prefix> via <next-hop>", file, n);
        prefixes.push_back(vp::parse_prefix(w[0]));
        nhs.push_back(vp::parse_ip(w[2]).packed());
      }
    } else {
      if (!count || first.empty() || (op != "del" && via.empty()))
        vp::fail("give --file, or --count with --first <IPv4 prefix> and --via <next-hop>");
      vp::Prefix p = vp::parse_prefix(first);
      if (p.addr.v6 || p.len == 0) vp::fail("--first takes an IPv4 prefix with a length, not {}", first);
      prefixes = consecutive(p, count);
      if (op != "del") nhs.push_back(vp::parse_ip(via).packed());
    }
  } catch (const vp::Error& e) {
    std::fprintf(stderr, "vplane-route-load: %s\n", e.what());
    return 1;
  }
  if (prefixes.empty()) {
    std::fprintf(stderr, "vplane-route-load: no routes to load\n");
    return 1;
  }
  pb::RouteOp rop = op == "add" ? pb::ROUTE_ADD : op == "del" ? pb::ROUTE_DEL : pb::ROUTE_REPLACE;

  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  auto ch = grpc::CreateCustomChannel(api, grpc::InsecureChannelCredentials(), args);
  auto routes = pb::Routes::NewStub(ch);
  grpc::ClientContext ctx;
  auto t0 = std::chrono::steady_clock::now();
  auto stream = routes->Stream(&ctx);
  uint64_t sent_batches = 0, applied = 0, rejected = 0;
  // Writer and reader run together: batches keep flowing while earlier ones are applied.
  std::thread reader([&] {
    pb::BatchReply r;
    while (stream->Read(&r)) {
      applied += r.applied();
      rejected += uint64_t(r.rejected_size());
      if (r.rejected_size() && rejected <= 3) std::fprintf(stderr, "rejected: %s\n", r.rejected(0).reason().c_str());
    }
  });
  for (size_t i = 0; i < prefixes.size(); i += batch) {
    pb::RouteBatch b;
    b.set_batch_id(sent_batches++);
    size_t end = std::min(prefixes.size(), i + batch);
    b.mutable_updates()->Reserve(int(end - i));
    for (size_t k = i; k < end; k++) {
      auto* u = b.add_updates();
      u->set_op(rop);
      auto* r = u->mutable_route();
      r->set_table(table);
      r->mutable_prefix()->set_address(prefixes[k].addr.packed());
      r->mutable_prefix()->set_length(prefixes[k].len);
      if (rop != pb::ROUTE_DEL) r->add_paths()->set_next_hop(nhs.size() == 1 ? nhs[0] : nhs[k]);
    }
    if (!stream->Write(b)) break;
  }
  stream->WritesDone();
  reader.join();
  grpc::Status st = stream->Finish();
  double acked = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The last route answering a lookup (or, for deletes, no longer answering).
  pb::RouteLookupRequest lq;
  lq.set_table(table);
  lq.set_address(prefixes.back().addr.packed());
  for (;;) {
    grpc::ClientContext lc;
    pb::Route lr;
    grpc::Status ls = routes->Lookup(&lc, lq, &lr);
    bool present = ls.ok() && lr.prefix().length() == prefixes.back().len;
    if (present == (rop != pb::ROUTE_DEL)) break;
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!st.ok()) {
    std::fprintf(stderr, "vplane-route-load: %s\n", st.error_message().c_str());
    return 1;
  }
  std::printf("%zu routes %s: %llu applied, %llu rejected, in %.3f s (%.0f routes/s; all acknowledged at %.3f s)\n",
              prefixes.size(), op.c_str(), (unsigned long long)applied, (unsigned long long)rejected, total,
              double(prefixes.size()) / total, acked);
  return rejected ? 1 : 0;
}
