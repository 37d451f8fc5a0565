// The command-line conventions of Kafka's tools (jopt-simple under CommandDefaultOptions):
// long options only, "--name value" or "--name=value", a unique prefix of a name standing for
// it, --help and --version everywhere, and a one-line error for a bad command line.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gregor/config.h"

namespace gregor::tools {

struct OptionSpec {
  enum class Arg { none, required, optional };
  std::string name;  // without the leading "--"
  Arg arg = Arg::none;
  std::string help;
  std::string arg_name = "";  // how the usage names its value
};

class CommandLine {
 public:
  // What parse() decided: go on, or stop with an exit code (help printed, or a bad command line
  // reported on err).
  struct Stop {
    int exit_code;
  };

  CommandLine(std::string description, std::vector<OptionSpec> specs);

  // Parses args (without the program and subcommand names). Prints the usage for --help (and to
  // err, exit 1, for no arguments at all, as Kafka's tools do) and the version for --version.
  std::optional<Stop> parse(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  // The option's last value; fallback when it was not given or given without one.
  std::string value(const std::string& name, const std::string& fallback = "") const;
  // Every value of a repeated option, in order.
  std::vector<std::string> values(const std::string& name) const;
  // An integer option: its value, or fallback when absent; an error line on err (and nullopt)
  // when the value is not an int32, worded as jopt-simple words it.
  std::optional<int32_t> int_value(const std::string& name, int32_t fallback, std::ostream& err) const;
  // Checks that each option is present; reports the first missing one as Kafka does.
  bool require(const std::vector<std::string>& names, std::ostream& err) const;

  void print_usage(std::ostream& out) const;

 private:
  const OptionSpec* find(const std::string& name, std::string& error) const;

  std::string description_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::vector<std::string>> values_;  // "" for an option without a value
};

// A bad command line found while running (Kafka's IllegalArgumentException and the like): the
// tools print its message alone.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The client properties of a tool: --command-config's file, with --bootstrap-server's value.
Properties client_properties(const CommandLine& cl);

// "a,b,,c" -> {"a", "b", "c"}: Kafka's comma-separated lists, empty entries dropped.
std::vector<std::string> split_list(const std::string& s);

}  // namespace gregor::tools
