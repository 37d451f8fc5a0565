// Parsing and validating client properties, after Kafka's ConfigDef: the same types, parse rules
// and messages.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "gregor/config.h"

namespace gregor {

namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* type_name(ConfigType t) {
  switch (t) {
    case ConfigType::boolean: return "BOOLEAN";
    case ConfigType::string: return "STRING";
    case ConfigType::int32: return "INT";
    case ConfigType::int64: return "LONG";
    case ConfigType::float64: return "DOUBLE";
    case ConfigType::list: return "LIST";
    case ConfigType::class_name: return "CLASS";
    case ConfigType::password: return "PASSWORD";
  }
  return "?";
}

std::string format_number(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e18) return std::to_string(static_cast<int64_t>(v));
  std::ostringstream s;
  s << v;
  return s.str();
}

// Appends one logical line's escapes resolved (Java's Properties.load).
std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        if (i + 4 >= s.size()) throw ConfigException("Malformed \\uxxxx encoding in properties");
        unsigned cp = 0;
        try {
          cp = static_cast<unsigned>(std::stoul(std::string(s.substr(i + 1, 4)), nullptr, 16));
        } catch (...) {
          throw ConfigException("Malformed \\uxxxx encoding in properties");
        }
        i += 4;
        if (cp < 0x80) {
          out += static_cast<char>(cp);
        } else if (cp < 0x800) {
          out += static_cast<char>(0xC0 | (cp >> 6));
          out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
          out += static_cast<char>(0xE0 | (cp >> 12));
          out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
          out += static_cast<char>(0x80 | (cp & 0x3F));
        }
        break;
      }
      default: out += c;
    }
  }
  return out;
}

// A number that must take the whole (trimmed) text; not_a() makes the exception otherwise.
template <typename T, typename Parse, typename Fail>
T parse_whole(const std::string& text, Parse parse, Fail not_a) {
  size_t used = 0;
  T value{};
  try {
    value = parse(text, &used);
  } catch (...) {
    throw not_a();
  }
  if (text.empty() || used != text.size()) throw not_a();
  return value;
}

}  // namespace

Properties parse_properties(std::string_view text) {
  Properties props;
  std::vector<std::string> lines;
  std::string logical;
  bool continuing = false;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view l = line;
    size_t b = 0;
    while (b < l.size() && (l[b] == ' ' || l[b] == '\t' || l[b] == '\f')) ++b;
    l = l.substr(b);
    if (!continuing && (l.empty() || l[0] == '#' || l[0] == '!')) continue;
    // An odd number of trailing backslashes continues the line.
    size_t slashes = 0;
    while (slashes < l.size() && l[l.size() - 1 - slashes] == '\\') ++slashes;
    if (slashes % 2 == 1) {
      logical += l.substr(0, l.size() - 1);
      continuing = true;
      continue;
    }
    logical += l;
    continuing = false;
    lines.push_back(std::move(logical));
    logical.clear();
  }
  if (continuing) lines.push_back(std::move(logical));
  for (const std::string& entry : lines) {
    size_t i = 0;
    for (; i < entry.size(); ++i) {
      char c = entry[i];
      if (c == '\\') {
        ++i;
        continue;
      }
      if (c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f') break;
    }
    std::string key = unescape(std::string_view(entry).substr(0, std::min(i, entry.size())));
    size_t v = i;
    while (v < entry.size() && (entry[v] == ' ' || entry[v] == '\t' || entry[v] == '\f')) ++v;
    if (v < entry.size() && (entry[v] == '=' || entry[v] == ':')) ++v;
    while (v < entry.size() && (entry[v] == ' ' || entry[v] == '\t' || entry[v] == '\f')) ++v;
    props[key] = unescape(std::string_view(entry).substr(std::min(v, entry.size())));
  }
  return props;
}

Properties load_properties(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigException("Could not read properties file " + path);
  std::stringstream s;
  s << in.rdbuf();
  return parse_properties(s.str());
}

ConfigDef& ConfigDef::define(ConfigKey key) {
  std::string name = key.name;
  keys_[name] = std::move(key);
  return *this;
}

const ConfigKey* ConfigDef::find(std::string_view name) const {
  auto it = keys_.find(name);
  return it == keys_.end() ? nullptr : &it->second;
}

