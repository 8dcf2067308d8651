#include "api/server.hpp"

#include <grp.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "api/events.hpp"
#include "api/services.hpp"
#include "control/instance.hpp"
#include "infra/log.hpp"

namespace vp::api {

namespace {
std::string read_pem(const std::string& path, const char* what) {
  std::ifstream f(path);
  if (!f) fail("cannot read the API's {} '{}'", what, path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Any local user can connect to a TCP port, so the API is served there only
// to clients whose certificate the operator's CA signed (mutual TLS); the
// Unix socket's file permissions do the same job there.
std::shared_ptr<grpc::ServerCredentials> tls_credentials(const ServerConfig& c) {
  if (c.tls_cert.empty() || c.tls_key.empty() || c.tls_ca.empty())
    fail(
        "the API over TCP ({}) needs mutual TLS: give --api-tls-cert, --api-tls-key and --api-tls-ca ([api] tls-cert, "
        "tls-key, tls-ca), or use the Unix socket only",
        c.tcp);
  grpc::SslServerCredentialsOptions o(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  o.pem_root_certs = read_pem(c.tls_ca, "client CA");
  o.pem_key_cert_pairs.push_back({read_pem(c.tls_key, "TLS key"), read_pem(c.tls_cert, "TLS certificate")});
  return grpc::SslServerCredentials(o);
}
}  // namespace

struct Server::Impl {
  MainExec exec;
  Services services;
  std::unique_ptr<grpc::Server> server;
  explicit Impl(EventLoop& loop) : exec(loop), services(exec) {}
};

Server::Server(EventLoop& loop, const ServerConfig& c) : cfg_(c), impl_(std::make_unique<Impl>(loop)) {
  claim_socket(c.socket, "API");
  event_hub().start();
  grpc::ServerBuilder b;
  b.AddListeningPort("unix:" + c.socket, grpc::InsecureServerCredentials());
  if (!c.tcp.empty()) {
    if (c.tcp.rfind("127.", 0) != 0 && c.tcp.rfind("[::1]", 0) != 0 && c.tcp.rfind("localhost:", 0) != 0)
      fail("API TCP address {} is not a loopback address (127.x.x.x:<port>, [::1]:<port>)", c.tcp);
    b.AddListeningPort(c.tcp, tls_credentials(c));
  }
  b.SetMaxReceiveMessageSize(64 << 20);
  impl_->services.register_all(b);
  impl_->server = b.BuildAndStart();
  if (!impl_->server) fail("cannot start the API on {} (is another vplaned using it?)", c.socket);
  chmod(c.socket.c_str(), c.mode);
  if (!c.group.empty()) {
    group* g = getgrnam(c.group.c_str());
    if (!g) fail("API socket group '{}' does not exist", c.group);
    if (chown(c.socket.c_str(), uid_t(-1), g->gr_gid) != 0) fail("cannot give {} to group {}", c.socket, c.group);
  }
  log::info("API on unix:{}{}", c.socket, c.tcp.empty() ? "" : " and " + c.tcp);
}

Server::~Server() {
  // Calls in flight may wait for the main thread: keep serving them while
  // gRPC shuts down on another thread; new ones are refused.
  impl_->services.stopping();
  impl_->exec.close();
  std::atomic<bool> done{false};
  std::thread t([&] {
    impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    done = true;
  });
  while (!done) {
    impl_->exec.drain();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  t.join();
  unlink(cfg_.socket.c_str());
}

}  // namespace vp::api
