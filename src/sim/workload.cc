#include "sim/workload.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "compat/slurm/sbatch_options.h"
#include "core/policy/limits.h"
#include "sim/internal/load.h"

namespace sluice::sim {
namespace {

using nlohmann::json;

constexpr const char* kKeys = "id, submit, run, user, sbatch";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// nlohmann's messages start "[json.exception.parse_error.101] parse error at line 1, column 8:
// syntax error ..."; the line is always 1 here (one object a line), so keep from the column.
std::string JsonError(const json::exception& e) {
  std::string m = e.what();
  if (auto at = m.find("column "); at != std::string::npos) return m.substr(at);
  if (auto close = m.find("] "); close != std::string::npos) return m.substr(close + 2);
  return m;
}

// A whole number of seconds in [min, max], or an error naming `key`.
Result<int64_t> WholeNumber(const json& v, const char* key, int64_t min, const char* what) {
  if (v.is_number_integer()) {
    const int64_t n = v.is_number_unsigned()
                          ? static_cast<int64_t>(std::min<uint64_t>(
                                v.get<uint64_t>(), std::numeric_limits<int64_t>::max()))
                          : v.get<int64_t>();
    if (n >= min) return n;
  }
  return InvalidArgument(std::string("\"") + key + "\" must be " + what + ", not " + v.dump());
}

Result<std::vector<std::string>> SbatchArgs(const json& v) {
  if (v.is_string()) return SplitShellWords(v.get<std::string>());
  if (v.is_array()) {
    std::vector<std::string> args;
    for (const auto& a : v) {
      if (!a.is_string()) {
        return InvalidArgument("\"sbatch\" as an array must hold strings, not " + a.dump());
      }
      args.push_back(a.get<std::string>());
    }
    return args;
  }
  return InvalidArgument("\"sbatch\" must be a string of options or an array of arguments, not " +
                         v.dump());
}

// One job line, parsed; `ordinal` is its 1-based position among the jobs.
Result<SimJob> ParseJobLine(std::string_view line, uint64_t ordinal, JobWorkload* w) {
  json obj;
  try {
    obj = json::parse(line);
  } catch (const json::exception& e) {
    return InvalidArgument("bad JSON at " + JsonError(e));
  }
  if (!obj.is_object()) {
    return InvalidArgument(
        "expected one JSON object a line, e.g. {\"submit\": 0, \"run\": 60, "
        "\"sbatch\": \"-n 4\"}");
  }
  SimJob job;
  job.id = ordinal;
  bool has_run = false;
  std::vector<std::string> args;
  std::string user;
  for (const auto& [key, v] : obj.items()) {
    if (key == "id") {
      SLUICE_ASSIGN_OR_RETURN(int64_t id, WholeNumber(v, "id", 1, "a positive whole number"));
      job.id = static_cast<uint64_t>(id);
    } else if (key == "submit") {
      SLUICE_ASSIGN_OR_RETURN(job.submit,
                              WholeNumber(v, "submit", 0, "whole seconds from the start, >= 0"));
    } else if (key == "run") {
      SLUICE_ASSIGN_OR_RETURN(job.run, WholeNumber(v, "run", 1, "whole seconds, > 0"));
      has_run = true;
    } else if (key == "user") {
      if (v.is_string() && !v.get<std::string>().empty()) {
        user = v.get<std::string>();
      } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
        user = "u" + std::to_string(v.get<int64_t>());
      } else {
        return InvalidArgument("\"user\" must be a name or a user number, not " + v.dump());
      }
    } else if (key == "sbatch") {
      SLUICE_ASSIGN_OR_RETURN(args, SbatchArgs(v));
    } else {
      return InvalidArgument("unknown key \"" + key + "\" (known: " + kKeys + ")");
    }
  }
  if (!has_run) return InvalidArgument("missing \"run\": the job's run time in seconds");

  auto req = compat::slurm::ParseSbatchCommandLine(args);
  if (!req.ok()) return InvalidArgument("sbatch: " + req.status().message());
  if (req->spec.hold) {
    return InvalidArgument("sbatch: --hold: a held job would never start in a replay");
  }
  if (!req->ignored_options.empty()) ++w->ignored_options;
  auto spec = std::make_shared<core::model::JobSpec>(std::move(req->spec));
  // Without -J, sbatch names a job after its script, "sbatch" for stdin: the id says more here.
  if (spec->name == "sbatch" || spec->name == "wrap") spec->name = "job" + std::to_string(job.id);
  spec->user = std::move(user);
  job.procs = RequestedCpus(*spec);
  if (spec->time_limit && *spec->time_limit > 0) {
    job.estimate = *spec->time_limit;
    if (job.run > job.estimate) {
      job.run = job.estimate;
      ++w->capped;
    }
  } else {
    ++w->default_limits;  // estimate 0: ResolveTimeLimits
  }
  job.spec = std::move(spec);
  return job;
}

}  // namespace

Result<std::vector<std::string>> SplitShellWords(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else if (c == '\'') {
      const size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) return InvalidArgument("unterminated ' quote");
      cur.append(text.substr(i + 1, close - i - 1));
      i = close;
      in_word = true;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() &&
            std::string_view("\"\\$`").find(text[j + 1]) != std::string_view::npos) {
          ++j;
        }
        cur += text[j];
      }
      if (j == text.size()) return InvalidArgument("unterminated \" quote");
      i = j;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      cur += text[++i];
      in_word = true;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

uint32_t RequestedCpus(const core::model::JobSpec& spec) {
  uint64_t tasks = spec.num_tasks;
  if (tasks == 0) {
    const uint64_t nodes = std::max<uint32_t>(spec.num_nodes, 1);
    tasks = spec.ntasks_per_node > 0 ? uint64_t{spec.ntasks_per_node} * nodes : nodes;
  }
  const uint64_t cpus = tasks * std::max<uint32_t>(spec.cpus_per_task, 1);
  return static_cast<uint32_t>(std::min<uint64_t>(cpus, UINT32_MAX));
}

Result<JobWorkload> ParseJobDescriptions(std::string_view text) {
  JobWorkload w;
  uint64_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    ++w.records;
    auto job = ParseJobLine(line, w.records, &w);
    if (!job.ok()) {
      return InvalidArgument("line " + std::to_string(line_no) + ": " + job.status().message());
    }
    w.jobs.push_back(std::move(*job));
  }
  return w;
}

Result<JobWorkload> LoadJobDescriptions(const std::string& path) {
  return internal::LoadAndParse(path, "job descriptions",
                                [](std::string_view text) { return ParseJobDescriptions(text); });
}

uint64_t ResolveTimeLimits(const core::cluster::ClusterConfig& cluster, std::vector<SimJob>* jobs) {
  uint64_t capped = 0;
  const core::policy::LimitTracker qos(cluster.qos);  // picks a job's QOS as slurmctld does
  for (SimJob& j : *jobs) {
    if (!j.spec || j.estimate > 0) continue;
    const core::model::JobSpec& spec = *j.spec;
    const auto p = std::find_if(
        cluster.partitions.begin(), cluster.partitions.end(), [&](const core::model::Partition& x) {
          return spec.partition.empty() ? x.is_default : x.name == spec.partition;
        });
    if (p == cluster.partitions.end()) continue;
    j.estimate =
        core::policy::QosTimeLimit(spec, p->default_time.value_or(p->max_time), qos.QosOf(spec));
    if (j.run > j.estimate) {
      j.run = j.estimate;
      ++capped;
    }
  }
  return capped;
}

}  // namespace sluice::sim
