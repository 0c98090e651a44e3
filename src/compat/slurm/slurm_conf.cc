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
#include "core/model/node.h"
#include "core/sched/framework.h"

namespace sluice::compat::slurm {
namespace {

using core::cluster::AccountConfig;
using core::cluster::ClusterConfig;
using core::cluster::NodeConfig;
using core::cluster::QosConfig;
using core::cluster::UserConfig;
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

// A duration in Slurm's time notation ("7-0", "30", "1:00:00"); "0" is zero, not unlimited.
Result<Seconds> ParseDuration(const KeyValue& kv, std::string_view where) {
  if (str::Trim(kv.value) == "0") return 0;
  auto t = ParseTimeLimit(kv.value);
  if (!t.ok() || *t == kUnlimited) {
    return InvalidArgument(std::string(where) + "invalid time \"" + kv.value + "\" for " + kv.key);
  }
  return *t;
}

// A count where UNLIMITED (or INFINITE) is 0.
Status ParseU32OrUnlimited(const KeyValue& kv, std::string_view where, uint32_t* out) {
  std::string v = str::ToUpper(kv.value);
  if (v == "UNLIMITED" || v == "INFINITE") {
    *out = 0;
    return Status::Ok();
  }
  return ParseU32(kv, where, out);
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
  std::optional<std::vector<std::string>> features;
  std::optional<uint32_t> weight;
  std::optional<std::vector<std::pair<std::string, uint32_t>>> gpus;  // Gres=gpu: type, count
  std::optional<uint64_t> gpu_memory;                                 // GpuMemory=, per GPU
  std::optional<std::vector<uint32_t>> gpu_sockets;                   // GpuSockets=
  std::optional<uint32_t> mps_capacity;                               // MpsCapacity= (percent)
  std::optional<uint32_t> gpu_util_threshold;                         // GpuUtilThreshold= (%)
};

// Gres=gpu[:TYPE][:N],mps:N,shard:N: the GPU items in order (N defaults to 1). mps and shard
// items, which Slurm needs, are checked and ignored: Sluice gives every GPU a share capacity.
Status ParseNodeGres(const KeyValue& kv, std::string_view where,
                     std::vector<std::pair<std::string, uint32_t>>* gpus) {
  gpus->clear();
  for (const std::string& part : str::Split(kv.value, ',')) {
    std::string item(str::Trim(part));
    if (item.empty()) continue;
    std::vector<std::string> f = str::Split(item, ':');
    const std::string name = str::ToLower(f[0]);
    uint64_t n = 1;
    std::string type;
    bool ok = true;
    if (name == "gpu") {
      if (f.size() == 3) {
        type = f[1];
        ok = !type.empty() && str::ParseUint(f[2], &n);
      } else if (f.size() == 2) {
        ok = str::ParseUint(f[1], &n);
      } else {
        ok = f.size() == 1;
      }
      ok = ok && n <= 1024;
      if (ok) gpus->emplace_back(type, static_cast<uint32_t>(n));
    } else if (name == "mps" || name == "shard") {
      ok = f.size() == 2 && str::ParseUint(f[1], &n);
    } else {
      return InvalidArgument(std::string(where) + "unsupported Gres \"" + item +
                             "\" (gpu, mps or shard)");
    }
    if (!ok) return InvalidArgument(std::string(where) + "invalid Gres \"" + item + "\"");
  }
  return Status::Ok();
}

// A node's count of CPUs, sockets, cores or threads: at most core::model::kMaxNodeCpus, as
// Slurm keeps them in 16 bits.
Status ParseNodeCount(const KeyValue& kv, std::string_view where, uint32_t* out) {
  SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, out));
  if (*out > core::model::kMaxNodeCpus) {
    return InvalidArgument(std::string(where) + kv.key + "=" + kv.value +
                           " is more than a node may have (" +
                           std::to_string(core::model::kMaxNodeCpus) + ")");
  }
  return Status::Ok();
}

