// vplanectl: one-shot CLI client (exit 0 ok, 1 command error, 2 vplaned
// unreachable) and an interactive prompt with history and completion.
#include <editline/readline.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

int g_fd = -1;
std::vector<std::string> g_words;  // command paths, for completion

bool connect_to(const std::string& path) {
  sockaddr_un a{};
  if (path.size() >= sizeof a.sun_path) return false;
  g_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  a.sun_family = AF_UNIX;
  std::strcpy(a.sun_path, path.c_str());
  return connect(g_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

bool read_n(void* p, size_t n) {
  auto* c = static_cast<char*>(p);
  while (n) {
    ssize_t r = read(g_fd, c, n);
    if (r <= 0) return false;
    c += r;
    n -= size_t(r);
  }
  return true;
}

// Returns false when the connection broke.
bool request(const std::string& cmd, bool json, bool& ok, std::string& reply) {
  uint32_t len = uint32_t(cmd.size() + 1);
  std::string msg(reinterpret_cast<char*>(&len), 4);
  msg += char(json ? 1 : 0);
  msg += cmd;
  if (write(g_fd, msg.data(), msg.size()) != ssize_t(msg.size())) return false;
  uint32_t rl;
  char status;
  if (!read_n(&rl, 4) || rl < 1 || !read_n(&status, 1)) return false;
  reply.assign(rl - 1, '\0');
  if (rl > 1 && !read_n(reply.data(), rl - 1)) return false;
  ok = status == 0;
  return true;
}

char* complete_gen(const char* text, int state) {
  static std::vector<std::string> matches;
  static size_t idx;
  if (!state) {
    matches.clear();
    idx = 0;
    std::string line(rl_line_buffer, size_t(rl_point));
    std::string prefix = line.substr(0, line.size() - std::strlen(text));
    for (auto& w : g_words) {
      if (w.rfind(prefix, 0) != 0) continue;
      std::string rest = w.substr(prefix.size());
      std::string next = rest.substr(0, rest.find(' '));
      if (next.rfind(text, 0) == 0 && std::find(matches.begin(), matches.end(), next) == matches.end())
        matches.push_back(next);
    }
  }
  return idx < matches.size() ? strdup(matches[idx++].c_str()) : nullptr;
}

char** complete(const char* text, int, int) {
  rl_attempted_completion_over = 1;
  return rl_completion_matches(text, complete_gen);
}

int interactive(bool json) {
  bool ok;
  std::string reply;
  if (request("help", true, ok, reply) && ok)
    for (auto& c : nlohmann::json::parse(reply)) g_words.push_back(c["command"].get<std::string>() + " ");
  rl_attempted_completion_function = complete;
  std::string hist = std::string(getenv("HOME") ? getenv("HOME") : "/tmp") + "/.vplanectl_history";
  read_history(hist.c_str());
  std::string pending;
  int depth = 0;
  while (char* l = readline(pending.empty() ? "vplane# " : "... ")) {
    std::string line(l);
    free(l);
    for (char ch : line) depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
    pending += (pending.empty() ? "" : "\n") + line;
    if (depth > 0) continue;
    depth = 0;
    std::string cmd;
    cmd.swap(pending);
    if (cmd.find_first_not_of(" \t") == std::string::npos) continue;
    if (cmd == "quit" || cmd == "exit") break;
    add_history(cmd.c_str());
    if (!request(cmd, json, ok, reply)) {
      std::cerr << "vplanectl: lost the connection to vplaned\n";
      write_history(hist.c_str());
      return 2;
    }
    (ok ? std::cout : std::cerr) << reply << (reply.empty() || reply.back() == '\n' ? "" : "\n");
  }
  write_history(hist.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "vplanectl - talk to vplaned's CLI.\nWith a command: run it and exit (0 ok, 1 command error, 2 "
      "vplaned unreachable). Without: interactive prompt."};
  std::string sock = "/run/vplane/cli.sock";
  bool json = false;
  std::vector<std::string> words;
  app.add_option("-s,--socket", sock, "CLI socket of vplaned")->capture_default_str();
  app.add_flag("--json", json, "answer show commands in JSON");
  // Everything from the first non-option word on is the command, verbatim
  // ("->" in packet-generator data must not be read as an option).
  app.prefix_command();
  app.footer("Example: vplanectl -s /run/vplane/cli.sock show interface");
  CLI11_PARSE(app, argc, argv);
  for (auto& r : app.remaining()) words.push_back(r);
  if (!connect_to(sock)) {
    std::cerr << "vplanectl: cannot reach vplaned at " << sock << ": " << std::strerror(errno)
              << " (is vplaned running? use -s <socket>)\n";
    return 2;
  }
  if (words.empty()) return interactive(json);
  std::string cmd;
  for (auto& w : words) cmd += (cmd.empty() ? "" : " ") + w;
  bool ok;
  std::string reply;
  if (!request(cmd, json, ok, reply)) {
    std::cerr << "vplanectl: vplaned closed the connection\n";
    return 2;
  }
  if (!ok) {
    std::cerr << "vplanectl: " << reply << "\n";
    return 1;
  }
  std::cout << reply << (reply.empty() || reply.back() == '\n' ? "" : "\n");
  return 0;
}
