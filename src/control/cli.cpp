#include "control/cli.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <sstream>

#include "infra/error.hpp"
#include "infra/parse.hpp"
#include "io/interface.hpp"

namespace vp {

const std::string& Args::peek() const {
  static const std::string empty;
  return done() ? empty : t_[i_];
}

bool Args::accept(std::string_view kw) {
  if (!done() && t_[i_] == kw) {
    i_++;
    return true;
  }
  return false;
}

std::string Args::word(std::string_view what) {
  if (done()) fail("missing {}", what);
  return t_[i_++];
}

uint64_t Args::num(std::string_view what, uint64_t max) { return parse_uint(word(what), max, what); }

Interface& Args::iface() { return ifs().get(word("interface name")); }

void Args::end() const {
  if (!done()) fail("unexpected '{}'", t_[i_]);
}

Cli& Cli::get() {
  static Cli c;
  return c;
}

void Cli::add(CliCmd c) {
  std::istringstream ps(c.path);
  c.words.assign(std::istream_iterator<std::string>(ps), {});
  cmds_.push_back(std::move(c));
}

std::vector<std::string> Cli::tokenize(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(cur);
    cur.clear();
  };
  for (char ch : line) {
    if (quoted) {
      if (ch == '"') {
        quoted = false;
        out.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    } else if (ch == '"') {
      flush();
      quoted = true;
    } else if (ch == '{' || ch == '}') {
      flush();
      out.push_back(std::string(1, ch));
    } else if (std::isspace(static_cast<unsigned char>(ch))) {
      flush();
    } else {
      cur += ch;
    }
  }
  if (quoted) fail("unterminated quote");
  flush();
  return out;
}

namespace {
// Errors are one line whatever the user typed into them.
std::string flatten(const std::string& s) {
  std::string o;
  for (char c : s) o += std::iscntrl(static_cast<unsigned char>(c)) ? ' ' : c;
  return o;
}

// The command as it may appear inside a one-line error.
std::string one_line(const std::string& s) {
  std::string o = flatten(s);
  auto b = o.find_first_not_of(' ');
  o = b == std::string::npos ? "" : o.substr(b);
  return o.size() > 80 ? o.substr(0, 77) + "..." : o;
}
}  // namespace

CliResult Cli::execute(const std::string& line, bool json) {
  try {
    auto toks = tokenize(line);
    if (toks.empty()) return {true, json ? "{}" : ""};
    // Match words by unique prefix ("sh int"); the longest command wins, an
    // exact word beats an abbreviation.
    const CliCmd* best = nullptr;
    size_t best_len = 0;
    int best_exact = -1;
    bool ambiguous = false;
    for (auto& c : cmds_) {
      const auto& words = c.words;
      if (words.size() > toks.size()) continue;
      bool ok = true;
      int exact = 0;
      for (size_t k = 0; k < words.size() && ok; k++) {
        ok = !toks[k].empty() && words[k].compare(0, toks[k].size(), toks[k]) == 0;
        exact += words[k] == toks[k];
      }
      if (!ok) continue;
      if (words.size() > best_len || (words.size() == best_len && exact > best_exact)) {
        best = &c;
        best_len = words.size();
        best_exact = exact;
        ambiguous = false;
      } else if (words.size() == best_len && exact == best_exact) {
        ambiguous = true;
      }
    }
    if (!best) fail("unknown command '{}' (try 'help')", one_line(line));
    if (ambiguous) fail("ambiguous command '{}' (try 'help')", one_line(line));
    Args a(std::move(toks), best_len);
    Out o;
    o.json = json;
    best->fn(a, o);
    if (!json) return {true, o.text};
    if (o.j.is_null()) o.j = o.text.empty() ? nlohmann::json::object() : nlohmann::json{{"message", o.text}};
    return {true, o.j.dump()};
  } catch (const Error& e) {
    return {false, flatten(e.what())};
  } catch (const std::exception& e) {
    return {false, flatten(fmt::format("internal error: {}", e.what()))};
  }
}

namespace {
std::multimap<int, std::function<void(std::vector<std::string>&)>>& rc_fns() {
  static std::multimap<int, std::function<void(std::vector<std::string>&)>> m;
  return m;
}
}  // namespace

RunningConfigRegistration::RunningConfigRegistration(int order, std::function<void(std::vector<std::string>&)> fn) {
  rc_fns().emplace(order, std::move(fn));
}

std::vector<std::string> running_config() {
  std::vector<std::string> out;
  for (auto& [o, fn] : rc_fns()) fn(out);
  return out;
}

std::vector<std::pair<int, std::string>> split_script(const std::string& text) {
  std::vector<std::pair<int, std::string>> out;
  std::istringstream in(text);
  std::string line, cur;
  int depth = 0, lineno = 0, start = 0;
  while (std::getline(in, line)) {
    lineno++;
    auto first = line.find_first_not_of(" \t\r");
    if (depth == 0 && (first == std::string::npos || line[first] == '#')) continue;
    if (depth == 0) start = lineno;
    for (char ch : line) depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
    cur += (cur.empty() ? "" : "\n") + line;
    if (depth <= 0) {
      out.push_back({start, cur});
      cur.clear();
      depth = 0;
    }
  }
  if (!cur.empty()) fail("line {}: unclosed '{{'", start);
  return out;
}

void run_script(const std::string& text, const std::string& origin) {
  for (auto& [ln, cmd] : split_script(text)) {
    auto r = Cli::get().execute(cmd, false);
    if (!r.ok) fail("{} line {}: '{}': {}", origin, ln, cmd.substr(0, cmd.find('\n')), r.text);
  }
}

static CliRegistration help_cmd{
    {"help", "help [<word>]", "list commands (optionally those starting with <word>)", [](Args& a, Out& o) {
       std::string filter = a.done() ? "" : a.word("word");
       auto cmds = Cli::get().commands();
       std::sort(cmds.begin(), cmds.end(), [](auto& x, auto& y) { return x.path < y.path; });
       nlohmann::json arr = nlohmann::json::array();
       for (auto& c : cmds) {
         if (!filter.empty() && c.path.rfind(filter, 0) != 0) continue;
         o.line("{:<58} {}", c.syntax, c.help);
         arr.push_back({{"command", c.path}, {"syntax", c.syntax}, {"help", c.help}});
       }
       if (o.json) o.j = arr;
     }}};

static CliRegistration show_rc{{"show running-config", "show running-config",
                                "commands that recreate the current configuration", [](Args& a, Out& o) {
                                  a.end();
                                  auto lines = running_config();
                                  for (auto& l : lines) o.line("{}", l);
                                  if (o.json) o.j = lines;
                                }}};

}  // namespace vp