Status ParseNodeFields(const Line& line, std::string_view where, NodeFields* f) {
  for (size_t i = 1; i < line.words.size(); ++i) {
    const KeyValue& kv = line.words[i];
    uint32_t v = 0;
    if (kv.key == "cpus" || kv.key == "procs") {
      SLUICE_RETURN_IF_ERROR(ParseNodeCount(kv, where, &v));
      f->cpus = v;
    } else if (kv.key == "sockets") {
      SLUICE_RETURN_IF_ERROR(ParseNodeCount(kv, where, &v));
      f->sockets = v;
    } else if (kv.key == "corespersocket") {
      SLUICE_RETURN_IF_ERROR(ParseNodeCount(kv, where, &v));
      f->cores = v;
    } else if (kv.key == "threadspercore") {
      SLUICE_RETURN_IF_ERROR(ParseNodeCount(kv, where, &v));
      f->threads = v;
    } else if (kv.key == "realmemory") {
      uint64_t m = 0;
      SLUICE_RETURN_IF_ERROR(ParseCount(kv, where, UINT64_MAX / 2, &m));
      f->memory = m;
    } else if (kv.key == "feature" || kv.key == "features") {
      std::vector<std::string> features;
      for (const std::string& part : str::Split(kv.value, ',')) {
        std::string_view name = str::Trim(part);
        if (!name.empty()) features.emplace_back(name);
      }
      f->features = std::move(features);
    } else if (kv.key == "weight") {
      SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &v));
      f->weight = v;
    } else if (kv.key == "gres") {
      f->gpus.emplace();
      SLUICE_RETURN_IF_ERROR(ParseNodeGres(kv, where, &*f->gpus));
    } else if (kv.key == "gpumemory") {
      auto mb = ParseMemoryMb(kv.value);
      if (!mb.ok()) {
        return InvalidArgument(std::string(where) + "invalid size \"" + kv.value + "\" for " +
                               kv.key);
      }
      f->gpu_memory = *mb;
    } else if (kv.key == "gpusockets") {
      std::vector<uint32_t> sockets;
      for (const std::string& part : str::Split(kv.value, ',')) {
        SLUICE_RETURN_IF_ERROR(ParseU32({kv.key, std::string(str::Trim(part))}, where, &v));
        sockets.push_back(v);
      }
      f->gpu_sockets = std::move(sockets);
    } else if (kv.key == "mpscapacity") {
      SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &v));
      if (v == 0) return InvalidArgument(std::string(where) + "MpsCapacity must be at least 1");
      f->mps_capacity = v;
    } else if (kv.key == "gpuutilthreshold") {
      SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &v));
      if (v > 100) {
        return InvalidArgument(std::string(where) +
                               "GpuUtilThreshold is a percentage (0-100), "
                               "got \"" +
                               kv.value + "\"");
      }
      f->gpu_util_threshold = v;
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
  if (own.features) f.features = own.features;
  if (own.weight) f.weight = own.weight;
  if (own.gpus) f.gpus = own.gpus;
  if (own.gpu_memory) f.gpu_memory = own.gpu_memory;
  if (own.gpu_sockets) f.gpu_sockets = own.gpu_sockets;
  if (own.mps_capacity) f.mps_capacity = own.mps_capacity;
  if (own.gpu_util_threshold) f.gpu_util_threshold = own.gpu_util_threshold;
  return f;
}

size_t TotalGpus(const NodeFields& f) {
  size_t n = 0;
  if (f.gpus) {
    for (const auto& [type, count] : *f.gpus) n += count;
  }
  return n;
}

// The GPUs a node's fields describe: indexes 0..N-1 over the Gres=gpu items in order.
std::vector<core::model::Gpu> MakeGpus(const NodeFields& f) {
  std::vector<core::model::Gpu> gpus;
  if (!f.gpus) return gpus;
  for (const auto& [type, count] : *f.gpus) {
    for (uint32_t i = 0; i < count; ++i) {
      core::model::Gpu g;
      g.index = static_cast<uint32_t>(gpus.size());
      g.type = type;
      g.memory_mb = f.gpu_memory.value_or(0);
      if (f.gpu_sockets) g.socket = (*f.gpu_sockets)[g.index];
      g.share_capacity = f.mps_capacity.value_or(100);
      gpus.push_back(std::move(g));
    }
  }
  return gpus;
}

