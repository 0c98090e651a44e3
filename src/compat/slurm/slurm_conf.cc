#include "compat/slurm/slurm_conf.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "common/strings.h"
#include "compat/slurm/hostlist.h"
#include "compat/slurm/time_format.h"

namespace sluice::compat::slurm {
namespace {

using core::cluster::ClusterConfig;
using core::cluster::NodeConfig;
using core::model::Partition;

struct KeyValue {
  std::string key;  // lower case
  std::string value;
};

// One logical line (continuations joined) with the number of its first physical line.
struct Line {
  int number = 0;
  std::vector<KeyValue> words;
};

std::string Where(std::string_view source, int line) {
  return std::string(source) + " line " + std::to_string(line) + ": ";
}

// Splits a line into Key=Value words; values may be quoted with "...".
Result<std::vector<KeyValue>> SplitWords(std::string_view text, std::string_view where) {
  std::vector<KeyValue> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    std::string word;
    bool quoted = false;
    while (i < text.size() && (quoted || !std::isspace(static_cast<unsigned char>(text[i])))) {
      if (text[i] == '"') {
        quoted = !quoted;
      } else {
        word += text[i];
      }
      ++i;
    }
    if (quoted) return InvalidArgument(std::string(where) + "unterminated quote");
    size_t eq = word.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument(std::string(where) + "expected Key=Value, got \"" + word + "\"");
    }
    out.push_back({str::ToLower(word.substr(0, eq)), word.substr(eq + 1)});
  }
  return out;
}

Result<std::vector<Line>> SplitLines(std::string_view text, std::string_view source) {
  std::vector<Line> out;
  std::vector<std::string> physical = str::Split(text, '\n');
  std::string pending;
  int start = 0;
  for (size_t n = 0; n < physical.size(); ++n) {
    std::string line = physical[n];
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // A '#' starts a comment unless escaped as "\#".
    std::string kept;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '#') {
        kept += '#';
        ++i;
      } else if (line[i] == '#') {
        break;
      } else {
        kept += line[i];
      }
    }
    if (pending.empty()) start = static_cast<int>(n + 1);
    std::string_view trimmed = str::Trim(kept);
    if (!trimmed.empty() && trimmed.back() == '\\') {
      pending += std::string(trimmed.substr(0, trimmed.size() - 1)) + " ";
      continue;
    }
    pending += std::string(trimmed);
    if (!str::Trim(pending).empty()) {
      SLUICE_ASSIGN_OR_RETURN(std::vector<KeyValue> words,
                              SplitWords(pending, Where(source, start)));
      out.push_back({start, std::move(words)});
    }
    pending.clear();
  }
  if (!str::Trim(pending).empty()) {
    SLUICE_ASSIGN_OR_RETURN(std::vector<KeyValue> words, SplitWords(pending, Where(source, start)));
    out.push_back({start, std::move(words)});
  }
  return out;
}

Status ParseCount(const KeyValue& kv, std::string_view where, uint64_t max, uint64_t* out) {
  if (!str::ParseUint(kv.value, out) || *out > max) {
    return InvalidArgument(std::string(where) + "invalid number \"" + kv.value + "\" for " +
                           kv.key);
  }
  return Status::Ok();
}

Status ParseU32(const KeyValue& kv, std::string_view where, uint32_t* out) {
  uint64_t v = 0;
  SLUICE_RETURN_IF_ERROR(ParseCount(kv, where, UINT32_MAX, &v));
  *out = static_cast<uint32_t>(v);
  return Status::Ok();
}

Status ParseSeconds(const KeyValue& kv, std::string_view where, Seconds* out) {
  uint64_t v = 0;
  SLUICE_RETURN_IF_ERROR(ParseCount(kv, where, UINT32_MAX, &v));
  *out = static_cast<Seconds>(v);
  return Status::Ok();
}

Result<Seconds> ParseLimit(const KeyValue& kv, std::string_view where) {
  auto t = ParseTimeLimit(kv.value);
  if (!t.ok()) {
    return InvalidArgument(std::string(where) + "invalid time \"" + kv.value + "\" for " + kv.key);
  }
  return *t;
}

