// sacct: the job history. Finished jobs come from the controller's accounting store, jobs it
// still holds from its view; compat/slurm/sacct_format renders them in sacct's layouts.
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>

#include "cli/cli.h"
#include "common/strings.h"
#include "compat/slurm/sacct_format.h"
#include "rpc/convert.h"

namespace sluice::cli {

namespace m = core::model;
namespace sl = compat::slurm;

namespace {

// Slurm states Sluice's jobs never reach: sacct accepts them, and they select nothing.
const std::set<std::string> kOtherSlurmStates = {
    "BF", "BOOT_FAIL", "DL", "DEADLINE", "OOM", "OUT_OF_MEMORY", "PR", "PREEMPTED",
    "RQ", "REQUEUED",  "RS", "RESIZING", "RV",  "REVOKED",       "S",  "SUSPENDED"};

void Usage() {
  printf(
      "Usage: sacct [-a] [-u users] [-A accounts] [-r partitions] [-j jobs] [-s states]\n"
      "             [-S time] [-E time] [--name names] [-o fields] [-b] [-l] [-n] [-p|-P]\n"
      "             [--delimiter C] [-X] [-e]\n"
      "Sluice jobs have no steps: every line is a job's allocation, as with -X.\n");
}

// Local midnight of the day of `now`.
UnixTime Midnight(UnixTime now) {
  auto t = sl::ParseSacctTime("today", now);
  return t.ok() ? *t : now - now % 86400;
}

}  // namespace

int Sacct(const Args& args) {
  auto parsed = ParseOptions("sacct", args,
                             {{"allusers", 'a', false},
                              {"accounts", 'A', true},
                              {"allocations", 'X', false},
                              {"brief", 'b', false},
                              {"delimiter", 0, true},
                              {"duplicates", 'D', false},
                              {"helpformat", 'e', false},
                              {"help-fields", 0, false},
                              {"endtime", 'E', true},
                              {"help", 'h', false},
                              {"jobs", 'j', true},
                              {"long", 'l', false},
                              {"allclusters", 'L', false},
                              {"local", 0, false},
                              {"name", 0, true},
                              {"noheader", 'n', false},
                              {"format", 'o', true},
                              {"fields", 0, true},
                              {"parsable", 'p', false},
                              {"parsable2", 'P', false},
                              {"partition", 'r', true},
                              {"state", 's', true},
                              {"starttime", 'S', true},
                              {"user", 'u', true},
                              {"uid", 0, true},
                              {"usage", 0, false}});
  if (!parsed.ok()) {
    // One line: the option at fault (getopt's "Try --help" line adds nothing here).
    const std::string& msg = parsed.status().message();
    return Report("sacct", InvalidArgument(msg.substr(0, msg.find('\n'))));
  }
  if (parsed->Has("help") || parsed->Has("usage")) {
    Usage();
    return 0;
  }
  if (parsed->Has("helpformat") || parsed->Has("help-fields")) {
    fputs(sl::SacctHelpFormat().c_str(), stdout);
    return 0;
  }
  if (!parsed->positional.empty()) {
    return Report("sacct",
                  InvalidArgument("Unknown arguments: " + str::Join(parsed->positional, " ") +
                                  " (job ids go with -j)"));
  }

  // The columns: every -o in order (sacct joins them), -b/-l, else $SACCT_FORMAT, else default.
  std::string format;
  for (const auto& [name, value] : parsed->options) {
    if (name == "format" || name == "fields") format += value + ",";
  }
  if (parsed->Has("brief")) format += std::string(sl::SacctBriefFormat()) + ",";
  if (parsed->Has("long")) format += std::string(sl::SacctLongFormat()) + ",";
  if (format.empty()) {
    const char* env = getenv("SACCT_FORMAT");
    format = env != nullptr && *env != '\0' ? env : std::string(sl::SacctDefaultFormat());
  }
  auto columns = sl::ParseSacctFormat(format);
  if (!columns.ok()) return Report("sacct", columns.status());

  // Filters: repeated options add up, as in sacct.
  m::AccountingFilter filter;
  bool all_users = false, states_given = false;
  for (const auto& [name, value] : parsed->options) {
    if (name == "jobs") {
      if (Status st = ParseJobIds({value}, &filter.job_ids); !st.ok()) return Report("sacct", st);
    } else if (name == "accounts") {
      for (auto& a : CommaList(value)) filter.accounts.push_back(a);
    } else if (name == "partition") {
      for (auto& p : CommaList(value)) filter.partitions.push_back(p);
    } else if (name == "name") {
      for (auto& n : CommaList(value)) filter.names.push_back(n);
    } else if (name == "allusers" || ((name == "user" || name == "uid") && value == "-1")) {
      all_users = true;
    } else if (name == "user" || name == "uid") {
      all_users = false;  // the last of -a and -u counts
      for (const auto& u : CommaList(value)) {
        uint64_t uid = 0;
        const passwd* pw = str::ParseUint(u, &uid) ? getpwuid(static_cast<uid_t>(uid)) : nullptr;
        filter.users.push_back(pw != nullptr ? pw->pw_name : u);
      }
    } else if (name == "state") {
      states_given = true;
      for (const auto& st : CommaList(value)) {
        if (auto state = m::ParseJobState(st)) {
          filter.states.push_back(*state);
        } else if (kOtherSlurmStates.count(str::ToUpper(st)) == 0) {
          return Report("sacct", InvalidArgument("unrecognized job state value " + st));
        }
      }
    }
  }
  if (all_users) filter.users.clear();
  // As sacct: a user sees their own jobs unless they ask for others', name jobs, or are root.
  if (!all_users && filter.users.empty() && filter.job_ids.empty() && getuid() != 0) {
    filter.users.push_back(CurrentUser().name);
  }

  // sacct's default window: from midnight, or from now with -s, or from the epoch with -j; to
  // now, or to the start with -s. The end is exclusive, so one equal to the start or to now
  // moves a second on.
  const UnixTime now = WallClockNow();
  std::optional<UnixTime> start, end;
  for (const char* bound : {"starttime", "endtime"}) {
    if (!parsed->Has(bound)) continue;
    auto t = sl::ParseSacctTime(parsed->Value(bound), now);
    if (!t.ok()) return Report("sacct", t.status());
    (bound == std::string_view("starttime") ? start : end) = *t;
  }
  if (states_given) {
    if (!start && filter.job_ids.empty()) start = now;
    if (start && !end) end = start;
  } else if (!start && filter.job_ids.empty()) {
    start = Midnight(now);
  }
  filter.start = start.value_or(0);
  filter.end = end.value_or(now);
  if (filter.end == filter.start || filter.end == now) ++filter.end;

  sl::SacctOptions options;
  options.header = !parsed->Has("noheader");
  if (parsed->Has("parsable")) options.layout = sl::SacctLayout::kParsable;
  if (parsed->Has("parsable2")) options.layout = sl::SacctLayout::kParsable2;
  if (parsed->Has("delimiter")) options.delimiter = parsed->Value("delimiter");

  std::vector<m::AccountingRecord> records;
  // States Sluice's jobs never reach select nothing: no need to ask.
  if (!states_given || !filter.states.empty()) {
    auto client = Connect();
    if (!client.ok()) return Report("sacct", client.status());
    v1::ListAccountingJobsRequest req;
    rpc::ToProto(filter, req.mutable_filter());
    v1::ListAccountingJobsResponse resp;
    if (Status st = client->Call("POST", "/api/v1/accounting/jobs:list", &req, &resp); !st.ok()) {
      return Report("sacct", st);
    }
    for (const auto& j : resp.jobs()) records.push_back(rpc::FromProto(j));
    options.now = resp.now();
    options.cluster = resp.cluster();
  }
  const std::string out = sl::FormatSacct(records, *columns, options);
  fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace sluice::cli