ConfigValues ConfigDef::parse(const Properties& props) const {
  for (const auto& [name, value] : props) {
    if (!find(name)) throw ConfigException("Unknown configuration '" + name + "'");
  }
  ConfigValues out;
  out.originals_ = props;
  for (const auto& [name, key] : keys_) {
    ConfigValues::Value v;
    v.type = key.type;
    auto given = props.find(name);
    if (given != props.end()) {
      v.raw = given->second;
    } else if (!key.has_default) {
      throw ConfigException("Missing required configuration \"" + name + "\" which has no default value.");
    } else {
      v.raw = key.default_value;
    }
    const std::string shown = v.raw ? *v.raw : "null";
    if (v.raw) {
      const std::string t = trim(*v.raw);
      auto not_a = [&] { return ConfigException(name, shown, std::string("Not a number of type ") + type_name(key.type)); };
      switch (key.type) {
        case ConfigType::boolean:
          if (lower(t) == "true") v.b = true;
          else if (lower(t) == "false") v.b = false;
          else throw ConfigException(name, shown, "Expected value to be either true or false");
          break;
        case ConfigType::int32:
        case ConfigType::int64:
          v.i = parse_whole<int64_t>(t, [](const std::string& x, size_t* used) { return std::stoll(x, used); }, not_a);
          if (key.type == ConfigType::int32 &&
              (v.i < std::numeric_limits<int32_t>::min() || v.i > std::numeric_limits<int32_t>::max()))
            throw not_a();
          v.d = static_cast<double>(v.i);
          break;
        case ConfigType::float64:
          v.d = parse_whole<double>(t, [](const std::string& x, size_t* used) { return std::stod(x, used); }, not_a);
          break;
        case ConfigType::list: {
          if (!t.empty()) {
            std::stringstream s(t);
            for (std::string item; std::getline(s, item, ',');) v.list.push_back(trim(item));
          }
          if (key.list_non_empty && v.list.empty()) throw ConfigException(name, shown, "Empty list");
          break;
        }
        case ConfigType::string:
        case ConfigType::class_name:
        case ConfigType::password:
          v.raw = key.type == ConfigType::string ? t : *v.raw;
          break;
      }
      const bool numeric = key.type == ConfigType::int32 || key.type == ConfigType::int64 ||
                           key.type == ConfigType::float64;
      if (numeric && key.min && v.d < *key.min)
        throw ConfigException(name, shown, "Value must be at least " + format_number(*key.min));
      if (numeric && key.max && v.d > *key.max)
        throw ConfigException(name, shown, "Value must be no more than " + format_number(*key.max));
      if (!key.one_of.empty() && key.type == ConfigType::string) {
        auto same = [&](const std::string& allowed) {
          return key.case_insensitive ? lower(allowed) == lower(*v.raw) : allowed == *v.raw;
        };
        if (std::none_of(key.one_of.begin(), key.one_of.end(), same)) {
          std::string all;
          for (const std::string& a : key.one_of) all += (all.empty() ? "" : ", ") + a;
          throw ConfigException(name, shown, "String must be one of: " + all);
        }
      }
    }
    out.values_[name] = std::move(v);
  }
  return out;
}

const ConfigValues::Value& ConfigValues::at(std::string_view name, ConfigType type) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw ConfigException("Unknown configuration '" + std::string(name) + "'");
  const bool compatible = it->second.type == type ||
                          (type == ConfigType::string && (it->second.type == ConfigType::class_name ||
                                                          it->second.type == ConfigType::password));
  if (!compatible)
    throw ConfigException("Configuration " + std::string(name) + " is not of type " + type_name(type));
  return it->second;
}

bool ConfigValues::get_bool(std::string_view name) const { return at(name, ConfigType::boolean).b; }
int32_t ConfigValues::get_int(std::string_view name) const {
  return static_cast<int32_t>(at(name, ConfigType::int32).i);
}
int64_t ConfigValues::get_long(std::string_view name) const { return at(name, ConfigType::int64).i; }
double ConfigValues::get_double(std::string_view name) const { return at(name, ConfigType::float64).d; }
std::string ConfigValues::get_string(std::string_view name) const {
  return at(name, ConfigType::string).raw.value_or("");
}
std::optional<std::string> ConfigValues::get_optional_string(std::string_view name) const {
  return at(name, ConfigType::string).raw;
}
std::vector<std::string> ConfigValues::get_list(std::string_view name) const {
  return at(name, ConfigType::list).list;
}
bool ConfigValues::originally_set(std::string_view name) const {
  return originals_.find(std::string(name)) != originals_.end();
}

}  // namespace gregor
