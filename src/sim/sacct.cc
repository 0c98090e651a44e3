#include "sim/sacct.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "common/strings.h"
#include "compat/slurm/time_format.h"
#include "sim/internal/load.h"

namespace sluice::sim {
namespace {

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t bar = line.find('|');
    out.push_back(line.substr(0, bar));
    if (bar == std::string_view::npos) break;
    line.remove_prefix(bar + 1);
  }
  return out;
}

std::string_view TrimCr(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// sacct prints "Unknown" or "None" for a time that has not happened.
bool NoTime(std::string_view v) {
  const std::string l = str::ToLower(v);
  return l.empty() || l == "unknown" || l == "none";
}

// A time stamp as sacct prints it; nullopt for Unknown/None. Only the absolute forms count:
// ParseTimestamp would also take "now+1hour".
Result<std::optional<UnixTime>> Timestamp(std::string_view v, const char* column) {
  if (NoTime(v)) return std::optional<UnixTime>();
  if (!std::isdigit(static_cast<unsigned char>(v.front()))) {
    return InvalidArgument(std::string(column) + " \"" + std::string(v) +
                           "\" is not a time stamp like 2026-11-20T10:00:00");
  }
  auto t = compat::slurm::ParseTimestamp(v, 0);
  if (!t.ok()) {
    return InvalidArgument(std::string(column) + " \"" + std::string(v) +
                           "\" is not a time stamp like 2026-11-20T10:00:00");
  }
  return std::optional<UnixTime>(*t);
}

// A duration in Slurm's notation ([days-]hh:mm:ss), where zero is zero: ParseTimeLimit reads a
// limit of zero as UNLIMITED, as sbatch -t does.
Result<Seconds> Duration(std::string_view v, const char* column) {
  auto d = compat::slurm::ParseTimeLimit(v);
  if (!d.ok() || *d == kUnlimited) {
    const std::string l = str::ToLower(v);
    if (d.ok() && l != "unlimited" && l != "infinite" && l != "-1") return Seconds{0};
    return InvalidArgument(std::string(column) + " \"" + std::string(v) +
                           "\" is not a duration like 1-02:03:04");
  }
  return *d;
}

Result<uint64_t> Count(std::string_view v, const char* column) {
  uint64_t n = 0;
  if (v.empty()) return uint64_t{0};
  if (!str::ParseUint(v, &n) || n > UINT32_MAX) {
    return InvalidArgument(std::string(column) + " \"" + std::string(v) + "\" is not a count");
  }
  return n;
}

// "billing=4,cpu=4,gres/gpu=2,mem=16G,node=1": the count of `key`, 0 when absent.
uint64_t TresCount(std::string_view tres, std::string_view key) {
  for (const std::string& item : str::Split(tres, ',')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || std::string_view(item).substr(0, eq) != key) continue;
    uint64_t n = 0;
    if (str::ParseUint(std::string_view(item).substr(eq + 1), &n)) return n;
  }
  return 0;
}

// The column indexes of a header, by lower-case name; -1 when absent.
class Columns {
 public:
  explicit Columns(const std::vector<std::string_view>& header) {
    for (size_t i = 0; i < header.size(); ++i) index_.emplace(str::ToLower(header[i]), i);
  }
  int Find(std::string_view name) const {
    auto it = index_.find(std::string(name));
    return it == index_.end() ? -1 : static_cast<int>(it->second);
  }
  // The first of `names` the header has.
  int First(std::initializer_list<std::string_view> names) const {
    for (auto n : names) {
      if (int i = Find(n); i >= 0) return i;
    }
    return -1;
  }

 private:
  std::map<std::string, size_t> index_;
};

}  // namespace

