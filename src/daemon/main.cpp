// vplaned: starts DPDK's EAL, the graph threads, the CLI, runs the startup
// commands, then serves until SIGINT/SIGTERM.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <fstream>
#include <sstream>

#include "api/server.hpp"
#include "control/cli.hpp"
#include "control/cli_server.hpp"
#include "control/event_loop.hpp"
#include "control/instance.hpp"
#include "control/lifecycle.hpp"
#include "control/metrics.hpp"
#include "control/startup.hpp"
#include "graph/feature.hpp"
#include "graph/rcu.hpp"
#include "graph/registry.hpp"
#include "graph/threads.hpp"
#include "infra/error.hpp"
#include "infra/log.hpp"
#include "infra/paths.hpp"
#include "io/capture.hpp"
#include "io/eal.hpp"
#include "io/if_ops.hpp"
#include "io/interface.hpp"
#include "io/stale.hpp"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

std::string read_file(const std::string& p) {
  std::ifstream f(p);
  if (!f) vp::fail("cannot read '{}'", p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

int main(int argc, char** argv) {
  using namespace vp;
  CLI::App app{"vplaned - vplane vector packet processing dataplane daemon"};
  std::string cfg_file, cli_socket, api_socket, api_tcp, api_cert, api_key, api_ca, metrics, exec_file, name, huge,
      log_level;
  int workers = -1;
  app.add_option("-c,--config", cfg_file, "startup file (TOML)");
  app.add_option("--cli-socket", cli_socket, "CLI socket path (overrides the file)");
  app.add_option("--api-socket", api_socket, "gRPC API socket path (overrides the file)");
  app.add_option("--api-tcp", api_tcp,
                 "also serve the API on this loopback address, e.g. 127.0.0.1:50051 (needs the three --api-tls-*)");
  app.add_option("--api-tls-cert", api_cert, "TLS certificate (PEM) vplaned shows API clients over TCP");
  app.add_option("--api-tls-key", api_key, "its private key (PEM)");
  app.add_option("--api-tls-ca", api_ca, "CA (PEM) that signs the certificates API clients over TCP must show");
  app.add_option("--metrics", metrics, "serve Prometheus metrics on this loopback address, e.g. 127.0.0.1:9482");
  app.add_option("--workers", workers, "worker threads; 0 = the main thread forwards (single-thread mode)");
  app.add_option("--exec", exec_file, "file of CLI commands run at start");
  app.add_option("--name", name, "instance name (DPDK file prefix, state dir); default vplane");
  app.add_option("--hugepages", huge, "auto, yes or no")->check(CLI::IsMember({"auto", "yes", "no"}));
  app.add_option("--log-level", log_level, "debug, info, warn or error");
  CLI11_PARSE(app, argc, argv);

  StartupConfig c;
  try {
    if (!cfg_file.empty()) c = load_startup(cfg_file);
    if (!name.empty()) c.instance = name;
    if (!cli_socket.empty()) c.cli_socket = cli_socket;
    if (!api_socket.empty()) c.api_socket = api_socket;
    if (!api_tcp.empty()) c.api_tcp = api_tcp;
    if (!api_cert.empty()) c.api_tls_cert = api_cert;
    if (!api_key.empty()) c.api_tls_key = api_key;
    if (!api_ca.empty()) c.api_tls_ca = api_ca;
    if (!metrics.empty()) c.metrics = metrics;
    if (workers >= 0) c.threads.workers = uint32_t(workers);
    if (!exec_file.empty()) c.exec_file = exec_file;
    if (!log_level.empty()) c.log_level = log_level;
    if (huge == "yes") c.eal.huge = HugeMode::yes;
    if (huge == "no") c.eal.huge = HugeMode::no;
    finish_defaults(c);
    log::set_level(log::parse_level(c.log_level));
    log::set_target(c.log_target);
  } catch (const Error& e) {
    std::fprintf(stderr, "vplaned: %s\n", e.what());
    return 1;
  }
  state_dir() = c.state_dir;
  instance_name() = c.instance;
  try {
    instance_lock(c.state_dir, c.instance);  // before anything of the instance is touched
  } catch (const Error& e) {
    std::fprintf(stderr, "vplaned: %s\n", e.what());
    return 1;
  }

  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<CliServer> cli;
  std::unique_ptr<api::Server> api_server;
  std::unique_ptr<MetricsServer> metrics_server;
  try {
    Registry::get().finalize();
    Arcs::get().finalize();
    eal_start(c.eal);
    threads().start(c.threads);
    stale_init(c.state_dir);
    run_inits();
    loop = std::make_unique<EventLoop>();
    cli = std::make_unique<CliServer>(*loop, c.cli_socket, c.cli_mode, c.cli_group);
    if (!c.metrics.empty()) metrics_server = std::make_unique<MetricsServer>(*loop, c.metrics);
    api_server =
        std::make_unique<api::Server>(*loop, api::ServerConfig{c.api_socket, c.api_mode, c.api_group, c.api_tcp,
                                                               c.api_tls_cert, c.api_tls_key, c.api_tls_ca});
    run_start(*loop);
    loop->every(10, [] {
      rcu().reclaim();
      capture_poll();
      run_periodic();
    });
    if (!c.exec_file.empty()) run_script(read_file(c.exec_file), c.exec_file);
    for (size_t i = 0; i < c.commands.size(); i++) {
      auto r = Cli::get().execute(c.commands[i], false);
      if (!r.ok) fail("startup command {} '{}': {}", i + 1, c.commands[i], r.text);
    }
  } catch (const Error& e) {
    log::error("{}", e.what());
    // Workers may be running (a startup command failed): joined, not left
    // for std::thread's destructor to abort the process with.
    threads().stop();
    instance_unlock();
    stale_exit();  // the state directory goes unless something is recorded in it for the next start
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  log::info("vplaned '{}' ready: {} worker(s), {} memory, CLI on {}, API on {}", c.instance, c.threads.workers,
            eal().hugepages ? "hugepage" : "ordinary", c.cli_socket, c.api_socket);

  auto& th = threads();
  uint32_t busy = 0;
  while (!g_stop) {
    if (th.single()) {
      uint32_t sleep_us = th.main_poll();
      // While busy, look at control events every 64 loops only.
      if (sleep_us || ++busy % 64 == 0) loop->run_once(sleep_us);
    } else {
      loop->run_once(10000);
    }
  }
  log::info("vplaned '{}' stopping", c.instance);
  api_server.reset();
  metrics_server.reset();
  th.stop();
  cli.reset();
  ifs().unwatch_all();
  run_shutdown();
  for (auto* i : ifs().all()) ops::delete_interface(i->index);
  rcu().shutdown();
  eal_stop();
  instance_unlock();
  stale_exit();
  return 0;
}