Result<bool> ParseYesNo(const KeyValue& kv, std::string_view where) {
  std::string v = str::ToUpper(kv.value);
  if (v == "YES") return true;
  if (v == "NO") return false;
  return InvalidArgument(std::string(where) + "expected YES or NO for " + kv.key + ", got \"" +
                         kv.value + "\"");
}

// A NodeName line's settings; which were given decides how CPUs and sockets are derived.
struct NodeFields {
  std::optional<uint32_t> cpus, sockets, cores, threads;
  std::optional<uint64_t> memory;
};

Status ParseNodeFields(const Line& line, std::string_view where, NodeFields* f) {
  for (size_t i = 1; i < line.words.size(); ++i) {
    const KeyValue& kv = line.words[i];
    uint32_t v = 0;
    if (kv.key == "cpus" || kv.key == "procs") {
      SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &v));
      f->cpus = v;
    } else if (kv.key == "sockets") {
      SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &v));
      f->sockets = v;
    } else if (kv.key == "corespersocket") {
      SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &v));
      f->cores = v;
    } else if (kv.key == "threadspercore") {
      SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &v));
      f->threads = v;
    } else if (kv.key == "realmemory") {
      uint64_t m = 0;
      SLUICE_RETURN_IF_ERROR(ParseCount(kv, where, UINT64_MAX / 2, &m));
      f->memory = m;
    }
  }
  return Status::Ok();
}

NodeFields Merge(const NodeFields& defaults, const NodeFields& own) {
  NodeFields f = defaults;
  if (own.cpus) f.cpus = own.cpus;
  if (own.sockets) f.sockets = own.sockets;
  if (own.cores) f.cores = own.cores;
  if (own.threads) f.threads = own.threads;
  if (own.memory) f.memory = own.memory;
  return f;
}

NodeConfig MakeNode(const std::string& name, const NodeFields& f) {
  NodeConfig n;
  n.name = name;
  n.sockets = f.sockets.value_or(1);
  n.cores_per_socket = f.cores.value_or(1);
  n.threads_per_core = f.threads.value_or(1);
  if (f.cpus) {
    n.cpus = *f.cpus;
    // Slurm: CPUs alone describes that many single-core sockets.
    if (!f.sockets && !f.cores && !f.threads) n.sockets = n.cpus;
  } else {
    n.cpus = n.sockets * n.cores_per_socket * n.threads_per_core;
  }
  n.memory_mb = f.memory.value_or(1);
  return n;
}

struct PartitionLine {
  int line = 0;
  Partition partition;
  std::optional<std::string> nodes_expr;
};

Status ParsePartitionFields(const Line& line, std::string_view where, PartitionLine* p) {
  for (size_t i = 1; i < line.words.size(); ++i) {
    const KeyValue& kv = line.words[i];
    Partition& part = p->partition;
    if (kv.key == "nodes") {
      p->nodes_expr = kv.value;
    } else if (kv.key == "default") {
      SLUICE_ASSIGN_OR_RETURN(part.is_default, ParseYesNo(kv, where));
    } else if (kv.key == "maxtime") {
      SLUICE_ASSIGN_OR_RETURN(part.max_time, ParseLimit(kv, where));
    } else if (kv.key == "defaulttime") {
      if (str::ToUpper(kv.value) == "NONE") {
        part.default_time.reset();
      } else {
        SLUICE_ASSIGN_OR_RETURN(part.default_time, ParseLimit(kv, where));
      }
    } else if (kv.key == "state") {
      std::string v = str::ToUpper(kv.value);
      if (v == "UP") {
        part.up = true;
      } else if (v == "DOWN" || v == "DRAIN" || v == "INACTIVE") {
        part.up = false;  // none of these accepts new jobs to run
      } else {
        return InvalidArgument(std::string(where) + "invalid partition State \"" + kv.value + "\"");
      }
    } else if (kv.key == "defmempercpu") {
      SLUICE_RETURN_IF_ERROR(ParseCount(kv, where, UINT64_MAX / 2, &part.def_mem_per_cpu_mb));
    }
  }
  return Status::Ok();
}

