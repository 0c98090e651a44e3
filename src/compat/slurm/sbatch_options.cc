#include "compat/slurm/sbatch_options.h"

#include <cctype>
#include <cstdint>
#include <optional>
#include <utility>

#include "common/strings.h"
#include "compat/slurm/hostlist.h"
#include "compat/slurm/time_format.h"
#include "core/model/constraint.h"
#include "core/sched/framework.h"

namespace sluice::compat::slurm {
namespace {

enum class Arg { kNone, kRequired, kOptional };

enum class Opt {
  kNtasks,
  kNodes,
  kCpusPerTask,
  kMem,
  kMemPerCpu,
  kTime,
  kJobName,
  kOutput,
  kError,
  kPartition,
  kChdir,
  kWrap,
  kParsable,
  kHold,
  kHelp,
  kUsage,
  kVersion,
  kNtasksPerNode,
  kNtasksPerSocket,
  kExclusive,
  kNodelist,
  kExclude,
  kConstraint,
  kAccount,
  kQos,
  kNice,
  kGpus,
  kGpusPerNode,
  kGpusPerTask,
  kGres,
  kGpuMem,
  kReservation,
  kPlacement,
  kIgnored,  // a Slurm option Sluice accepts and does not model
};

struct OptionDef {
  std::string_view long_name;
  char short_name;  // 0: none
  Arg arg;
  Opt id;
};

// sbatch 22.05's options (sbatch --help). Those Sluice does not model are accepted so that
// existing scripts keep working, and reported back in ignored_options.
constexpr OptionDef kOptions[] = {
    {"ntasks", 'n', Arg::kRequired, Opt::kNtasks},
    {"nodes", 'N', Arg::kRequired, Opt::kNodes},
    {"cpus-per-task", 'c', Arg::kRequired, Opt::kCpusPerTask},
    {"mem", 0, Arg::kRequired, Opt::kMem},
    {"mem-per-cpu", 0, Arg::kRequired, Opt::kMemPerCpu},
    {"time", 't', Arg::kRequired, Opt::kTime},
    {"job-name", 'J', Arg::kRequired, Opt::kJobName},
    {"output", 'o', Arg::kRequired, Opt::kOutput},
    {"error", 'e', Arg::kRequired, Opt::kError},
    {"partition", 'p', Arg::kRequired, Opt::kPartition},
    {"chdir", 'D', Arg::kRequired, Opt::kChdir},
    {"wrap", 0, Arg::kRequired, Opt::kWrap},
    {"parsable", 0, Arg::kNone, Opt::kParsable},
    {"hold", 'H', Arg::kNone, Opt::kHold},
    {"help", 'h', Arg::kNone, Opt::kHelp},
    {"usage", 0, Arg::kNone, Opt::kUsage},
    {"version", 'V', Arg::kNone, Opt::kVersion},
    {"ntasks-per-node", 0, Arg::kRequired, Opt::kNtasksPerNode},
    {"exclusive", 0, Arg::kOptional, Opt::kExclusive},
    {"nodelist", 'w', Arg::kRequired, Opt::kNodelist},
    {"exclude", 'x', Arg::kRequired, Opt::kExclude},
    {"constraint", 'C', Arg::kRequired, Opt::kConstraint},
    {"account", 'A', Arg::kRequired, Opt::kAccount},
    {"qos", 'q', Arg::kRequired, Opt::kQos},
    {"nice", 0, Arg::kOptional, Opt::kNice},
    {"gpus", 'G', Arg::kRequired, Opt::kGpus},
    {"gpus-per-node", 0, Arg::kRequired, Opt::kGpusPerNode},
    {"gpus-per-task", 0, Arg::kRequired, Opt::kGpusPerTask},
    {"gres", 0, Arg::kRequired, Opt::kGres},
    {"gpu-mem", 0, Arg::kRequired, Opt::kGpuMem},  // Sluice's: an MPS job's GPU memory
    {"reservation", 0, Arg::kRequired, Opt::kReservation},
    {"placement", 0, Arg::kRequired, Opt::kPlacement},  // Sluice's: the node placement policy
    {"array", 'a', Arg::kRequired, Opt::kIgnored},
    {"acctg-freq", 0, Arg::kRequired, Opt::kIgnored},
    {"batch", 0, Arg::kRequired, Opt::kIgnored},
    {"bb", 0, Arg::kRequired, Opt::kIgnored},
    {"bbf", 0, Arg::kRequired, Opt::kIgnored},
    {"begin", 'b', Arg::kRequired, Opt::kIgnored},
    {"comment", 0, Arg::kRequired, Opt::kIgnored},
    {"cpu-freq", 0, Arg::kRequired, Opt::kIgnored},
    {"dependency", 'd', Arg::kRequired, Opt::kIgnored},
    {"deadline", 0, Arg::kRequired, Opt::kIgnored},
    {"delay-boot", 0, Arg::kRequired, Opt::kIgnored},
    {"export", 0, Arg::kOptional, Opt::kIgnored},
    {"export-file", 0, Arg::kRequired, Opt::kIgnored},
    {"get-user-env", 0, Arg::kOptional, Opt::kIgnored},
    {"gid", 0, Arg::kRequired, Opt::kIgnored},
    {"gres-flags", 0, Arg::kRequired, Opt::kIgnored},
    {"hint", 0, Arg::kRequired, Opt::kIgnored},
    {"ignore-pbs", 0, Arg::kNone, Opt::kIgnored},
    {"input", 'i', Arg::kRequired, Opt::kIgnored},
    {"no-kill", 'k', Arg::kOptional, Opt::kIgnored},
    {"kill-on-invalid-dep", 0, Arg::kRequired, Opt::kIgnored},
    {"licenses", 'L', Arg::kRequired, Opt::kIgnored},
    {"clusters", 'M', Arg::kRequired, Opt::kIgnored},
    {"cluster", 0, Arg::kRequired, Opt::kIgnored},
    {"container", 0, Arg::kRequired, Opt::kIgnored},
    {"distribution", 'm', Arg::kRequired, Opt::kIgnored},
    {"mail-type", 0, Arg::kRequired, Opt::kIgnored},
    {"mail-user", 0, Arg::kRequired, Opt::kIgnored},
    {"mcs-label", 0, Arg::kRequired, Opt::kIgnored},
    {"mem-bind", 0, Arg::kRequired, Opt::kIgnored},
    {"no-requeue", 0, Arg::kNone, Opt::kIgnored},
    {"ntasks-per-core", 0, Arg::kRequired, Opt::kIgnored},
    {"ntasks-per-socket", 0, Arg::kRequired, Opt::kNtasksPerSocket},
    {"ntasks-per-gpu", 0, Arg::kRequired, Opt::kIgnored},
    {"open-mode", 0, Arg::kRequired, Opt::kIgnored},
    {"overcommit", 'O', Arg::kNone, Opt::kIgnored},
    {"power", 0, Arg::kRequired, Opt::kIgnored},
    {"priority", 0, Arg::kRequired, Opt::kIgnored},
    {"profile", 0, Arg::kRequired, Opt::kIgnored},
    {"propagate", 0, Arg::kOptional, Opt::kIgnored},
    {"quiet", 'Q', Arg::kNone, Opt::kIgnored},
    {"reboot", 0, Arg::kNone, Opt::kIgnored},
    {"requeue", 0, Arg::kNone, Opt::kIgnored},
    {"oversubscribe", 's', Arg::kNone, Opt::kIgnored},
    {"core-spec", 'S', Arg::kRequired, Opt::kIgnored},
    {"signal", 0, Arg::kRequired, Opt::kIgnored},
    {"spread-job", 0, Arg::kNone, Opt::kIgnored},
    {"switches", 0, Arg::kRequired, Opt::kIgnored},
    {"test-only", 0, Arg::kNone, Opt::kIgnored},
    {"thread-spec", 0, Arg::kRequired, Opt::kIgnored},
    {"time-min", 0, Arg::kRequired, Opt::kIgnored},
    {"tmp", 0, Arg::kRequired, Opt::kIgnored},
    {"tres-per-task", 0, Arg::kRequired, Opt::kIgnored},
    {"uid", 0, Arg::kRequired, Opt::kIgnored},
    {"use-min-nodes", 0, Arg::kNone, Opt::kIgnored},
    {"verbose", 'v', Arg::kNone, Opt::kIgnored},
    {"wait", 'W', Arg::kNone, Opt::kIgnored},
    {"wait-all-nodes", 0, Arg::kRequired, Opt::kIgnored},
    {"wckey", 0, Arg::kRequired, Opt::kIgnored},
    {"cluster-constraint", 0, Arg::kRequired, Opt::kIgnored},
    {"contiguous", 0, Arg::kNone, Opt::kIgnored},
    {"nodefile", 'F', Arg::kRequired, Opt::kIgnored},
    {"mincpus", 0, Arg::kRequired, Opt::kIgnored},
    {"sockets-per-node", 0, Arg::kRequired, Opt::kIgnored},
    {"cores-per-socket", 0, Arg::kRequired, Opt::kIgnored},
    {"threads-per-core", 0, Arg::kRequired, Opt::kIgnored},
    {"extra-node-info", 'B', Arg::kRequired, Opt::kIgnored},
    {"cpus-per-gpu", 0, Arg::kRequired, Opt::kIgnored},
    {"gpu-bind", 0, Arg::kRequired, Opt::kIgnored},
    {"gpu-freq", 0, Arg::kRequired, Opt::kIgnored},
    {"gpus-per-socket", 0, Arg::kRequired, Opt::kIgnored},
    {"mem-per-gpu", 0, Arg::kRequired, Opt::kIgnored},
};

// One option occurrence as written.
struct ParsedOption {
  const OptionDef* def = nullptr;
  std::string written;  // "--ntasks=4", "-n 4": for ignored_options
  std::optional<std::string> value;
};

// Options parsed from one source (command line, one #SBATCH line, SBATCH_* variables).
struct Layer {
  std::vector<ParsedOption> options;
  std::vector<std::string> positional;  // the script and its arguments (command line only)
};

const OptionDef* FindShort(char c) {
  for (const auto& d : kOptions) {
    if (d.short_name == c) return &d;
  }
  return nullptr;
}

const OptionDef* FindLongExact(std::string_view name) {
  for (const auto& d : kOptions) {
    if (d.long_name == name) return &d;
  }
  return nullptr;
}

// getopt_long's matching: an exact name, else a unique prefix.
Result<const OptionDef*> FindLong(std::string_view name, std::string_view written) {
  if (const OptionDef* d = FindLongExact(name)) return d;
  std::vector<const OptionDef*> matches;
  if (!name.empty()) {
    for (const auto& d : kOptions) {
      if (str::StartsWith(d.long_name, name)) matches.push_back(&d);
    }
  }
  if (matches.empty()) {
    return InvalidArgument("unrecognized option '" + std::string(written) + "'");
  }
  if (matches.size() > 1) {
    std::string msg = "option '" + std::string(written) + "' is ambiguous; possibilities:";
    for (const OptionDef* d : matches) msg += " '--" + std::string(d->long_name) + "'";
    return InvalidArgument(msg);
  }
  return matches[0];
}

// Parses options as getopt_long with a leading '+' does: stops at the first non-option.
Result<Layer> ParseArgs(const std::vector<std::string>& args) {
  Layer layer;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;  // the script (or "-")
    if (a[1] == '-') {
      std::string_view body = std::string_view(a).substr(2);
      size_t eq = body.find('=');
      std::string_view name = body.substr(0, eq);
      SLUICE_ASSIGN_OR_RETURN(const OptionDef* def, FindLong(name, a));
      ParsedOption opt{def, a, std::nullopt};
      std::string full = "--" + std::string(def->long_name);
      if (eq != std::string_view::npos) {
        if (def->arg == Arg::kNone) {
          return InvalidArgument("option '" + full + "' doesn't allow an argument");
        }
        opt.value = std::string(body.substr(eq + 1));
      } else if (def->arg == Arg::kRequired) {
        if (i + 1 >= args.size()) {
          return InvalidArgument("option '" + full + "' requires an argument");
        }
        opt.value = args[++i];
        opt.written += " " + *opt.value;
      }
      layer.options.push_back(std::move(opt));
      continue;
    }
    // A cluster of short options: "-Hn4".
    for (size_t j = 1; j < a.size(); ++j) {
      const OptionDef* def = FindShort(a[j]);
      if (def == nullptr) {
        return InvalidArgument(std::string("invalid option -- '") + a[j] + "'");
      }
      ParsedOption opt{def, std::string("-") + a[j], std::nullopt};
      if (def->arg != Arg::kNone) {
        if (j + 1 < a.size()) {
          opt.value = a.substr(j + 1);
        } else if (def->arg == Arg::kRequired) {
          if (i + 1 >= args.size()) {
            return InvalidArgument(std::string("option requires an argument -- '") + a[j] + "'");
          }
          opt.value = args[++i];
        }
        if (opt.value) opt.written += " " + *opt.value;
        layer.options.push_back(std::move(opt));
        break;
      }
      layer.options.push_back(std::move(opt));
    }
  }
  for (; i < args.size(); ++i) layer.positional.push_back(args[i]);
  return layer;
}

Result<uint32_t> ParsePositive(const std::string& value, std::string_view option) {
  uint64_t n = 0;
  if (!str::ParseUint(str::Trim(value), &n) || n == 0 || n > UINT32_MAX) {
    return InvalidArgument("Invalid numeric value \"" + value + "\" for " + std::string(option) +
                           ".");
  }
  return static_cast<uint32_t>(n);
}

// -N takes "count" or "min-max"; Sluice allocates the minimum.
Result<uint32_t> ParseNodeCount(const std::string& value) {
  const std::optional<uint32_t> lo = ParseNodeRange(value);
  if (!lo || *lo == 0) return InvalidArgument("\"" + value + "\" is not a valid node count");
  return *lo;
}

// -w/-x: a host list, expanded. Slurm also takes a file name there (a value with '/').
Result<std::vector<std::string>> ParseNodeNames(const std::string& value, std::string_view option) {
  if (value.find('/') != std::string::npos) {
    return InvalidArgument("Reading " + std::string(option) +
                           " from a file is not supported yet: " + value);
  }
  auto names = ExpandHostlist(value);
  if (!names.ok()) {
    return InvalidArgument("Invalid node name specified \"" + value +
                           "\": " + names.status().message());
  }
  return *names;
}

// "[type:]N" of --gpus, --gpus-per-node and --gpus-per-task: N > 0 GPUs, of `type` if given.
Status ParseTypedGpuCount(const std::string& value, std::string_view option, uint32_t* count,
                          std::string* type) {
  std::string_view v = str::Trim(value);
  const size_t colon = v.rfind(':');
  std::string_view t = colon == std::string_view::npos ? "" : v.substr(0, colon);
  uint64_t n = 0;
  if (!str::ParseUint(v.substr(colon == std::string_view::npos ? 0 : colon + 1), &n) || n == 0 ||
      n > UINT32_MAX || (colon != std::string_view::npos && t.empty()) ||
      t.find(':') != std::string_view::npos) {
    return InvalidArgument("Invalid " + std::string(option) + " specification");
  }
  *count = static_cast<uint32_t>(n);
  if (!t.empty()) *type = std::string(t);
  return Status::Ok();
}

// --gres=LIST: gpu[:type][:N] (N defaults to 1), mps:P (percent of one GPU), shard:N, or
// "none". Replaces what an earlier --gres asked.
Status ParseGres(const std::string& value, core::model::JobSpec* spec, bool* gpus_from_gres) {
  static const std::string kInvalid = "Invalid generic resource (gres) specification";
  if (*gpus_from_gres) {
    spec->gpus_per_node = 0;
    spec->gpu_type.clear();
  }
  spec->mps_percent = 0;
  spec->shards = 0;
  *gpus_from_gres = false;
  if (str::ToLower(str::Trim(value)) == "none") return Status::Ok();
  for (const std::string& item : str::Split(value, ',')) {
    std::vector<std::string> parts = str::Split(str::Trim(item), ':');
    const std::string name = str::ToLower(parts[0]);
    uint64_t n = 1;
    std::string type;
    if (name == "gpu" && parts.size() <= 3) {
      if (parts.size() == 3) {
        type = parts[1];
        if (type.empty() || !str::ParseUint(parts[2], &n)) return InvalidArgument(kInvalid);
      } else if (parts.size() == 2 && !str::ParseUint(parts[1], &n)) {
        type = parts[1];  // gpu:TYPE, one GPU
        if (type.empty()) return InvalidArgument(kInvalid);
      }
      if (n > UINT32_MAX) return InvalidArgument(kInvalid);
      spec->gpus_per_node = static_cast<uint32_t>(n);
      if (!type.empty()) spec->gpu_type = type;
      *gpus_from_gres = true;
    } else if ((name == "mps" || name == "shard") && parts.size() == 2) {
      if (!str::ParseUint(parts[1], &n) || n == 0) return InvalidArgument(kInvalid);
      if (name == "mps" && n > 100) {
        return InvalidArgument("Invalid --gres=mps:" + parts[1] +
                               ": mps is a percentage of one GPU, 1 to 100");
      }
      if (n > UINT32_MAX) return InvalidArgument(kInvalid);
      (name == "mps" ? spec->mps_percent : spec->shards) = static_cast<uint32_t>(n);
    } else {
      return InvalidArgument(kInvalid);
    }
  }
  return Status::Ok();
}

// A job takes whole GPUs or a share of one, not both.
Status CheckGpuRequest(const core::model::JobSpec& spec) {
  const bool whole = spec.gpus > 0 || spec.gpus_per_node > 0 || spec.gpus_per_task > 0;
  if (whole && (spec.mps_percent > 0 || spec.shards > 0)) {
    return InvalidArgument(
        "--gres=mps or --gres=shard cannot be combined with whole GPUs (--gpus, --gpus-per-node, "
        "--gpus-per-task, --gres=gpu) in one job");
  }
  return Status::Ok();
}

// What one layer has set so far, for checks within the layer and defaults afterwards.
struct Seen {
  bool name = false;
  bool mem = false;
  bool mem_per_cpu = false;
  bool gpus_from_gres = false;  // gpus_per_node came from --gres, which a later --gres replaces
};

Status Apply(const ParsedOption& opt, SbatchRequest* req, Seen* layer_seen, Seen* all_seen) {
  core::model::JobSpec& spec = req->spec;
  const std::string value = opt.value.value_or("");
  switch (opt.def->id) {
    case Opt::kNtasks: {
      SLUICE_ASSIGN_OR_RETURN(spec.num_tasks, ParsePositive(value, "--ntasks"));
      break;
    }
    case Opt::kNodes: {
      SLUICE_ASSIGN_OR_RETURN(spec.num_nodes, ParseNodeCount(value));
      break;
    }
    case Opt::kCpusPerTask: {
      SLUICE_ASSIGN_OR_RETURN(spec.cpus_per_task, ParsePositive(value, "--cpus-per-task"));
      break;
    }
    case Opt::kMem:
    case Opt::kMemPerCpu: {
      bool per_cpu = opt.def->id == Opt::kMemPerCpu;
      auto mb = ParseMemoryMb(value);
      if (!mb.ok()) {
        return InvalidArgument(per_cpu ? "Invalid --mem-per-cpu specification"
                                       : "Invalid --mem specification");
      }
      (per_cpu ? layer_seen->mem_per_cpu : layer_seen->mem) = true;
      if (layer_seen->mem && layer_seen->mem_per_cpu) {
        return InvalidArgument("--mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive.");
      }
      // A later source's choice replaces an earlier one's, whichever kind it was.
      spec.mem_per_node_mb = per_cpu ? 0 : *mb;
      spec.mem_per_cpu_mb = per_cpu ? *mb : 0;
      break;
    }
    case Opt::kTime: {
      auto t = ParseTimeLimit(value);
      if (!t.ok()) return InvalidArgument("Invalid --time specification");
      spec.time_limit = *t;
      break;
    }
    case Opt::kJobName:
      spec.name = value;
      all_seen->name = true;
      break;
    case Opt::kOutput:
      spec.stdout_path = value;
      break;
    case Opt::kError:
      spec.stderr_path = value;
      break;
    case Opt::kPartition:
      spec.partition = value;
      break;
    case Opt::kChdir:
      spec.work_dir = value;
      break;
    case Opt::kWrap:
      req->wrap = value;
      req->has_wrap = true;
      break;
    case Opt::kParsable:
      req->parsable = true;
      break;
    case Opt::kHold:
      spec.hold = true;
      break;
    case Opt::kHelp:
      req->help = true;
      break;
    case Opt::kUsage:
      req->usage = true;
      break;
    case Opt::kVersion:
      req->version = true;
      break;
    case Opt::kNtasksPerNode: {
      SLUICE_ASSIGN_OR_RETURN(spec.ntasks_per_node, ParsePositive(value, "--ntasks-per-node"));
      break;
    }
    case Opt::kNtasksPerSocket: {
      SLUICE_ASSIGN_OR_RETURN(spec.ntasks_per_socket, ParsePositive(value, "--ntasks-per-socket"));
      break;
    }
    case Opt::kExclusive: {
      // Slurm's forms: none (or "exclusive") for whole nodes; "user", "mcs" and "oversubscribe"
      // share nodes in ways Sluice does not model.
      std::string v = str::ToLower(str::Trim(value));
      if (v.empty() || v == "exclusive") {
        spec.exclusive = true;
      } else if (v == "user" || v == "mcs" || v == "oversubscribe") {
        spec.exclusive = false;
        req->ignored_options.push_back(opt.written);
      } else {
        return InvalidArgument("Invalid --exclusive specification");
      }
      break;
    }
    case Opt::kNodelist: {
      SLUICE_ASSIGN_OR_RETURN(spec.nodelist, ParseNodeNames(value, "--nodelist"));
      break;
    }
    case Opt::kExclude: {
      SLUICE_ASSIGN_OR_RETURN(spec.exclude, ParseNodeNames(value, "--exclude"));
      break;
    }
    case Opt::kConstraint: {
      SLUICE_ASSIGN_OR_RETURN(core::model::Constraint c, core::model::ParseConstraint(value));
      spec.constraint = c.text();
      break;
    }
    case Opt::kAccount:
      spec.account = value;
      break;
    case Opt::kQos:
      spec.qos = value;
      break;
    case Opt::kNice: {
      SLUICE_ASSIGN_OR_RETURN(spec.nice, ParseNice(opt.value));
      break;
    }
    case Opt::kGpus:
      SLUICE_RETURN_IF_ERROR(ParseTypedGpuCount(value, "--gpus", &spec.gpus, &spec.gpu_type));
      break;
    case Opt::kGpusPerNode:
      SLUICE_RETURN_IF_ERROR(
          ParseTypedGpuCount(value, "--gpus-per-node", &spec.gpus_per_node, &spec.gpu_type));
      all_seen->gpus_from_gres = false;
      break;
    case Opt::kGpusPerTask:
      SLUICE_RETURN_IF_ERROR(
          ParseTypedGpuCount(value, "--gpus-per-task", &spec.gpus_per_task, &spec.gpu_type));
      break;
    case Opt::kGres:
      SLUICE_RETURN_IF_ERROR(ParseGres(value, &spec, &all_seen->gpus_from_gres));
      break;
    case Opt::kGpuMem: {
      auto mb = ParseMemoryMb(value);
      if (!mb.ok() || *mb == 0) return InvalidArgument("Invalid --gpu-mem specification");
      spec.gpu_memory_mb = *mb;
      break;
    }
    case Opt::kReservation:
      spec.reservation = value;
      break;
    case Opt::kPlacement:
      if (!core::sched::KnownPlacement(value)) {
        return InvalidArgument("Invalid --placement specification \"" + value + "\": use " +
                               core::sched::PlacementNamesForMessage());
      }
      spec.placement = value;
      break;
    case Opt::kIgnored:
      req->ignored_options.push_back(opt.written);
      break;
  }
  return Status::Ok();
}

Status ApplyLayer(const Layer& layer, SbatchRequest* req, Seen* all_seen, std::string_view where) {
  Seen layer_seen;
  for (const auto& opt : layer.options) {
    Status st = Apply(opt, req, &layer_seen, all_seen);
    if (!st.ok()) return Status(st.code(), std::string(where) + st.message());
  }
  return Status::Ok();
}

std::string BaseName(std::string_view path) {
  size_t slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// Takes the script and its arguments from the command line's positional words.
Status TakePositional(const Layer& cli, SbatchRequest* req) {
  if (cli.positional.empty()) return Status::Ok();
  if (req->has_wrap) return InvalidArgument("Script arguments not permitted with --wrap option");
  req->script_path = cli.positional[0];
  req->spec.command = req->script_path;
  req->spec.argv.assign(cli.positional.begin() + 1, cli.positional.end());
  return Status::Ok();
}

void FillDefaultName(const Seen& seen, SbatchRequest* req) {
  if (seen.name) return;
  if (req->has_wrap) {
    req->spec.name = "wrap";
  } else if (!req->script_path.empty() && req->script_path != "-") {
    req->spec.name = BaseName(req->script_path);
  } else {
    req->spec.name = "sbatch";
  }
}

// Splits the text after "#SBATCH" into words with the quoting rules of sbatch's _get_argument.
Result<std::vector<std::string>> TokenizeDirective(std::string_view text, int line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size() || text[i] == '#') break;
    std::string word;
    char quote = 0;
    size_t quote_start = 0;
    while (i < text.size() && (quote != 0 || !std::isspace(static_cast<unsigned char>(text[i])))) {
      char c = text[i];
      if (c == '\\') {
        if (i + 1 < text.size()) word += text[i + 1];
        i += 2;
        continue;
      }
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word += c;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        quote_start = i;
      } else if (c == '#') {
        break;  // the rest of the line is a comment
      } else {
        word += c;
      }
      ++i;
    }
    if (quote != 0) {
      return InvalidArgument("#SBATCH on line " + std::to_string(line) + ": unmatched " + quote +
                             " in: " + std::string(str::Trim(text.substr(quote_start))));
    }
    out.push_back(std::move(word));
    if (i < text.size() && text[i] == '#') break;
  }
  return out;
}