// GpuSockets= must name a socket for every GPU, each below the node's socket count.
Status CheckGpuSockets(const NodeFields& f, const core::cluster::NodeConfig& node,
                       std::string_view where) {
  if (!f.gpu_sockets) return Status::Ok();
  const size_t gpus = TotalGpus(f);
  if (f.gpu_sockets->size() != gpus) {
    return InvalidArgument(std::string(where) + "GpuSockets names " +
                           std::to_string(f.gpu_sockets->size()) + " sockets for " +
                           std::to_string(gpus) + " GPUs");
  }
  for (uint32_t s : *f.gpu_sockets) {
    if (s >= node.sockets) {
      return InvalidArgument(std::string(where) + "GpuSockets names socket " + std::to_string(s) +
                             " of a node with " + std::to_string(node.sockets) + " sockets");
    }
  }
  return Status::Ok();
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
  n.features = f.features.value_or(std::vector<std::string>{});
  n.weight = f.weight.value_or(1);
  // GpuSockets is checked against the GPU count (CheckGpuSockets) before this runs.
  if (!f.gpu_sockets || f.gpu_sockets->size() == TotalGpus(f)) n.gpus = MakeGpus(f);
  n.gpu_overprovision_threshold = f.gpu_util_threshold.value_or(50) / 100.0;
  return n;
}

// A node placement policy name (a scheduler Score plugin), as written; `key` names it in errors.
Result<std::string> ParsePlacement(const KeyValue& kv, std::string_view where,
                                   std::string_view key) {
  if (!core::sched::KnownPlacement(kv.value)) {
    return InvalidArgument(std::string(where) + "unknown " + std::string(key) + " \"" + kv.value +
                           "\" (" + core::sched::PlacementNamesForMessage() + ")");
  }
  return kv.value;
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
      if (v == "UP" || v == "DOWN" || v == "DRAIN" || v == "INACTIVE") {
        part.up = v == "UP" || v == "DRAIN";
        part.accepts_jobs = v == "UP" || v == "DOWN";
      } else {
        return InvalidArgument(std::string(where) + "invalid partition State \"" + kv.value + "\"");
      }
    } else if (kv.key == "defmempercpu") {
      SLUICE_RETURN_IF_ERROR(ParseCount(kv, where, UINT64_MAX / 2, &part.def_mem_per_cpu_mb));
    } else if (kv.key == "maxnodes") {
      SLUICE_RETURN_IF_ERROR(ParseU32OrUnlimited(kv, where, &part.max_nodes));
    } else if (kv.key == "maxcpuspernode") {
      SLUICE_RETURN_IF_ERROR(ParseU32OrUnlimited(kv, where, &part.max_cpus_per_node));
    } else if (kv.key == "priorityjobfactor") {
      SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &part.priority_job_factor));
    } else if (kv.key == "placement") {
      SLUICE_ASSIGN_OR_RETURN(part.placement, ParsePlacement(kv, where, "Placement"));
    }
  }
  return Status::Ok();
}

// SchedulerParameters: Slurm's comma list of options; those Sluice does not model are ignored.
Status ParseSchedulerParameters(const KeyValue& kv, std::string_view where,
                                core::cluster::SchedulerConfig* sched) {
  for (const std::string& part : str::Split(kv.value, ',')) {
    std::string_view item = str::Trim(part);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    KeyValue option{str::ToLower(item.substr(0, eq)),
                    eq == std::string_view::npos ? "" : std::string(item.substr(eq + 1))};
    uint32_t v = 0;
    if (option.key == "bf_window") {  // minutes
      SLUICE_RETURN_IF_ERROR(ParseU32(option, where, &v));
      sched->bf_window = static_cast<Seconds>(v) * 60;
    } else if (option.key == "bf_resolution") {  // seconds
      SLUICE_RETURN_IF_ERROR(ParseU32(option, where, &v));
      sched->bf_resolution = v;
    } else if (option.key == "bf_max_job_test") {
      SLUICE_RETURN_IF_ERROR(ParseU32(option, where, &sched->bf_max_job_test));
    } else if (option.key == "default_queue_depth") {
      SLUICE_RETURN_IF_ERROR(ParseU32(option, where, &sched->default_queue_depth));
    } else if (option.key == "bf_interval") {
      uint32_t seconds = 0;
      SLUICE_RETURN_IF_ERROR(ParseU32(option, where, &seconds));
      sched->bf_interval = seconds;
    } else if (option.key == "bf_continue") {
      sched->bf_continue = true;
    }
  }
  return Status::Ok();
}

