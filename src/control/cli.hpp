#pragma once
// The CLI: VPP's command vocabulary over the typed operations layer. A
// command is registered by its words ("show interface") with a parser that
// reads the rest of the line from Args and either changes nothing and throws
// vp::Error, or applies the operation. Every show command also answers JSON.
#include <fmt/format.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace vp {

struct Interface;

class Args {
 public:
  explicit Args(std::vector<std::string> toks, size_t pos = 0) : t_(std::move(toks)), i_(pos) {}
  bool done() const { return i_ >= t_.size(); }
  const std::string& peek() const;
  bool accept(std::string_view kw);  // consumes kw if it is next
  std::string word(std::string_view what);
  uint64_t num(std::string_view what, uint64_t max = UINT64_MAX);
  Interface& iface();
  void end() const;  // throws on anything left over
  size_t pos() const { return i_; }
  const std::vector<std::string>& tokens() const { return t_; }

 private:
  std::vector<std::string> t_;
  size_t i_;
};

struct Out {
  bool json = false;
  std::string text;
  nlohmann::json j;
  template <typename... A>
  void line(fmt::format_string<A...> f, A&&... a) {
    text += fmt::format(f, std::forward<A>(a)...);
    text += '\n';
  }
};

using CliFn = std::function<void(Args&, Out&)>;

struct CliCmd {
  std::string path;    // "show interface"
  std::string syntax;  // "show interface [<if>]"
  std::string help;
  CliFn fn;
  std::vector<std::string> words = {};  // path split once, at registration
};

struct CliResult {
  bool ok;
  std::string text;  // reply body (JSON text when asked for JSON)
};

class Cli {
 public:
  static Cli& get();
  void add(CliCmd c);
  CliResult execute(const std::string& line, bool json);
  const std::vector<CliCmd>& commands() const { return cmds_; }
  // Splits on blanks; { and } are tokens of their own; "..." groups.
  static std::vector<std::string> tokenize(const std::string& line);

 private:
  std::vector<CliCmd> cmds_;
};

struct CliRegistration {
  // Implicit so that arrays of commands read as a table.
  CliRegistration(CliCmd c) { Cli::get().add(std::move(c)); }  // NOLINT
};

// Lines of `show running-config`, contributed by each feature in `order`.
struct RunningConfigRegistration {
  RunningConfigRegistration(int order, std::function<void(std::vector<std::string>&)> fn);
};
std::vector<std::string> running_config();

// Executes a script of commands (startup exec file): # comments, blank lines,
// multi-line { } blocks. Throws vp::Error naming the line that failed.
void run_script(const std::string& text, const std::string& origin);
// Groups a script into complete commands (joins lines while braces are open).
std::vector<std::pair<int, std::string>> split_script(const std::string& text);

}  // namespace vp