std::optional<std::string_view> LongNameForEnv(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kEnv[] = {
      {"SBATCH_JOB_NAME", "job-name"},
      {"SBATCH_PARTITION", "partition"},
      {"SBATCH_TIMELIMIT", "time"},
      {"SBATCH_OUTPUT", "output"},
      {"SBATCH_ERROR", "error"},
      {"SBATCH_MEM_PER_NODE", "mem"},
      {"SBATCH_MEM_PER_CPU", "mem-per-cpu"},
      {"SBATCH_ACCOUNT", "account"},
      {"SBATCH_QOS", "qos"},
      {"SBATCH_CONSTRAINT", "constraint"},
      {"SBATCH_EXCLUSIVE", "exclusive"},
      {"SBATCH_GPUS", "gpus"},
      {"SBATCH_GPUS_PER_NODE", "gpus-per-node"},
      {"SBATCH_GPUS_PER_TASK", "gpus-per-task"},
      {"SBATCH_GRES", "gres"},
      {"SBATCH_RESERVATION", "reservation"},
      {"SBATCH_PLACEMENT", "placement"},
  };
  for (const auto& [env, opt] : kEnv) {
    if (env == name) return opt;
  }
  return std::nullopt;
}

Status CheckScript(std::string_view script) {
  if (script.empty()) return InvalidArgument("Batch script is empty!");
  if (!str::StartsWith(script, "#!")) {
    return InvalidArgument(
        "This does not look like a batch script.  The first line must start with #! followed by "
        "the path to an interpreter.");
  }
  if (script.find("\r\n") != std::string_view::npos) {
    return InvalidArgument(
        "Batch script contains DOS line breaks (\\r\\n) instead of expected UNIX line breaks "
        "(\\n).");
  }
  return Status::Ok();
}

}  // namespace