// A QOS count limit: N, or -1 / UNLIMITED / INFINITE for none (0).
Status ParseQosCount(const KeyValue& kv, std::string_view where, uint32_t* out) {
  if (str::Trim(kv.value) == "-1") {
    *out = 0;
    return Status::Ok();
  }
  return ParseU32OrUnlimited(kv, where, out);
}

// A TRES limit list in Slurm's syntax, "cpu=8,mem=16G,node=2,gres/gpu=4"; a TRES not named, or
// given -1, has no limit (0). Memory takes ParseMemoryMb's units (MB without one).
Status ParseTresLimits(const KeyValue& kv, std::string_view where, core::cluster::Tres* out) {
  *out = {};
  for (const std::string& part : str::Split(kv.value, ',')) {
    std::string_view item = str::Trim(part);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string name = str::ToLower(str::Trim(item.substr(0, eq)));
    std::string_view value = eq == std::string_view::npos ? "" : str::Trim(item.substr(eq + 1));
    uint64_t* field = nullptr;
    if (name == "cpu") {
      field = &out->cpu;
    } else if (name == "mem") {
      field = &out->mem_mb;
    } else if (name == "node") {
      field = &out->node;
    } else if (name == "gres/gpu") {
      field = &out->gpu;
    } else {
      return InvalidArgument(std::string(where) + "unsupported TRES \"" + std::string(item) +
                             "\" for " + kv.key + " (cpu, mem, node or gres/gpu)");
    }
    bool ok = true;
    if (value == "-1") {
      *field = 0;
    } else if (field == &out->mem_mb) {
      auto mb = ParseMemoryMb(value);
      ok = mb.ok();
      if (ok) *field = *mb;
    } else {
      ok = str::ParseUint(value, field);
    }
    if (!ok) {
      return InvalidArgument(std::string(where) + "invalid TRES \"" + std::string(item) +
                             "\" for " + kv.key);
    }
  }
  return Status::Ok();
}

// The association lines Sluice reads until accounting moves to its own store, each with the line
// that defined it for errors found once all lines are read.
struct Associations {
  std::vector<std::pair<AccountConfig, int>> accounts;
  std::vector<std::pair<UserConfig, int>> users;
  std::vector<std::pair<QosConfig, int>> qos;
};

Status ParseAssociationLine(const Line& line, std::string_view where, Associations* a) {
  const KeyValue& first = line.words[0];
  if (first.value.empty()) return InvalidArgument(std::string(where) + first.key + " needs a name");
  if (first.key == "account") {
    AccountConfig account;
    account.name = first.value;
    for (size_t i = 1; i < line.words.size(); ++i) {
      const KeyValue& kv = line.words[i];
      if (kv.key == "parent") {
        account.parent = kv.value == "root" ? "" : kv.value;
      } else if (kv.key == "fairshare") {
        SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &account.fairshare));
      }
    }
    for (const auto& [other, other_line] : a->accounts) {
      if (other.name == account.name) {
        return InvalidArgument(std::string(where) + "account " + account.name +
                               " already defined on line " + std::to_string(other_line));
      }
    }
    a->accounts.emplace_back(std::move(account), line.number);
  } else if (first.key == "user") {
    UserConfig user;
    user.name = first.value;
    for (size_t i = 1; i < line.words.size(); ++i) {
      const KeyValue& kv = line.words[i];
      if (kv.key == "account") {
        user.account = kv.value;
      } else if (kv.key == "fairshare") {
        SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &user.fairshare));
      } else if (kv.key == "defaultaccount" || kv.key == "default") {
        SLUICE_ASSIGN_OR_RETURN(user.is_default, ParseYesNo(kv, where));
      }
    }
    if (user.account.empty()) {
      return InvalidArgument(std::string(where) + "user " + user.name + " needs Account=");
    }
    for (const auto& [other, other_line] : a->users) {
      if (other.name == user.name && other.account == user.account) {
        return InvalidArgument(std::string(where) + "user " + user.name + " in account " +
                               user.account + " already defined on line " +
                               std::to_string(other_line));
      }
      if (other.name == user.name && other.is_default && user.is_default) {
        return InvalidArgument(std::string(where) + "user " + user.name +
                               " already has a default account on line " +
                               std::to_string(other_line));
      }
    }
    a->users.emplace_back(std::move(user), line.number);
  } else {
    QosConfig qos;
    qos.name = first.value;
    for (size_t i = 1; i < line.words.size(); ++i) {
      const KeyValue& kv = line.words[i];
      if (kv.key == "priority") {
        SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &qos.priority));
      } else if (kv.key == "maxjobsperuser" || kv.key == "maxjobspu") {
        SLUICE_RETURN_IF_ERROR(ParseQosCount(kv, where, &qos.max_jobs_per_user));
      } else if (kv.key == "maxsubmitjobsperuser" || kv.key == "maxsubmitjobspu") {
        SLUICE_RETURN_IF_ERROR(ParseQosCount(kv, where, &qos.max_submit_jobs_per_user));
      } else if (kv.key == "maxtresperuser" || kv.key == "maxtrespu") {
        SLUICE_RETURN_IF_ERROR(ParseTresLimits(kv, where, &qos.max_tres_per_user));
      } else if (kv.key == "maxtresrunminsperuser" || kv.key == "maxtresrunminspu") {
        SLUICE_RETURN_IF_ERROR(ParseTresLimits(kv, where, &qos.max_tres_run_mins_per_user));
      } else if (kv.key == "maxwall" || kv.key == "maxwalldurationperjob") {
        SLUICE_ASSIGN_OR_RETURN(qos.max_wall, ParseLimit(kv, where));
        if (qos.max_wall == kUnlimited) qos.max_wall = 0;  // -1, UNLIMITED, 0: no limit
      }
    }
    for (const auto& [other, other_line] : a->qos) {
      if (other.name == qos.name) {
        return InvalidArgument(std::string(where) + "QOS " + qos.name +
                               " already defined on line " + std::to_string(other_line));
      }
    }
    a->qos.emplace_back(std::move(qos), line.number);
  }
  return Status::Ok();
}

