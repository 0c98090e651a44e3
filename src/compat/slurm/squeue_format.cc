#include "compat/slurm/squeue_format.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "common/strings.h"
#include "compat/slurm/format_width.h"
#include "compat/slurm/hostlist.h"
#include "compat/slurm/time_format.h"

namespace sluice::compat::slurm {
namespace {

using core::model::Job;
using core::model::JobPtr;
using core::model::JobState;

struct Field {
  char type = 0;  // 0: literal text only
  bool right = false;
  size_t width = 0;
  std::string suffix;  // literal text printed after the field
};

// Pads and truncates as Slurm's _print_str does: the first `width` characters are kept.
void Put(std::string* out, std::string_view value, const Field& f) {
  if (f.width == 0) {
    out->append(value);
    return;
  }
  std::string_view v = value.substr(0, f.width);
  if (f.right) out->append(f.width - v.size(), ' ');
  out->append(v);
  if (!f.right) out->append(f.width - v.size(), ' ');
}

std::string_view HeaderFor(char type) {
  switch (type) {
    case 'i':
      return "JOBID";
    case 'A':
      return "JOBID";
    case 'P':
      return "PARTITION";
    case 'j':
      return "NAME";
    case 'u':
      return "USER";
    case 'U':
      return "UID";
    case 'g':
      return "GROUP";
    case 'G':
      return "GROUP";
    case 't':
      return "ST";
    case 'T':
      return "STATE";
    case 'M':
      return "TIME";
    case 'D':
      return "NODES";
    case 'R':
      return "NODELIST(REASON)";
    case 'r':
      return "REASON";
    case 'l':
      return "TIME_LIMIT";
    case 'L':
      return "TIME_LEFT";
    case 'C':
      return "CPUS";
    case 'm':
      return "MIN_MEMORY";
    case 'N':
      return "NODELIST";
    case 'S':
      return "START_TIME";
    case 'V':
      return "SUBMIT_TIME";
    case 'e':
      return "END_TIME";
    case 'Z':
      return "WORK_DIR";
    case 'o':
      return "COMMAND";
    case 'Q':
      return "PRIORITY";
    case 'p':
      return "PRIORITY";
    case 'a':
      return "ACCOUNT";
    case 'k':
      return "COMMENT";
    case 'q':
      return "QOS";
    case 'c':
      return "MIN_CPUS";
    case 'B':
      return "EXEC_HOST";
    case 'F':
      return "ARRAY_JOB_ID";
    case 'K':
      return "ARRAY_TASK_ID";
    case 'y':
      return "NICE";
    case 'h':
      return "OVER_SUBSCRIBE";
    case 'E':
      return "DEPENDENCY";
    case 'd':
      return "MIN_TMP_DISK";
    case 'f':
      return "FEATURES";
    case 'b':
      return "TRES_PER_NODE";
    case 'v':
      return "RESERVATION";
    case 'w':
      return "WCKEY";
    case 'z':
      return "S:C:T";
    case 'O':
      return "CONTIGUOUS";
    case 'x':
      return "EXC_NODES";
    case 'Y':
      return "SCHEDNODES";
    default:
      return {};
  }
}

Seconds Elapsed(const Job& job, UnixTime now) {
  if (job.start_time == 0) return 0;
  UnixTime end = (job.state == JobState::kRunning || job.end_time == 0) ? now : job.end_time;
  return std::max<Seconds>(0, end - job.start_time);
}

std::string Value(const Job& job, char type, UnixTime now) {
  const auto& spec = *job.spec;
  switch (type) {
    case 'i':
    case 'A':
    case 'F':
      return std::to_string(job.id);
    case 'P':
      return job.partition;
    case 'j':
      return spec.name;
    case 'u':
      return spec.user;
    case 'U':
      return std::to_string(spec.uid);
    case 'g':
      return spec.group;
    case 'G':
      return std::to_string(spec.gid);
    case 't':
      return std::string(core::model::JobStateShort(job.state));
    case 'T':
      return std::string(core::model::JobStateName(job.state));
    case 'M':
      return FormatElapsed(Elapsed(job, now));
    case 'D':
      return std::to_string(job.NumNodes());
    case 'R':
      if (job.state == JobState::kPending || job.allocation.empty()) {
        return "(" + std::string(core::model::ReasonName(job.reason)) + ")";
      }
      return CompressHostlist(job.NodeNames());
    case 'r':
      return std::string(core::model::ReasonName(job.reason));
    case 'l':
      return FormatTimeLimit(job.time_limit);
    case 'L':
      if (job.time_limit == kUnlimited) return "UNLIMITED";
      return FormatElapsed(std::max<Seconds>(0, job.time_limit - Elapsed(job, now)));
    case 'C':
      return std::to_string(job.NumCpus());
    case 'm':
      if (spec.mem_per_node_mb > 0) return FormatMemoryMb(spec.mem_per_node_mb);
      if (spec.mem_per_cpu_mb > 0) return FormatMemoryMb(spec.mem_per_cpu_mb);
      return FormatMemoryMb(job.MemPerNodeMb());
    case 'N':
      return CompressHostlist(job.NodeNames());
    case 'S':
      if (job.state == JobState::kPending && job.expected_start != 0) {
        return FormatIsoTime(job.expected_start);
      }
      return job.start_time == 0 ? "N/A" : FormatIsoTime(job.start_time);
    case 'V':
      return job.submit_time == 0 ? "N/A" : FormatIsoTime(job.submit_time);
    case 'e':
      if (job.state == JobState::kPending || job.start_time == 0) return "N/A";
      if (job.state == JobState::kRunning) {
        if (job.time_limit == kUnlimited) return "NONE";
        return FormatIsoTime(job.start_time + job.time_limit);
      }
      return job.end_time == 0 ? "N/A" : FormatIsoTime(job.end_time);
    case 'Z':
      return spec.work_dir;
    case 'o': {
      if (spec.command.empty()) return "(null)";
      std::string cmd = spec.command;
      for (const auto& a : spec.argv) cmd += " " + a;
      return cmd;
    }
    case 'Q':
      return std::to_string(job.priority);
    case 'p': {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.14f", job.priority / 4294967295.0);
      return buf;
    }
    case 'a':
      return spec.account.empty() ? "(null)" : spec.account;
    case 'q':
      return spec.qos.empty() ? "(null)" : spec.qos;
    case 'f':
      return spec.constraint.empty() ? "(null)" : spec.constraint;
    case 'y':
      return std::to_string(spec.nice);
    case 'h':
      return spec.exclusive ? "NO" : "OK";
    case 'x':
      return CompressHostlist(spec.exclude);
    case 'Y':
      return "(null)";
    case 'k':
    case 'v':
    case 'w':
    case 'E':
      return "(null)";
    case 'c':
      return std::to_string(std::max<uint32_t>(spec.cpus_per_task, 1));
    case 'B':
      return job.allocation.empty() ? "n/a" : job.allocation.front().node;
    case 'K':
      return "N/A";
    case 'd':
    case 'O':
      return "0";
    case 'b':
      return "N/A";
    case 'z':
      return "*:*:*";
    default:
      return "";
  }
}

Result<std::vector<Field>> ParseFormat(std::string_view format) {
  std::vector<Field> fields;
  size_t i = 0;
  // Text before the first '%' is printed as is.
  size_t first = format.find('%');
  Field prefix;
  prefix.suffix = std::string(format.substr(0, first));
  fields.push_back(prefix);
  i = first;
  while (i != std::string_view::npos && i < format.size()) {
    Field f;
    size_t j = i + 1;
    if (j < format.size() && format[j] == '%') {
      f.suffix = "%";
      j += 1;
    } else {
      if (j < format.size() && format[j] == '.') {
        f.right = true;
        ++j;
      }
      while (j < format.size() && std::isdigit(static_cast<unsigned char>(format[j]))) {
        f.width = std::min<size_t>(f.width * 10 + (format[j] - '0'), kMaxFieldWidth);
        ++j;
      }
      if (j >= format.size() || HeaderFor(format[j]).empty()) {
        std::string bad = j < format.size() ? std::string(1, format[j]) : std::string();
        return InvalidArgument("Invalid job format specification: " + bad);
      }
      f.type = format[j++];
    }
    size_t next = format.find('%', j);
    f.suffix += std::string(format.substr(j, next == std::string_view::npos ? next : next - j));
    fields.push_back(std::move(f));
    i = next;
  }
  return fields;
}

int StateRank(const Job& job) {
  JobState s = job.state == JobState::kCompleting ? job.final_state : job.state;
  switch (s) {
    case JobState::kPending:
      return 0;
    case JobState::kRunning:
      return 1;
    case JobState::kCompleted:
      return 3;
    case JobState::kCancelled:
      return 4;
    case JobState::kFailed:
      return 5;
    case JobState::kTimeout:
      return 6;
    case JobState::kNodeFail:
      return 7;
    case JobState::kCompleting:
      return 3;
  }
  return 8;
}

}  // namespace

std::string_view SqueueDefaultFormat() { return "%.18i %.9P %.8j %.8u %.2t %.10M %.6D %R"; }

std::string_view SqueueLongFormat() { return "%.18i %.9P %.8j %.8u %.8T %.10M %.9l %.6D %R"; }

std::string_view SqueueStartFormat() { return "%.18i %.9P %.8j %.8u %.2t %.19S %.6D %20Y %R"; }

Result<std::string> FormatSqueue(const std::vector<JobPtr>& jobs, std::string_view format,
                                 bool header, UnixTime now) {
  if (format.empty()) format = SqueueDefaultFormat();
  SLUICE_ASSIGN_OR_RETURN(std::vector<Field> fields, ParseFormat(format));
  std::string out;
  if (header) {
    for (const Field& f : fields) {
      if (f.type != 0) Put(&out, HeaderFor(f.type), f);
      out += f.suffix;
    }
    out += '\n';
  }
  for (const JobPtr& job : jobs) {
    for (const Field& f : fields) {
      if (f.type != 0) Put(&out, Value(*job, f.type, now), f);
      out += f.suffix;
    }
    out += '\n';
  }
  return out;
}

void SortForSqueue(std::vector<JobPtr>* jobs) {
  std::stable_sort(jobs->begin(), jobs->end(), [](const JobPtr& a, const JobPtr& b) {
    if (a->partition != b->partition) return a->partition < b->partition;
    int ra = StateRank(*a), rb = StateRank(*b);
    if (ra != rb) return ra < rb;
    if (a->priority != b->priority) return a->priority > b->priority;
    return a->id > b->id;
  });
}

}  // namespace sluice::compat::slurm