std::optional<uint32_t> ParseNodeRange(std::string_view text) {
  std::string_view v = str::Trim(text);
  const size_t dash = v.find('-');
  uint64_t lo = 0, hi = 0;
  bool ok = str::ParseUint(v.substr(0, dash), &lo) && lo <= UINT32_MAX;
  if (ok && dash != std::string_view::npos) {
    ok = str::ParseUint(v.substr(dash + 1), &hi) && hi >= lo;
  }
  if (!ok) return std::nullopt;
  return static_cast<uint32_t>(lo);
}

// --nice[=N]: no value (or an empty one) is 100, as in Slurm; N may be negative.
Result<int32_t> ParseNice(const std::optional<std::string>& value) {
  static constexpr int64_t kMaxNice = 2147483645;  // Slurm's NICE_OFFSET - 3
  if (!value || str::Trim(*value).empty()) return 100;
  std::string_view v = str::Trim(*value);
  bool negative = v[0] == '-';
  if (v[0] == '-' || v[0] == '+') v.remove_prefix(1);
  uint64_t n = 0;
  if (!str::ParseUint(v, &n)) {
    return InvalidArgument("Invalid numeric value \"" + *value + "\" for --nice.");
  }
  if (n > static_cast<uint64_t>(kMaxNice)) {
    return InvalidArgument("Invalid --nice value, out of range (+/- 2147483645)");
  }
  return static_cast<int32_t>(negative ? -static_cast<int64_t>(n) : static_cast<int64_t>(n));
}