// Checks that every named account exists, marks a user's first association default when none
// is, and moves the associations into `config`.
Status ResolveAssociations(Associations a, std::string_view source, ClusterConfig* config) {
  std::set<std::string> accounts;
  for (const auto& [account, line] : a.accounts) accounts.insert(account.name);
  for (const auto& [account, line] : a.accounts) {
    if (!account.parent.empty() && accounts.count(account.parent) == 0) {
      return InvalidArgument(Where(source, line) + "account " + account.name +
                             " names unknown parent account " + account.parent);
    }
  }
  // A parent chain must end at root.
  for (const auto& [account, line] : a.accounts) {
    std::string at = account.parent;
    for (size_t steps = 0; !at.empty(); ++steps) {
      if (steps > a.accounts.size() || at == account.name) {
        return InvalidArgument(Where(source, line) + "account " + account.name +
                               " is its own ancestor");
      }
      for (const auto& [other, other_line] : a.accounts) {
        if (other.name == at) {
          at = other.parent;
          break;
        }
      }
    }
  }
  std::set<std::string> has_default;
  for (const auto& [user, line] : a.users) {
    if (accounts.count(user.account) == 0) {
      return InvalidArgument(Where(source, line) + "user " + user.name + " names unknown account " +
                             user.account);
    }
    if (user.is_default) has_default.insert(user.name);
  }
  for (auto& [user, line] : a.users) {
    if (has_default.insert(user.name).second) user.is_default = true;
  }
  for (auto& [account, line] : a.accounts) config->accounts.push_back(std::move(account));
  for (auto& [user, line] : a.users) config->users.push_back(std::move(user));
  for (auto& [qos, line] : a.qos) config->qos.push_back(std::move(qos));
  return Status::Ok();
}

