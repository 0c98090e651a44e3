#include "compat/slurm/sacct_format.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <optional>

#include "common/strings.h"
#include "compat/slurm/format_width.h"
#include "compat/slurm/hostlist.h"
#include "compat/slurm/time_format.h"

namespace sluice::compat::slurm {
namespace {

namespace m = core::model;

// How sacct prints a field in fixed-width output: text is cut to the width with a '+', dates are
// cut plainly, numbers and durations never.
enum class Kind : uint8_t { kText, kNumber, kDuration, kDate };

// The fields Sluice records; every other field of the table prints empty.
enum class Value : uint8_t {
  kNone,
  kAccount,
  kAllocCpus,
  kAllocNodes,
  kAllocTres,
  kCluster,
  kConstraints,
  kCpuTime,
  kCpuTimeRaw,
  kElapsed,
  kElapsedRaw,
  kEligible,
  kEnd,
  kExitCode,
  kGid,
  kGroup,
  kJobId,
  kJobName,
  kNNodes,
  kNodeList,
  kPartition,
  kQos,
  kReqCpus,
  kReqMem,
  kReqNodes,
  kReqTres,
  kReservation,
  kRestarts,
  kStart,
  kState,
  kSubmit,
  kSuspended,
  kTimelimit,
  kTimelimitRaw,
  kUid,
  kUser,
  kWorkDir,
};

struct FieldDef {
  std::string_view name;
  int width;  // negative: left-justified
  Kind kind;
  Value value;
};

using K = Kind;
using V = Value;

// sacct's field table, in its order (alphabetical, which decides what a prefix stands for), with
// its default widths.
constexpr FieldDef kFields[] = {
    {"Account", 10, K::kText, V::kAccount},
    {"AdminComment", 15, K::kText, V::kNone},
    {"AllocCPUS", 10, K::kNumber, V::kAllocCpus},
    {"AllocNodes", 10, K::kText, V::kAllocNodes},
    {"AllocTRES", 10, K::kText, V::kAllocTres},
    {"AssocID", 7, K::kNumber, V::kNone},
    {"AveCPU", 10, K::kText, V::kNone},
    {"AveCPUFreq", 10, K::kText, V::kNone},
    {"AveDiskRead", 14, K::kText, V::kNone},
    {"AveDiskWrite", 14, K::kText, V::kNone},
    {"AvePages", 10, K::kText, V::kNone},
    {"AveRSS", 10, K::kText, V::kNone},
    {"AveVMSize", 10, K::kText, V::kNone},
    {"BlockID", 16, K::kText, V::kNone},
    {"Cluster", 10, K::kText, V::kCluster},
    {"Comment", 14, K::kText, V::kNone},
    {"Constraints", 19, K::kText, V::kConstraints},
    {"ConsumedEnergy", 14, K::kText, V::kNone},
    {"ConsumedEnergyRaw", 17, K::kNumber, V::kNone},
    {"Container", 19, K::kText, V::kNone},
    {"CPUTime", 10, K::kDuration, V::kCpuTime},
    {"CPUTimeRAW", 10, K::kNumber, V::kCpuTimeRaw},
    {"DBIndex", -21, K::kNumber, V::kNone},
    {"DerivedExitCode", 15, K::kText, V::kNone},
    {"Elapsed", 10, K::kDuration, V::kElapsed},
    {"ElapsedRaw", 10, K::kNumber, V::kElapsedRaw},
    {"Eligible", 19, K::kDate, V::kEligible},
    {"End", 19, K::kDate, V::kEnd},
    {"ExitCode", 8, K::kText, V::kExitCode},
    {"Flags", 19, K::kText, V::kNone},
    {"GID", 6, K::kNumber, V::kGid},
    {"Group", 9, K::kText, V::kGroup},
    {"JobID", -12, K::kText, V::kJobId},
    {"JobIDRaw", -12, K::kText, V::kJobId},
    {"JobName", 10, K::kText, V::kJobName},
    {"Layout", 9, K::kText, V::kNone},
    {"MaxDiskRead", 12, K::kText, V::kNone},
    {"MaxDiskReadNode", 15, K::kText, V::kNone},
    {"MaxDiskReadTask", 15, K::kNumber, V::kNone},
    {"MaxDiskWrite", 12, K::kText, V::kNone},
    {"MaxDiskWriteNode", 16, K::kText, V::kNone},
    {"MaxDiskWriteTask", 16, K::kNumber, V::kNone},
    {"MaxPages", 8, K::kText, V::kNone},
    {"MaxPagesNode", 12, K::kText, V::kNone},
    {"MaxPagesTask", 14, K::kNumber, V::kNone},
    {"MaxRSS", 10, K::kText, V::kNone},
    {"MaxRSSNode", 10, K::kText, V::kNone},
    {"MaxRSSTask", 10, K::kNumber, V::kNone},
    {"MaxVMSize", 10, K::kText, V::kNone},
    {"MaxVMSizeNode", 14, K::kText, V::kNone},
    {"MaxVMSizeTask", 14, K::kNumber, V::kNone},
    {"McsLabel", 12, K::kText, V::kNone},
    {"MinCPU", 10, K::kText, V::kNone},
    {"MinCPUNode", 10, K::kText, V::kNone},
    {"MinCPUTask", 10, K::kNumber, V::kNone},
    {"NCPUS", 10, K::kNumber, V::kAllocCpus},
    {"NNodes", 8, K::kNumber, V::kNNodes},
    {"NodeList", 15, K::kText, V::kNodeList},
    {"NTasks", 8, K::kNumber, V::kNone},
    {"Partition", 10, K::kText, V::kPartition},
    {"Priority", 10, K::kNumber, V::kNone},
    {"QOS", 10, K::kText, V::kQos},
    {"QOSRAW", 6, K::kNumber, V::kNone},
    {"Reason", 22, K::kText, V::kNone},
    {"ReqCPUFreq", 10, K::kText, V::kNone},
    {"ReqCPUFreqGov", 13, K::kText, V::kNone},
    {"ReqCPUFreqMax", 13, K::kText, V::kNone},
    {"ReqCPUFreqMin", 13, K::kText, V::kNone},
    {"ReqCPUS", 8, K::kNumber, V::kReqCpus},
    {"ReqMem", 10, K::kText, V::kReqMem},
    {"ReqNodes", 8, K::kText, V::kReqNodes},
    {"ReqTRES", 10, K::kText, V::kReqTres},
    {"Reservation", 20, K::kText, V::kReservation},
    {"ReservationId", 8, K::kNumber, V::kNone},
    {"Reserved", 10, K::kDuration, V::kNone},
    {"ResvCPU", 10, K::kDuration, V::kNone},
    {"ResvCPURAW", 10, K::kNumber, V::kNone},
    {"Restarts", 8, K::kNumber, V::kRestarts},
    {"Start", 19, K::kDate, V::kStart},
    {"State", 10, K::kText, V::kState},
    {"Submit", 19, K::kDate, V::kSubmit},
    {"SubmitLine", 20, K::kText, V::kNone},
    {"Suspended", 10, K::kDuration, V::kSuspended},
    {"SystemComment", 15, K::kText, V::kNone},
    {"SystemCPU", 10, K::kText, V::kNone},
    {"Timelimit", 10, K::kText, V::kTimelimit},
    {"TimelimitRaw", 10, K::kText, V::kTimelimitRaw},
    {"TotalCPU", 10, K::kText, V::kNone},
    {"TRESUsageInAve", 14, K::kText, V::kNone},
    {"TRESUsageInMax", 14, K::kText, V::kNone},
    {"TRESUsageInMaxNode", 18, K::kText, V::kNone},
    {"TRESUsageInMaxTask", 18, K::kText, V::kNone},
    {"TRESUsageInMin", 14, K::kText, V::kNone},
    {"TRESUsageInMinNode", 18, K::kText, V::kNone},
    {"TRESUsageInMinTask", 18, K::kText, V::kNone},
    {"TRESUsageInTot", 14, K::kText, V::kNone},
    {"TRESUsageOutAve", 15, K::kText, V::kNone},
    {"TRESUsageOutMax", 15, K::kText, V::kNone},
    {"TRESUsageOutMaxNode", 19, K::kText, V::kNone},
    {"TRESUsageOutMaxTask", 19, K::kText, V::kNone},
    {"TRESUsageOutMin", 15, K::kText, V::kNone},
    {"TRESUsageOutMinNode", 19, K::kText, V::kNone},
    {"TRESUsageOutMinTask", 19, K::kText, V::kNone},
    {"TRESUsageOutTot", 15, K::kText, V::kNone},
    {"UID", 6, K::kNumber, V::kUid},
    {"User", 9, K::kText, V::kUser},
    {"UserCPU", 10, K::kText, V::kNone},
    {"WCKey", 10, K::kText, V::kNone},
    {"WCKeyID", 10, K::kNumber, V::kNone},
    {"WorkDir", 20, K::kText, V::kWorkDir},
};

// What a job held or asked for, as a TRES string in sacct's (alphabetical) order.
struct Tres {
  uint64_t cpus = 0;
  uint64_t mem_mb = 0;
  uint64_t nodes = 0;
  uint64_t gpus = 0;
  uint64_t mps = 0;
  uint64_t shards = 0;