Result<SbatchRequest> ParseSbatchCommandLine(const std::vector<std::string>& argv) {
  SLUICE_ASSIGN_OR_RETURN(Layer cli, ParseArgs(argv));
  SbatchRequest req;
  Seen seen;
  SLUICE_RETURN_IF_ERROR(ApplyLayer(cli, &req, &seen, ""));
  SLUICE_RETURN_IF_ERROR(TakePositional(cli, &req));
  SLUICE_RETURN_IF_ERROR(CheckGpuRequest(req.spec));
  if (req.has_wrap) req.spec.script = WrapScript(req.wrap);
  FillDefaultName(seen, &req);
  return req;
}

Result<std::vector<SbatchDirective>> ExtractSbatchDirectiveLines(std::string_view script) {
  static constexpr std::string_view kMagic = "#SBATCH";
  std::vector<SbatchDirective> out;
  std::vector<std::string> lines = str::Split(script, '\n');
  for (size_t n = 0; n < lines.size(); ++n) {
    std::string_view line = lines[n];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (n == 0 && str::StartsWith(line, "#!")) continue;
    if (str::StartsWith(line, kMagic) &&
        (line.size() == kMagic.size() ||
         std::isspace(static_cast<unsigned char>(line[kMagic.size()])))) {
      int line_no = static_cast<int>(n + 1);
      SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> args,
                              TokenizeDirective(line.substr(kMagic.size()), line_no));
      if (!args.empty()) out.push_back({line_no, std::move(args)});
      continue;
    }
    std::string_view trimmed = str::Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    break;  // the first command ends the directives
  }
  return out;
}