Result<ClusterConfig> Parse(std::string_view text, std::string_view source) {
  SLUICE_ASSIGN_OR_RETURN(std::vector<Line> lines, SplitLines(text, source));
  ClusterConfig config;
  NodeFields node_defaults;
  PartitionLine partition_defaults;
  std::vector<PartitionLine> partition_lines;
  std::map<std::string, int> node_line;  // name -> line that defined it
  Associations associations;
  std::optional<std::string> scheduler_policy;  // SchedulerPolicy=, which wins over SchedulerType

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
      // Without CPUs=, the node has sockets x cores x threads CPUs, within the same bound.
      if (!merged.cpus && uint64_t{merged.sockets.value_or(1)} * merged.cores.value_or(1) *
                                  merged.threads.value_or(1) >
                              core::model::kMaxNodeCpus) {
        return InvalidArgument(where + "Sockets x CoresPerSocket x ThreadsPerCore is more CPUs " +
                               "than a node may have (" +
                               std::to_string(core::model::kMaxNodeCpus) + ")");
      }
      for (const std::string& name : *names) {
        auto [it, inserted] = node_line.emplace(name, line.number);
        if (!inserted) {
          return InvalidArgument(where + "node " + name + " already defined on line " +
                                 std::to_string(it->second));
        }
        config.nodes.push_back(MakeNode(name, merged));
        SLUICE_RETURN_IF_ERROR(CheckGpuSockets(merged, config.nodes.back(), where));
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
    } else if (first.key == "account" || first.key == "user" || first.key == "qos") {
      SLUICE_RETURN_IF_ERROR(ParseAssociationLine(line, where, &associations));
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
        } else if (kv.key == "schedulertype") {
          std::string v = str::ToLower(kv.value);
          if (v == "sched/backfill") {
            config.scheduler.policy = "easy";
          } else if (v == "sched/builtin") {
            config.scheduler.policy = "fifo";
          } else {
            return InvalidArgument(where + "unsupported SchedulerType \"" + kv.value +
                                   "\" (sched/backfill or sched/builtin)");
          }
        } else if (kv.key == "schedulerpolicy") {
          std::string v = str::ToLower(kv.value);
          if (v != "fifo" && v != "easy" && v != "conservative") {
            return InvalidArgument(where + "unknown SchedulerPolicy \"" + kv.value +
                                   "\" (fifo, easy or conservative)");
          }
          scheduler_policy = v;
        } else if (kv.key == "schedulerplacement") {
          SLUICE_ASSIGN_OR_RETURN(config.scheduler.placement,
                                  ParsePlacement(kv, where, "SchedulerPlacement"));
        } else if (kv.key == "gpuplacement") {
          if (!core::sched::KnownGpuPlacement(kv.value)) {
            return InvalidArgument(where + "unknown GpuPlacement \"" + kv.value + "\" (" +
                                   core::sched::GpuPlacementNamesForMessage() + ")");
          }
          config.scheduler.gpu_placement = kv.value;
        } else if (kv.key == "schedulerparameters") {
          SLUICE_RETURN_IF_ERROR(ParseSchedulerParameters(kv, where, &config.scheduler));
        } else if (kv.key == "prioritytype") {
          std::string v = str::ToLower(kv.value);
          if (v != "priority/basic" && v != "priority/multifactor") {
            return InvalidArgument(where + "unsupported PriorityType \"" + kv.value +
                                   "\" (priority/basic or priority/multifactor)");
          }
          config.priority.type = v;
        } else if (kv.key == "priorityweightage") {
          SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &config.priority.weight_age));
        } else if (kv.key == "priorityweightfairshare") {
          SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &config.priority.weight_fairshare));
        } else if (kv.key == "priorityweightjobsize") {
          SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &config.priority.weight_job_size));
        } else if (kv.key == "priorityweightpartition") {
          SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &config.priority.weight_partition));
        } else if (kv.key == "priorityweightqos") {
          SLUICE_RETURN_IF_ERROR(ParseU32(kv, where, &config.priority.weight_qos));
        } else if (kv.key == "prioritymaxage") {
          SLUICE_ASSIGN_OR_RETURN(config.priority.max_age, ParseDuration(kv, where));
        } else if (kv.key == "prioritydecayhalflife") {
          SLUICE_ASSIGN_OR_RETURN(config.priority.decay_half_life, ParseDuration(kv, where));
        } else if (kv.key == "prioritycalcperiod") {
          SLUICE_ASSIGN_OR_RETURN(config.priority.calc_period, ParseDuration(kv, where));
        } else if (kv.key == "priorityfavorsmall") {
          SLUICE_ASSIGN_OR_RETURN(config.priority.favor_small, ParseYesNo(kv, where));
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
  if (scheduler_policy) config.scheduler.policy = *scheduler_policy;
  SLUICE_RETURN_IF_ERROR(ResolveAssociations(std::move(associations), source, &config));
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