Result<ClusterConfig> Parse(std::string_view text, std::string_view source) {
  SLUICE_ASSIGN_OR_RETURN(std::vector<Line> lines, SplitLines(text, source));
  ClusterConfig config;
  NodeFields node_defaults;
  PartitionLine partition_defaults;
  std::vector<PartitionLine> partition_lines;
  std::map<std::string, int> node_line;  // name -> line that defined it

  for (const Line& line : lines) {
    std::string where = Where(source, line.number);
    const KeyValue& first = line.words[0];
    if (first.key == "nodename") {
      NodeFields own;
      SLUICE_RETURN_IF_ERROR(ParseNodeFields(line, where, &own));
      if (str::ToUpper(first.value) == "DEFAULT") {
        node_defaults = Merge(node_defaults, own);
        continue;
      }
      auto names = ExpandHostlist(first.value);
      if (!names.ok()) return InvalidArgument(where + names.status().message());
      NodeFields merged = Merge(node_defaults, own);
      for (const std::string& name : *names) {
        auto [it, inserted] = node_line.emplace(name, line.number);
        if (!inserted) {
          return InvalidArgument(where + "node " + name + " already defined on line " +
                                 std::to_string(it->second));
        }
        config.nodes.push_back(MakeNode(name, merged));
      }
    } else if (first.key == "partitionname") {
      PartitionLine p = partition_defaults;
      p.line = line.number;
      SLUICE_RETURN_IF_ERROR(ParsePartitionFields(line, where, &p));
      if (str::ToUpper(first.value) == "DEFAULT") {
        partition_defaults = p;
        continue;
      }
      p.partition.name = first.value;
      for (const auto& other : partition_lines) {
        if (other.partition.name == p.partition.name) {
          return InvalidArgument(where + "partition " + p.partition.name +
                                 " already defined on line " + std::to_string(other.line));
        }
      }
      partition_lines.push_back(std::move(p));
    } else {
      for (const KeyValue& kv : line.words) {
        if (kv.key == "clustername") {
          config.cluster_name = kv.value;
        } else if (kv.key == "killwait") {
          SLUICE_RETURN_IF_ERROR(ParseSeconds(kv, where, &config.kill_wait));
        } else if (kv.key == "minjobage") {
          SLUICE_RETURN_IF_ERROR(ParseSeconds(kv, where, &config.min_job_age));
        } else if (kv.key == "slurmdtimeout") {
          SLUICE_RETURN_IF_ERROR(ParseSeconds(kv, where, &config.node_timeout));
        } else if (kv.key == "defmempercpu") {
          SLUICE_RETURN_IF_ERROR(ParseCount(kv, where, UINT64_MAX / 2, &config.def_mem_per_cpu_mb));
        } else if (kv.key == "firstjobid") {
          SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &config.first_job_id));
        }
      }
    }
  }

  // Partitions are resolved last: slurm.conf may name nodes defined further down.
  for (PartitionLine& p : partition_lines) {
    std::string where = Where(source, p.line);
    Partition& part = p.partition;
    part.nodes_expr = p.nodes_expr.value_or("");
    if (str::ToUpper(part.nodes_expr) == "ALL") {
      for (const auto& n : config.nodes) part.nodes.push_back(n.name);
    } else if (!part.nodes_expr.empty()) {
      auto names = ExpandHostlist(part.nodes_expr);
      if (!names.ok()) return InvalidArgument(where + names.status().message());
      for (const std::string& name : *names) {
        if (node_line.count(name) == 0) {
          return InvalidArgument(where + "partition " + part.name + " names undefined node " +
                                 name);
        }
        part.nodes.push_back(name);
      }
    }
    config.partitions.push_back(std::move(part));
  }
  return config;
}

}  // namespace

Result<ClusterConfig> ParseSlurmConf(std::string_view text) { return Parse(text, "slurm.conf"); }

Result<ClusterConfig> LoadSlurmConf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return NotFound("cannot read " + path + ": " + std::strerror(errno));
  return Parse(buf.str(), path);
}

}  // namespace sluice::compat::slurm