Result<SacctTrace> ParseSacct(std::string_view text) {
  SacctTrace trace;
  uint64_t line_no = 0;
  std::optional<Columns> cols;
  size_t width = 0;
  bool trailing_bar = false;
  int c_jobid = -1, c_raw = -1, c_submit = -1, c_start = -1, c_end = -1, c_elapsed = -1,
      c_cpus = -1, c_limit = -1, c_user = -1, c_part = -1, c_account = -1, c_qos = -1, c_nodes = -1,
      c_tres = -1, c_alloc_tres = -1, c_state = -1;
  std::vector<UnixTime> submits;  // absolute, per kept job
  const auto fail = [&](const std::string& what) {
    return InvalidArgument("sacct line " + std::to_string(line_no) + ": " + what);
  };
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = TrimCr(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty()) continue;
    if (!cols) {
      std::vector<std::string_view> header = SplitFields(line);
      if (header.size() > 1 && header.back().empty()) {
        header.pop_back();
        trailing_bar = true;
      }
      cols.emplace(header);
      width = header.size();
      c_jobid = cols->First({"jobid", "jobidraw"});
      c_raw = cols->Find("jobidraw");
      if (c_jobid < 0) {
        return fail(
            "no header naming JobID: run sacct with --parsable2 (-P) and without --noheader");
      }
      c_submit = cols->Find("submit");
      c_start = cols->Find("start");
      c_end = cols->Find("end");
      c_elapsed = cols->Find("elapsed");
      c_cpus = cols->First({"ncpus", "alloccpus", "reqcpus"});
      std::string missing;
      if (c_submit < 0) missing += " Submit";
      if (c_start < 0) missing += " Start";
      if (c_end < 0 && c_elapsed < 0) missing += " End(or Elapsed)";
      if (c_cpus < 0) missing += " NCPUS(or AllocCPUS, ReqCPUS)";
      if (!missing.empty()) {
        return fail("the header lacks" + missing +
                    "; e.g. sacct -P -X -o JobID,User,Partition,Submit,Start,End,NCPUS,"
                    "Timelimit,ReqTRES,State");
      }
      c_limit = cols->Find("timelimit");
      c_user = cols->Find("user");
      c_part = cols->Find("partition");
      c_account = cols->Find("account");
      c_qos = cols->Find("qos");
      c_nodes = cols->Find("nnodes");
      c_tres = cols->Find("reqtres");
      c_alloc_tres = cols->Find("alloctres");
      c_state = cols->Find("state");
      continue;
    }
    if (trailing_bar && line.back() == '|') line.remove_suffix(1);
    const std::vector<std::string_view> f = SplitFields(line);
    if (f.size() != width) {
      return fail(std::to_string(f.size()) + " fields, the header names " + std::to_string(width) +
                  " (a '|' inside a field, e.g. in JobName?)");
    }
    const auto get = [&](int c) { return c < 0 ? std::string_view() : TrimCr(f[c]); };
    const std::string_view jobid = get(c_jobid);
    if (jobid.find('.') != std::string_view::npos) {
      ++trace.steps;
      continue;
    }
    ++trace.records;
    // JobIDRaw is the plain number; JobID may read "1234_7" (array) or "1234+1" (het job).
    std::string_view raw = c_raw >= 0 ? get(c_raw) : jobid;
    size_t digits = 0;
    while (digits < raw.size() && std::isdigit(static_cast<unsigned char>(raw[digits]))) ++digits;
    uint64_t id = 0;
    if (digits == 0 || !str::ParseUint(raw.substr(0, digits), &id)) {
      return fail("JobID \"" + std::string(raw) + "\" is not a job id");
    }
    auto submit = Timestamp(get(c_submit), "Submit");
    if (!submit.ok()) return fail(submit.status().message());
    if (!*submit) return fail("Submit is unknown");
    auto start = Timestamp(get(c_start), "Start");
    if (!start.ok()) return fail(start.status().message());
    std::optional<UnixTime> end;
    if (c_end >= 0) {
      auto e = Timestamp(get(c_end), "End");
      if (!e.ok()) return fail(e.status().message());
      end = *e;
    }
    std::optional<Seconds> elapsed;
    if (c_elapsed >= 0 && !get(c_elapsed).empty()) {
      auto e = Duration(get(c_elapsed), "Elapsed");
      if (!e.ok()) return fail(e.status().message());
      elapsed = *e;
    }
    auto cpus = Count(get(c_cpus), "CPUs");
    if (!cpus.ok()) return fail(cpus.status().message());
    auto nodes = Count(get(c_nodes), "NNodes");
    if (!nodes.ok()) return fail(nodes.status().message());
    std::string state = str::ToUpper(get(c_state));
    if (auto sp = state.find(' '); sp != std::string::npos) state.resize(sp);  // "CANCELLED by 0"

    if (state == "PENDING" || !*start) {
      ++trace.never_started;
      continue;
    }
    const bool ended = (c_end < 0 || end.has_value()) && state != "RUNNING" &&
                       state != "SUSPENDED" && state != "REQUEUED" && state != "RESIZING";
    Seconds run = elapsed ? *elapsed : (end ? *end - **start : 0);
    // A job cancelled while pending shows Start = End (or None) and no CPUs; BOOT_FAIL never
    // ran its script.
    if ((state == "CANCELLED" || state == "BOOT_FAIL" || state == "DEADLINE") &&
        (run <= 0 || *cpus == 0)) {
      ++trace.never_started;
      continue;
    }
    if (!ended) {
      ++trace.unfinished;
      continue;
    }
    if (run <= 0 || *cpus == 0) {
      ++trace.dropped;
      continue;
    }

    SimJob job;
    job.id = id;
    job.run = run;
    job.procs = static_cast<uint32_t>(*cpus);
    const std::string_view limit = get(c_limit);
    if (c_limit < 0 || limit.empty()) {
      job.estimate = run;
      ++trace.exact_estimates;
    } else if (str::ToLower(limit) == "partition_limit") {
      job.estimate = 0;  // ResolveTimeLimits
      ++trace.partition_limits;
    } else {
      auto l = compat::slurm::ParseTimeLimit(limit);
      if (!l.ok()) return fail("Timelimit \"" + std::string(limit) + "\" is not a time limit");
      job.estimate = *l;
    }
    if (job.estimate > 0 && job.run > job.estimate) {
      job.run = job.estimate;
      ++trace.capped;
    }

    auto spec = std::make_shared<core::model::JobSpec>();
    spec->name = "job" + std::to_string(id);
    spec->user = std::string(get(c_user));
    std::string_view part = get(c_part);
    spec->partition = std::string(part.substr(0, part.find(',')));  // pending: "a,b"
    spec->account = std::string(get(c_account));
    spec->qos = std::string(get(c_qos));
    spec->num_tasks = job.procs;
    spec->cpus_per_task = 1;
    if (*nodes > 1 && *nodes <= *cpus) spec->num_nodes = static_cast<uint32_t>(*nodes);
    std::string_view tres = get(c_tres);
    if (tres.empty()) tres = get(c_alloc_tres);
    const uint64_t per = std::max<uint64_t>(spec->num_nodes, 1);
    if (const uint64_t gpus = TresCount(tres, "gres/gpu"); gpus > 0) {
      spec->gpus = static_cast<uint32_t>(std::min<uint64_t>(gpus, UINT32_MAX));
    } else if (const uint64_t mps = TresCount(tres, "gres/mps"); mps > 0) {
      spec->mps_percent = static_cast<uint32_t>(std::min<uint64_t>((mps + per - 1) / per, 100));
    } else if (const uint64_t shards = TresCount(tres, "gres/shard"); shards > 0) {
      spec->shards = static_cast<uint32_t>(std::min<uint64_t>((shards + per - 1) / per, 1000));
    }
    job.spec = std::move(spec);
    trace.jobs.push_back(std::move(job));
    submits.push_back(**submit);
  }
  if (!cols) return InvalidArgument("sacct output is empty: no header line");
  if (!submits.empty()) trace.origin = *std::min_element(submits.begin(), submits.end());
  for (size_t i = 0; i < trace.jobs.size(); ++i) trace.jobs[i].submit = submits[i] - trace.origin;
  return trace;
}

Result<SacctTrace> LoadSacct(const std::string& path) {
  return internal::LoadAndParse(path, "sacct history",
                                [](std::string_view text) { return ParseSacct(text); });
}

}  // namespace sluice::sim