  std::string ToString() const {
    std::string out = "billing=" + std::to_string(cpus) + ",cpu=" + std::to_string(cpus);
    if (gpus > 0) out += ",gres/gpu=" + std::to_string(gpus);
    if (mps > 0) out += ",gres/mps=" + std::to_string(mps);
    if (shards > 0) out += ",gres/shard=" + std::to_string(shards);
    if (mem_mb > 0) out += ",mem=" + FormatMemoryMb(mem_mb);
    return out + ",node=" + std::to_string(nodes);
  }
};

Seconds ElapsedOf(const m::AccountingRecord& r, UnixTime now) {
  if (r.start_time == 0) return 0;
  const UnixTime end = r.end_time != 0 ? r.end_time : now;
  return std::max<Seconds>(0, end - r.start_time);
}

bool Started(const m::AccountingRecord& r) { return r.start_time != 0 && r.alloc_nodes > 0; }

std::string Date(UnixTime t) { return FormatIsoTime(t); }

std::string ValueOf(const m::AccountingRecord& r, Value v, const SacctOptions& o) {
  switch (v) {
    case V::kNone:
      return "";
    case V::kAccount:
      return r.account;
    case V::kAllocCpus:
      return std::to_string(r.alloc_cpus);
    case V::kAllocNodes:
      return std::to_string(r.alloc_nodes);
    case V::kAllocTres:
      return r.alloc_tres;
    case V::kCluster:
      return o.cluster;
    case V::kConstraints:
      return r.constraints;
    case V::kCpuTime:
      return FormatScontrolDuration(ElapsedOf(r, o.now) * r.alloc_cpus);
    case V::kCpuTimeRaw:
      return std::to_string(ElapsedOf(r, o.now) * r.alloc_cpus);
    case V::kElapsed:
      return FormatScontrolDuration(ElapsedOf(r, o.now));
    case V::kElapsedRaw:
      return std::to_string(ElapsedOf(r, o.now));
    case V::kEligible:
    case V::kSubmit:
      return Date(r.submit_time);
    case V::kEnd:
      return Date(r.end_time);
    case V::kExitCode:
      return std::to_string(r.exit_code) + ":" + std::to_string(r.term_signal);
    case V::kGid:
      return std::to_string(r.gid);
    case V::kGroup:
      return r.group;
    case V::kJobId:
      return std::to_string(r.id);
    case V::kJobName:
      return r.name;
    case V::kNNodes:
      return std::to_string(Started(r) ? r.alloc_nodes : r.req_nodes);
    case V::kNodeList:
      return r.nodelist.empty() ? "None assigned" : r.nodelist;
    case V::kPartition:
      return r.partition;
    case V::kQos:
      return r.qos;
    case V::kReqCpus:
      return std::to_string(r.req_cpus);
    case V::kReqMem:
      return r.req_mem_mb == 0 ? "0" : FormatMemoryMb(r.req_mem_mb);
    case V::kReqNodes:
      return std::to_string(r.req_nodes);
    case V::kReqTres:
      return r.req_tres;
    case V::kReservation:
      return r.reservation;
    case V::kRestarts:
      return std::to_string(r.restarts);
    case V::kStart:
      // Slurm shows a job that ended without starting (cancelled while pending) as starting then.
      return Date(r.start_time != 0 ? r.start_time : r.end_time);
    case V::kState:
      return std::string(m::JobStateName(r.state));
    case V::kSuspended:
      return FormatScontrolDuration(0);
    case V::kTimelimit:
      return FormatScontrolDuration(r.time_limit);
    case V::kTimelimitRaw:
      // Minutes, as Slurm keeps limits; Sluice's seconds round up.
      return r.time_limit == kUnlimited ? "UNLIMITED" : std::to_string((r.time_limit + 59) / 60);
    case V::kUid:
      return std::to_string(r.uid);
    case V::kUser:
      return r.user;
    case V::kWorkDir:
      return r.work_dir;
  }
  return "";
}

// One fixed-width cell and its trailing space, as sacct's print_fields does.
void PutFixed(std::string* out, std::string value, Kind kind, int width) {
  const size_t abs = static_cast<size_t>(width < 0 ? -width : width);
  if (value.size() > abs && (kind == K::kText || kind == K::kDate)) {
    value.resize(abs);
    if (kind == K::kText && abs > 0) value.back() = '+';
  }
  const size_t pad = abs > value.size() ? abs - value.size() : 0;
  if (width >= 0) out->append(pad, ' ');
  out->append(value);
  if (width < 0) out->append(pad, ' ');
  out->push_back(' ');
}

// Clock time "HH:MM[:SS][AM|PM]"; false if `s` is not one.
bool ParseClock(std::string_view s, int* hour, int* minute, int* second) {
  bool pm = false, am = false;
  if (s.size() > 2 && (s.substr(s.size() - 2) == "pm" || s.substr(s.size() - 2) == "am")) {
    pm = s.substr(s.size() - 2) == "pm";
    am = !pm;
    s.remove_suffix(2);
  }
  const std::vector<std::string> parts = str::Split(s, ':');
  if (parts.size() < 2 || parts.size() > 3) return false;
  uint64_t v[3] = {0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty() || parts[i].size() > 2 || !str::ParseUint(parts[i], &v[i])) return false;
  }
  if (v[1] > 59 || v[2] > 59) return false;
  if (am || pm) {
    if (v[0] < 1 || v[0] > 12) return false;
    v[0] = v[0] % 12 + (pm ? 12 : 0);
  } else if (v[0] > 23) {
    return false;
  }
  *hour = static_cast<int>(v[0]);
  *minute = static_cast<int>(v[1]);
  *second = static_cast<int>(v[2]);
  return true;
}

// Local time of day `hour:minute:second` on the day of `t`.
std::optional<UnixTime> OnDayOf(UnixTime t, int hour, int minute, int second) {
  const time_t tt = static_cast<time_t>(t);
  struct tm day;
  if (localtime_r(&tt, &day) == nullptr) return std::nullopt;
  return LocalCalendarTime(day.tm_year + 1900, day.tm_mon + 1, day.tm_mday, hour, minute, second);
}

// The same on the day of `now` plus `days` (0 or 1): 36 hours after a midnight is always the next
// day, whatever DST does to its length.
std::optional<UnixTime> LocalTime(UnixTime now, int days, int hour, int minute, int second) {
  if (days == 0) return OnDayOf(now, hour, minute, second);
  const std::optional<UnixTime> midnight = OnDayOf(now, 0, 0, 0);
  if (!midnight) return std::nullopt;
  return OnDayOf(*midnight + 36 * 3600, hour, minute, second);
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

int ToInt(std::string_view s) {
  uint64_t v = 0;
  (void)str::ParseUint(s, &v);
  return static_cast<int>(v);
}

}  // namespace

m::AccountingRecord AccountingRecordOf(const m::Job& job, std::string_view default_account) {
  const m::JobSpec& spec = *job.spec;
  m::AccountingRecord r;
  r.id = job.id;
  r.name = spec.name;
  r.user = spec.user;
  r.uid = spec.uid;
  r.gid = spec.gid;
  r.group = spec.group;
  r.account = spec.account.empty() ? std::string(default_account) : spec.account;
  r.partition = job.partition;
  r.qos = spec.qos.empty() ? "normal" : spec.qos;
  const bool finished = m::IsFinished(job.state);
  r.state = job.state == m::JobState::kCompleting ? m::JobState::kRunning : job.state;
  r.exit_code = job.exit_code;
  r.term_signal = job.term_signal;
  r.submit_time = job.submit_time;
  r.start_time = job.start_time;
  r.end_time = finished ? job.end_time : 0;
  r.time_limit = job.time_limit;
  r.req_nodes = std::max<uint32_t>(job.min_nodes, 1);
  r.req_cpus = job.NumTasks() * std::max<uint32_t>(spec.cpus_per_task, 1);
  if (spec.mem_per_node_mb > 0) {
    r.req_mem_mb = spec.mem_per_node_mb * r.req_nodes;
  } else if (spec.mem_per_cpu_mb > 0) {
    r.req_mem_mb = spec.mem_per_cpu_mb * r.req_cpus;
  }
  Tres req;
  req.cpus = r.req_cpus;
  req.nodes = r.req_nodes;
  if (spec.gpus > 0) {
    req.gpus = spec.gpus;
  } else if (spec.gpus_per_node > 0) {
    req.gpus = uint64_t{spec.gpus_per_node} * r.req_nodes;
  } else {
    req.gpus = uint64_t{spec.gpus_per_task} * job.NumTasks();
  }
  req.mps = uint64_t{spec.mps_percent} * r.req_nodes;
  req.shards = uint64_t{spec.shards} * r.req_nodes;
  const bool started = job.start_time != 0 && !job.allocation.empty();
  if (started) {
    Tres alloc;
    alloc.nodes = job.allocation.size();
    for (const auto& a : job.allocation) {
      alloc.cpus += a.cpus;
      alloc.mem_mb += a.memory_mb;
      for (const auto& g : a.gpus) {
        if (g.shares == 0) {
          ++alloc.gpus;
        } else if (spec.shards > 0) {
          alloc.shards += g.shares;
        } else {
          alloc.mps += g.shares;
        }
      }
    }
    r.alloc_cpus = static_cast<uint32_t>(alloc.cpus);
    r.alloc_nodes = static_cast<uint32_t>(alloc.nodes);
    r.alloc_tres = alloc.ToString();
    r.nodelist = CompressHostlist(job.NodeNames());
    // Without --mem or --mem-per-cpu the job asked for the default: what it got.
    if (r.req_mem_mb == 0) r.req_mem_mb = alloc.mem_mb;
  }
  req.mem_mb = r.req_mem_mb;
  r.req_tres = req.ToString();
  r.work_dir = spec.work_dir;
  r.reservation = spec.reservation;
  r.constraints = spec.constraint;
  r.restarts = job.restarts;
  return r;
}

std::string_view SacctDefaultFormat() {
  return "jobid,jobname,partition,account,alloccpus,state,exitcode";
}

std::string_view SacctBriefFormat() { return "jobid,state,exitcode"; }

std::string_view SacctLongFormat() {
  return "jobid,jobidraw,jobname,partition,maxvmsize,maxvmsizenode,maxvmsizetask,avevmsize,"
         "maxrss,maxrssnode,maxrsstask,averss,maxpages,maxpagesnode,maxpagestask,avepages,"
         "mincpu,mincpunode,mincputask,avecpu,ntasks,alloccpus,elapsed,state,exitcode,"
         "avecpufreq,reqcpufreqmin,reqcpufreqmax,reqcpufreqgov,reqmem,consumedenergy,"
         "maxdiskread,maxdiskreadnode,maxdiskreadtask,avediskread,maxdiskwrite,"
         "maxdiskwritenode,maxdiskwritetask,avediskwrite,reqtres,alloctres,tresusageinave,"
         "tresusageinmax,tresusageinmaxn,tresusageinmaxt,tresusageinmin,tresusageinminn,"
         "tresusageinmint,tresusageintot,tresusageoutmax,tresusageoutmaxn,tresusageoutmaxt,"
         "tresusageoutave,tresusageouttot";
}

Result<std::vector<SacctColumn>> ParseSacctFormat(std::string_view list) {
  std::vector<SacctColumn> out;
  for (const std::string& item : str::Split(list, ',')) {
    std::string_view name = str::Trim(item);
    if (name.empty()) continue;
    std::optional<int> width;
    if (const size_t pct = name.find('%'); pct != std::string_view::npos) {
      // sacct reads the width with atoi: "%-20" is left-justified, junk reads as 0. A width
      // past the widest either way is taken as the widest, as squeue's and sprio's are.
      const long asked = std::strtol(std::string(name.substr(pct + 1)).c_str(), nullptr, 10);
      width = static_cast<int>(std::clamp<long>(asked, -kMaxFieldWidth, kMaxFieldWidth));
      name = name.substr(0, pct);
    }
    const std::string lower = str::ToLower(name);
    if (!lower.empty() && std::string_view("all").substr(0, lower.size()) == lower) {
      for (size_t i = 0; i < std::size(kFields); ++i) {
        out.push_back({i, width.value_or(kFields[i].width)});
      }
      continue;
    }
    size_t i = 0;
    while (i < std::size(kFields) && str::ToLower(kFields[i].name).rfind(lower, 0) != 0) ++i;
    if (lower.empty() || i == std::size(kFields)) {
      return InvalidArgument("Invalid field requested: \"" + std::string(name) + "\"");
    }
    out.push_back({i, width.value_or(kFields[i].width)});
  }
  if (out.empty()) return InvalidArgument("Invalid field requested: \"" + std::string(list) + "\"");
  return out;
}

std::string SacctHelpFormat() {
  std::string out;
  for (size_t i = 0; i < std::size(kFields); ++i) {
    if (i % 4 != 0) {
      out += ' ';
    } else if (i != 0) {
      out += '\n';
    }
    std::string name(kFields[i].name);
    name.resize(std::max<size_t>(name.size(), 19), ' ');
    out += name;
  }
  return out + "\n";
}

std::string FormatSacct(const std::vector<m::AccountingRecord>& records,
                        const std::vector<SacctColumn>& columns, const SacctOptions& options) {
  std::string out;
  const auto put_line = [&](const std::function<std::string(size_t)>& cell) {
    for (size_t c = 0; c < columns.size(); ++c) {
      const FieldDef& f = kFields[columns[c].field];
      std::string value = cell(c);
      if (options.layout == SacctLayout::kFixed) {
        PutFixed(&out, std::move(value), f.kind, columns[c].width);
        continue;
      }
      out += value;
      if (options.layout == SacctLayout::kParsable || c + 1 < columns.size()) {
        out += options.delimiter;
      }
    }
    out += '\n';
  };
  if (options.header) {
    // Header names are cut plainly, never with a '+'.
    put_line([&](size_t c) {
      std::string name(kFields[columns[c].field].name);
      const size_t abs = static_cast<size_t>(std::abs(columns[c].width));
      if (options.layout == SacctLayout::kFixed && name.size() > abs) name.resize(abs);
      return name;
    });
    if (options.layout == SacctLayout::kFixed) {
      for (const auto& col : columns) {
        out.append(static_cast<size_t>(std::abs(col.width)), '-');
        out += ' ';
      }
      out += '\n';
    }
  }
  for (const auto& r : records) {
    put_line([&](size_t c) { return ValueOf(r, kFields[columns[c].field].value, options); });
  }
  return out;
}

Result<UnixTime> ParseSacctTime(std::string_view text, UnixTime now) {
  const std::string s = str::ToLower(str::Trim(text));
  const auto invalid = [&] {
    return InvalidArgument("Invalid time specification: \"" + std::string(text) + "\"");
  };
  std::optional<UnixTime> t;
  if (s.rfind("now", 0) == 0) {
    if (s.size() == 3) return now;
    if (s[3] != '+' && s[3] != '-') return invalid();
    // ParseTimestamp knows the units; an offset from 0 is the offset itself.
    auto offset = ParseTimestamp("now+" + s.substr(4), 0);
    if (!offset.ok()) return invalid();
    return s[3] == '+' ? now + *offset : now - *offset;
  }
  static constexpr struct {
    std::string_view word;
    int days, hour;
  } kWords[] = {{"today", 0, 0}, {"midnight", 0, 0}, {"noon", 0, 12},   {"elevenses", 0, 11},
                {"fika", 0, 15}, {"teatime", 0, 16}, {"tomorrow", 1, 0}};
  for (const auto& w : kWords) {
    if (s == w.word) t = LocalTime(now, w.days, w.hour, 0, 0);
  }
  if (t) return *t;
  int hour = 0, minute = 0, second = 0;
  if (ParseClock(s, &hour, &minute, &second)) {
    t = LocalTime(now, 0, hour, minute, second);
    if (!t) return invalid();
    return *t;
  }
  // A date, then optionally the time after 'T' or '-'.
  std::string_view date = s, clock;
  int year = 0, month = 0, day = 0;
  const bool iso = s.size() >= 10 && s[4] == '-' && s[7] == '-';
  const size_t sep = iso ? (s.size() > 10 ? 10 : std::string::npos) : s.find('-');
  if (sep != std::string::npos) {
    if (iso && s[10] != 't' && s[10] != '-') return invalid();
    date = std::string_view(s).substr(0, sep);
    clock = std::string_view(s).substr(sep + 1);
    if (!ParseClock(clock, &hour, &minute, &second)) return invalid();
  }
  const int this_year = [&] {
    time_t tt = static_cast<time_t>(now);
    struct tm tm_buf;
    return localtime_r(&tt, &tm_buf) != nullptr ? tm_buf.tm_year + 1900 : 1970;
  }();
  if (iso) {
    if (!AllDigits(date.substr(0, 4)) || !AllDigits(date.substr(5, 2)) ||
        !AllDigits(date.substr(8, 2))) {
      return invalid();
    }
    year = ToInt(date.substr(0, 4));
    month = ToInt(date.substr(5, 2));
    day = ToInt(date.substr(8, 2));
  } else {
    std::vector<std::string> parts;
    if (date.find('/') != std::string_view::npos) {
      parts = str::Split(date, '/');
    } else if (date.find('.') != std::string_view::npos) {
      parts = str::Split(date, '.');
    } else if (AllDigits(date) && (date.size() == 4 || date.size() == 6)) {
      for (size_t i = 0; i < date.size(); i += 2) parts.emplace_back(date.substr(i, 2));
    }
    if (parts.size() < 2 || parts.size() > 3) return invalid();
    for (const auto& p : parts) {
      if (!AllDigits(p) || p.size() > 2) return invalid();
    }
    month = ToInt(parts[0]);
    day = ToInt(parts[1]);
    year = parts.size() == 3 ? 2000 + ToInt(parts[2]) : this_year;
  }
  t = LocalCalendarTime(year, month, day, hour, minute, second);
  if (!t) return invalid();
  return *t;
}

}  // namespace sluice::compat::slurm