Result<std::vector<std::string>> ExtractSbatchDirectives(std::string_view script) {
  SLUICE_ASSIGN_OR_RETURN(std::vector<SbatchDirective> lines, ExtractSbatchDirectiveLines(script));
  std::vector<std::string> out;
  for (auto& d : lines) {
    for (auto& a : d.args) out.push_back(std::move(a));
  }
  return out;
}

std::string WrapScript(std::string_view command) {
  return "#!/bin/sh\n# This script was created by sbatch --wrap.\n\n" + std::string(command) + "\n";
}

Result<SbatchRequest> ResolveSbatch(const std::vector<std::string>& argv, std::string_view script,
                                    const std::vector<std::string>& environment) {
  SLUICE_ASSIGN_OR_RETURN(Layer cli, ParseArgs(argv));
  // --wrap decides which script's directives apply, so look for it before anything else.
  bool has_wrap = false;
  std::string wrap;
  for (const auto& opt : cli.options) {
    if (opt.def->id == Opt::kWrap) {
      has_wrap = true;
      wrap = opt.value.value_or("");
    }
  }
  std::string text = has_wrap ? WrapScript(wrap) : std::string(script);

  SbatchRequest req;
  Seen seen;
  bool only_info = false;  // --help and friends need no script
  for (const auto& opt : cli.options) {
    Opt id = opt.def->id;
    if (id == Opt::kHelp || id == Opt::kUsage || id == Opt::kVersion) only_info = true;
  }
  if (!only_info) {
    SLUICE_RETURN_IF_ERROR(CheckScript(text));
    SLUICE_ASSIGN_OR_RETURN(std::vector<SbatchDirective> directives,
                            ExtractSbatchDirectiveLines(text));
    for (const auto& d : directives) {
      std::string where = "#SBATCH on line " + std::to_string(d.line) + ": ";
      auto layer = ParseArgs(d.args);
      if (!layer.ok()) return InvalidArgument(where + layer.status().message());
      if (!layer->positional.empty()) {
        return InvalidArgument(where +
                               "Invalid directive found in batch script: " + layer->positional[0]);
      }
      SLUICE_RETURN_IF_ERROR(ApplyLayer(*layer, &req, &seen, where));
    }
  }

  Layer env_layer;
  std::vector<std::string> env_names;
  for (const std::string& entry : environment) {
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    auto long_name = LongNameForEnv(std::string_view(entry).substr(0, eq));
    if (!long_name) continue;
    env_layer.options.push_back(
        {FindLongExact(*long_name), entry, std::string(entry.substr(eq + 1))});
    env_names.push_back(entry.substr(0, eq));
  }
  for (size_t i = 0; i < env_layer.options.size(); ++i) {
    Layer one;
    one.options.push_back(env_layer.options[i]);
    SLUICE_RETURN_IF_ERROR(ApplyLayer(one, &req, &seen, env_names[i] + ": "));
  }

  SLUICE_RETURN_IF_ERROR(ApplyLayer(cli, &req, &seen, ""));
  SLUICE_RETURN_IF_ERROR(TakePositional(cli, &req));
  SLUICE_RETURN_IF_ERROR(CheckGpuRequest(req.spec));
  if (!only_info) req.spec.script = std::move(text);
  FillDefaultName(seen, &req);
  return req;
}

}  // namespace sluice::compat::slurm
