#include "tools/command_line.h"

#include <algorithm>
#include <charconv>

#include "tools/version.h"

namespace gregor::tools {

namespace {

bool is_option(const std::string& arg) { return arg.size() > 2 && arg.compare(0, 2, "--") == 0; }

}  // namespace

CommandLine::CommandLine(std::string description, std::vector<OptionSpec> specs)
    : description_(std::move(description)), specs_(std::move(specs)) {
  specs_.push_back({"help", OptionSpec::Arg::none, "Print usage information."});
  specs_.push_back({"version", OptionSpec::Arg::none, "Display the Gregor version."});
}

const OptionSpec* CommandLine::find(const std::string& name, std::string& error) const {
  const OptionSpec* match = nullptr;
  int prefix_matches = 0;
  for (const OptionSpec& spec : specs_) {
    if (spec.name == name) return &spec;
    if (spec.name.compare(0, name.size(), name) == 0) {
      match = &spec;
      ++prefix_matches;
    }
  }
  if (prefix_matches == 1) return match;
  error = prefix_matches == 0 ? name + " is not a recognized option" : "Option " + name + " is ambiguous";
  return nullptr;
}

std::optional<CommandLine::Stop> CommandLine::parse(const std::vector<std::string>& args, std::ostream& out,
                                                    std::ostream& err) {
  if (args.empty()) {
    err << description_ << '\n';
    print_usage(err);
    return Stop{1};
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!is_option(arg)) {
      err << "Found non-option argument " << arg << "; options start with --\n";
      return Stop{1};
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    std::string error;
    const OptionSpec* spec = find(name, error);
    if (!spec) {
      err << error << '\n';
      return Stop{1};
    }
    std::string value;
    switch (spec->arg) {
      case OptionSpec::Arg::none:
        if (inline_value) {
          err << "Option " << spec->name << " does not take an argument\n";
          return Stop{1};
        }
        break;
      case OptionSpec::Arg::required:
      case OptionSpec::Arg::optional: {
        // An optional value is the next argument only when that is no option itself.
        const bool takes_next =
            i + 1 < args.size() && (spec->arg == OptionSpec::Arg::required || !is_option(args[i + 1]));
        if (inline_value) {
          value = *inline_value;
        } else if (takes_next) {
          value = args[++i];
        } else if (spec->arg == OptionSpec::Arg::required) {
          err << "Option " << spec->name << " requires an argument\n";
          return Stop{1};
        }
        break;
      }
    }
    values_[spec->name].push_back(value);
  }
  if (has("help")) {
    out << description_ << '\n';
    print_usage(out);
    return Stop{0};
  }
  if (has("version")) {
    out << kGregorVersion << '\n';
    return Stop{0};
  }
  return std::nullopt;
}

std::string CommandLine::value(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.back().empty()) return fallback;
  return it->second.back();
}

std::vector<std::string> CommandLine::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<int32_t> CommandLine::int_value(const std::string& name, int32_t fallback, std::ostream& err) const {
  if (!has(name)) return fallback;
  const std::string text = value(name);
  int32_t parsed = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;  // Integer.valueOf takes a sign
  auto [ptr, ec] = std::from_chars(begin, end, parsed);
  if (begin == end || ec != std::errc() || ptr != end) {
    err << "Cannot parse argument '" << text << "' of option " << name << '\n';
    return std::nullopt;
  }
  return parsed;
}

bool CommandLine::require(const std::vector<std::string>& names, std::ostream& err) const {
  for (const std::string& name : names) {
    if (!has(name)) {
      err << "Missing required argument \"[" << name << "]\"\n";
      return false;
    }
  }
  return true;
}

void CommandLine::print_usage(std::ostream& out) const {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  for (const OptionSpec& spec : specs_) {
    std::string left = "--" + spec.name;
    if (spec.arg == OptionSpec::Arg::required) left += " <" + spec.arg_name + ">";
    if (spec.arg == OptionSpec::Arg::optional) left += " [" + spec.arg_name + "]";
    width = std::max(width, left.size());
    rows.emplace_back(std::move(left), spec.help);
  }
  std::sort(rows.begin(), rows.end());
  out << "Option" << std::string(width - 4, ' ') << "Description\n";
  out << "------" << std::string(width - 4, ' ') << "-----------\n";
  for (const auto& [left, help] : rows) out << left << std::string(width + 2 - left.size(), ' ') << help << '\n';
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) parts.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return parts;
}

Properties client_properties(const CommandLine& cl) {
  Properties props;
  if (cl.has("command-config")) props = load_properties(cl.value("command-config"));
  props["bootstrap.servers"] = cl.value("bootstrap-server");
  return props;
}

}  // namespace gregor::tools
