// squeue, sinfo, scontrol and scancel: read the controller's published view over REST and render
// it in Slurm's formats (compat/slurm), or ask it to change jobs.
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <set>

#include "cli/cli.h"
#include "common/strings.h"
#include "compat/slurm/hostlist.h"
#include "compat/slurm/sbatch_options.h"
#include "compat/slurm/scontrol_show.h"
#include "compat/slurm/sinfo_format.h"
#include "compat/slurm/sprio_format.h"
#include "compat/slurm/squeue_format.h"
#include "compat/slurm/time_format.h"
#include "rpc/convert.h"

namespace sluice::cli {

namespace m = core::model;

namespace {

// Fills `filter` from the state names in `list`; "all" clears the filter and sets *all.
Status ParseStates(const std::string& list, v1::JobFilter* filter, bool* all) {
  for (const auto& s : CommaList(list)) {
    if (str::ToLower(s) == "all") {
      *all = true;
      continue;
    }
    auto state = m::ParseJobState(s);
    if (!state) return InvalidArgument("Invalid job state specified: " + s);
    filter->add_states(rpc::ToProto(*state));
  }
  if (*all) filter->clear_states();
  return Status::Ok();
}

// Every node, as model records (the renderers take those).
Result<std::vector<m::NodePtr>> FetchNodes(rpc::RestClient& client) {
  v1::ListNodesResponse nodes;
  SLUICE_RETURN_IF_ERROR(client.Call("GET", "/api/v1/nodes", nullptr, &nodes));
  std::vector<m::NodePtr> out;
  for (const auto& n : nodes.nodes()) out.push_back(std::make_shared<m::Node>(rpc::FromProto(n)));
  return out;
}

std::vector<m::JobPtr> ToJobs(const google::protobuf::RepeatedPtrField<v1::Job>& pbs) {
  std::vector<m::JobPtr> jobs;
  jobs.reserve(pbs.size());
  for (const auto& pb : pbs) jobs.push_back(std::make_shared<m::Job>(rpc::FromProto(pb)));
  return jobs;
}

}  // namespace

int Squeue(const Args& args) {
  auto parsed = ParseOptions("squeue", args,
                             {{"user", 'u', true},
                              {"jobs", 'j', true},
                              {"states", 't', true},
                              {"partition", 'p', true},
                              {"name", 'n', true},
                              {"noheader", 'h', false},
                              {"format", 'o', true},
                              {"long", 'l', false},
                              {"me", 0, false},
                              {"start", 0, false},
                              {"help", 0, false}});
  if (!parsed.ok()) return Report("squeue", parsed.status());
  if (parsed->Has("help")) {
    printf(
        "Usage: squeue [-u users] [-j jobs] [-t states] [-p partitions] [-n names] [-h] "
        "[-o format] [-l]\n");
    return 0;
  }
  v1::ListJobsRequest req;
  v1::JobFilter* filter = req.mutable_filter();
  for (const auto& u : CommaList(parsed->Value("user"))) filter->add_users(u);
  if (parsed->Has("me")) filter->add_users(CurrentUser().name);
  for (const auto& p : CommaList(parsed->Value("partition"))) filter->add_partitions(p);
  for (const auto& n : CommaList(parsed->Value("name"))) filter->add_names(n);
  std::vector<uint32_t> ids;
  std::vector<std::string> id_words;
  if (parsed->Has("jobs")) id_words.push_back(parsed->Value("jobs"));
  if (Status st = ParseJobIds(id_words, &ids); !st.ok()) return Report("squeue", st);
  for (auto id : ids) filter->add_job_ids(id);
  bool all = false;
  if (Status st = ParseStates(parsed->Value("states"), filter, &all); !st.ok()) {
    return Report("squeue", st);
  }
  // Slurm shows a job named with -j whatever its state.
  req.set_include_finished(all || !ids.empty());
  const bool start = parsed->Has("start");
  if (start) {
    // --start: pending jobs, soonest planned start first (those without one last).
    filter->clear_states();
    filter->add_states(v1::JOB_STATE_PENDING);
  }

  auto client = Connect();
  if (!client.ok()) return Report("squeue", client.status());
  v1::ListJobsResponse resp;
  if (Status st = client->Call("POST", "/api/v1/jobs:list", &req, &resp); !st.ok()) {
    return Report("squeue", st);
  }
  auto jobs = ToJobs(resp.jobs());
  compat::slurm::SortForSqueue(&jobs);
  if (start) {
    std::stable_sort(jobs.begin(), jobs.end(), [](const m::JobPtr& a, const m::JobPtr& b) {
      const UnixTime ka = a->expected_start == 0 ? kUnlimited : a->expected_start;
      const UnixTime kb = b->expected_start == 0 ? kUnlimited : b->expected_start;
      return ka < kb;
    });
  }
  std::string format = parsed->Value("format");
  if (format.empty() && start) format = std::string(compat::slurm::SqueueStartFormat());
  if (format.empty() && parsed->Has("long")) {
    format = std::string(compat::slurm::SqueueLongFormat());
    if (!parsed->Has("noheader")) {
      time_t now = resp.now();
      char line[64];
      tm t{};
      localtime_r(&now, &t);
      strftime(line, sizeof line, "%a %b %e %H:%M:%S %Y", &t);
      printf("%s\n", line);
    }
  }
  auto out = compat::slurm::FormatSqueue(jobs, format, !parsed->Has("noheader"), resp.now());
  if (!out.ok()) return Report("squeue", out.status());
  fwrite(out->data(), 1, out->size(), stdout);
  return 0;
}

int Sprio(const Args& args) {
  auto parsed = ParseOptions("sprio", args,
                             {{"jobs", 'j', true},
                              {"user", 'u', true},
                              {"partition", 'p', true},
                              {"long", 'l', false},
                              {"norm", 'n', false},
                              {"weights", 'w', false},
                              {"noheader", 'h', false},
                              {"format", 'o', true},
                              {"help", 0, false}});
  if (!parsed.ok()) return Report("sprio", parsed.status());
  if (parsed->Has("help")) {
    printf("Usage: sprio [-j jobs] [-u users] [-p partitions] [-l] [-n] [-w] [-h] [-o format]\n");
    return 0;
  }
  auto client = Connect();
  if (!client.ok()) return Report("sprio", client.status());
  v1::ClusterInfo cluster;
  if (Status st = client->Call("GET", "/api/v1/cluster", nullptr, &cluster); !st.ok()) {
    return Report("sprio", st);
  }
  const core::cluster::PriorityConfig weights = rpc::FromProto(cluster.priority());
  if (weights.type != "priority/multifactor") {
    fprintf(stderr,
            "You are not running a supported priority plugin\n(%s).\nOnly "
            "'priority/multifactor' is supported.\n",
            weights.type.c_str());
    return 1;
  }
  const bool header = !parsed->Has("noheader");
  const bool users_given = parsed->Has("user");
  std::string format = parsed->Value("format");
  if (format.empty()) {
    format = compat::slurm::SprioDefaultFormat(weights, parsed->Has("long"), parsed->Has("norm"),
                                               users_given);
  }
  if (parsed->Has("weights")) {
    auto out = compat::slurm::FormatSprioWeights(format, weights, header);
    if (!out.ok()) return Report("sprio", out.status());
    fwrite(out->data(), 1, out->size(), stdout);
    return 0;
  }
  v1::ListJobsRequest req;
  v1::JobFilter* filter = req.mutable_filter();
  filter->add_states(v1::JOB_STATE_PENDING);
  for (const auto& u : CommaList(parsed->Value("user"))) filter->add_users(u);
  for (const auto& p : CommaList(parsed->Value("partition"))) filter->add_partitions(p);
  std::vector<uint32_t> ids;
  if (parsed->Has("jobs")) {
    if (Status st = ParseJobIds({parsed->Value("jobs")}, &ids); !st.ok()) {
      return Report("sprio", st);
    }
  }
  for (auto id : ids) filter->add_job_ids(id);
  v1::ListJobsResponse resp;
  if (Status st = client->Call("POST", "/api/v1/jobs:list", &req, &resp); !st.ok()) {
    return Report("sprio", st);
  }
  // Slurm lists the pending jobs that are eligible (not held), by job id.
  std::vector<compat::slurm::SprioRow> rows;
  for (const auto& job : ToJobs(resp.jobs())) {
    if (job->held) continue;
    compat::slurm::SprioRow row;
    row.job_id = job->id;
    row.partition = job->partition;
    row.user = job->spec->user;
    row.factors = job->factors;
    row.factors.priority = job->priority;
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.job_id < b.job_id; });
  auto out = compat::slurm::FormatSprio(rows, format, weights, header);
  if (!out.ok()) return Report("sprio", out.status());
  fwrite(out->data(), 1, out->size(), stdout);
  return 0;
}

int Sinfo(const Args& args) {
  auto parsed = ParseOptions("sinfo", args,
                             {{"Node", 'N', false},
                              {"noheader", 'h', false},
                              {"partition", 'p', true},
                              {"list-reasons", 'R', false},
                              {"help", 0, false}});
  if (!parsed.ok()) return Report("sinfo", parsed.status());
  if (parsed->Has("help")) {
    printf("Usage: sinfo [-N] [-R] [-h] [-p partitions]\n");
    return 0;
  }
  auto client = Connect();
  if (!client.ok()) return Report("sinfo", client.status());
  v1::ListPartitionsResponse parts;
  if (Status st = client->Call("GET", "/api/v1/partitions", nullptr, &parts); !st.ok()) {
    return Report("sinfo", st);
  }
  auto node_list = FetchNodes(*client);
  if (!node_list.ok()) return Report("sinfo", node_list.status());
  const auto wanted = CommaList(parsed->Value("partition"));
  std::vector<m::PartitionPtr> partitions;
  for (const auto& p : parts.partitions()) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), p.name()) == wanted.end()) {
      continue;
    }
    partitions.push_back(std::make_shared<m::Partition>(rpc::FromProto(p)));
  }
  const bool header = !parsed->Has("noheader");
  if (parsed->Has("list-reasons")) {
    // The down and drained nodes of the partitions asked for (all without -p).
    std::vector<m::NodePtr> shown;
    for (const auto& n : *node_list) {
      const bool in_wanted =
          wanted.empty() || std::any_of(partitions.begin(), partitions.end(), [&](const auto& p) {
            return std::find(p->nodes.begin(), p->nodes.end(), n->name) != p->nodes.end();
          });
      if (in_wanted) shown.push_back(n);
    }
    std::string out = compat::slurm::FormatSinfoReasons(shown, header);
    fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  std::string out = parsed->Has("Node")
                        ? compat::slurm::FormatSinfoNodes(partitions, *node_list, header)
                        : compat::slurm::FormatSinfo(partitions, *node_list, header);
  fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

int Scancel(const Args& args) {
  auto parsed = ParseOptions("scancel", args,
                             {{"user", 'u', true},
                              {"name", 'n', true},
                              {"state", 't', true},
                              {"partition", 'p', true},
                              {"me", 0, false},
                              {"help", 0, false}});
  if (!parsed.ok()) return Report("scancel", parsed.status());
  if (parsed->Has("help")) {
    printf("Usage: scancel [-u user] [-n name] [-t state] [-p partition] [job_id...]\n");
    return 0;
  }
  v1::CancelJobsRequest req;
  v1::JobFilter* filter = req.mutable_filter();
  std::vector<uint32_t> ids;
  if (Status st = ParseJobIds(parsed->positional, &ids); !st.ok()) return Report("scancel", st);
  for (auto id : ids) filter->add_job_ids(id);
  for (const auto& u : CommaList(parsed->Value("user"))) filter->add_users(u);
  if (parsed->Has("me")) filter->add_users(CurrentUser().name);
  for (const auto& n : CommaList(parsed->Value("name"))) filter->add_names(n);
  for (const auto& p : CommaList(parsed->Value("partition"))) filter->add_partitions(p);
  bool all = false;
  if (Status st = ParseStates(parsed->Value("state"), filter, &all); !st.ok()) {
    return Report("scancel", st);
  }
  if (ids.empty() && filter->users_size() == 0 && filter->names_size() == 0 &&
      filter->partitions_size() == 0 && filter->states_size() == 0) {
    return Report("scancel", InvalidArgument("No job identification provided"));
  }
  req.set_requested_by(CurrentUser().name);
  auto client = Connect();
  if (!client.ok()) return Report("scancel", client.status());
  v1::CancelJobsResponse resp;
  Status st = client->Call("POST", "/api/v1/jobs:cancel", &req, &resp);
  if (!st.ok()) {
    // One line per job the controller could not cancel, as Slurm prints them.
    for (const auto& line : str::Split(st.message(), '\n')) {
      fprintf(stderr, "scancel: error: %s\n", line.c_str());
    }
    return ExitCode(st.code());
  }
  return 0;
}

namespace {

// scontrol update JobId=ID[,ID...] Key=Value...: each job takes all the changes or none, and an
// error names its job, as Slurm's does ("Job is no longer pending execution for job 7").
int JobUpdateCommand(rpc::RestClient& client, const Args& words) {
  std::vector<uint32_t> ids;
  v1::UpdateJobRequest req;
  bool any_change = false;
  auto bad = [](const std::string& key, const std::string& value) {
    return Report("scontrol", InvalidArgument("Invalid " + key + " value: " + value));
  };
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    const size_t eq = w.find('=');
    if (eq == std::string::npos) {
      return Report("scontrol", InvalidArgument("Update of this parameter is not supported: " + w));
    }
    const std::string key = str::ToLower(w.substr(0, eq));
    const std::string value = w.substr(eq + 1);
    if (key == "jobid") {
      if (Status st = ParseJobIds({value}, &ids); !st.ok()) return Report("scontrol", st);
      continue;
    }
    any_change = true;
    uint64_t n = 0;
    if (key == "timelimit") {
      // +N and -N change the limit by that much (-1 too, as in Slurm); anything else sets it.
      const bool relative = !value.empty() && (value[0] == '+' || value[0] == '-');
      auto t = compat::slurm::ParseTimeLimit(relative ? value.substr(1) : value);
      if (value.empty() || !t.ok() || (relative && *t == kUnlimited)) {
        return Report("scontrol", InvalidArgument("Invalid TimeLimit value"));
      }
      if (relative) {
        req.set_time_limit_change_s(value[0] == '-' ? -*t : *t);
      } else {
        req.set_time_limit_s(*t == kUnlimited ? -1 : *t);
      }
    } else if (key == "jobname" || key == "name") {
      req.set_name(value);
    } else if (key == "partition") {
      req.set_partition(value);
    } else if (key == "numnodes" || key == "reqnodes") {
      // min[-max], as -N; Sluice allocates the minimum (0 is the controller's to refuse).
      const std::optional<uint32_t> nodes = compat::slurm::ParseNodeRange(value);
      if (!nodes) {
        return Report("scontrol", InvalidArgument("Invalid numeric value \"" + value +
                                                  "\" for requested node count."));
      }
      req.set_num_nodes(*nodes);
    } else if (key == "numtasks" || key == "reqprocs") {
      if (!str::ParseUint(value, &n) || n > UINT32_MAX) return bad("NumTasks", value);
      req.set_num_tasks(static_cast<uint32_t>(n));
    } else if (key == "nice") {
      // As sbatch --nice takes it (no value is 100), in scontrol's words when it is bad.
      auto nice = compat::slurm::ParseNice(value);
      if (!nice.ok()) return bad("Nice", value);
      req.set_nice(*nice);
    } else if (key == "account") {
      req.set_account(value);
    } else if (key == "qos") {
      req.set_qos(value);
    } else if (key == "reqnodelist" || key == "nodelist" || key == "excnodelist") {
      std::vector<std::string> names;
      if (!value.empty()) {
        auto expanded = compat::slurm::ExpandHostlist(value);
        if (!expanded.ok()) {
          return Report("scontrol", InvalidArgument("Invalid node name specified: " + value));
        }
        names = std::move(*expanded);
      }
      if (key == "excnodelist") {
        req.set_set_exclude(true);
        for (auto& h : names) req.add_exclude(std::move(h));
      } else {
        req.set_set_nodelist(true);
        for (auto& h : names) req.add_nodelist(std::move(h));
      }
    } else if (key == "features") {
      req.set_constraint(value);
    } else if (key == "reservation" || key == "reservationname") {
      req.set_reservation(value);
    } else if (key == "minmemorynode" || key == "minmemorycpu") {
      auto mb = compat::slurm::ParseMemoryMb(value);
      if (!mb.ok() || *mb == 0)
        return bad(key == "minmemorynode" ? "MinMemoryNode" : "MinMemoryCPU", value);
      if (key == "minmemorynode") {
        req.set_mem_per_node_mb(*mb);
      } else {
        req.set_mem_per_cpu_mb(*mb);
      }
    } else {
      return Report("scontrol", InvalidArgument("Update of this parameter is not supported: " + w));
    }
  }
  if (ids.empty()) return Report("scontrol", InvalidArgument("Invalid job id specified"));
  if (!any_change) {
    fprintf(stderr, "No changes specified\n");
    return 1;
  }
  req.set_requested_by(CurrentUser().name);
  int rc = 0;
  for (uint32_t id : ids) {
    req.set_job_id(id);
    v1::UpdateJobResponse resp;
    Status st = client.Call("POST", "/api/v1/jobs:update", &req, &resp);
    if (st.ok()) continue;
    if (st.code() == Code::kUnavailable || st.code() == Code::kUnauthenticated) {
      return Report("scontrol", st);  // no job was looked at: the controller is not there
    }
    fprintf(stderr, "%s for job %u\n", st.message().c_str(), id);
    rc = 1;
  }
  return rc;
}

// How scontrol reports a node or partition update, as Slurm's does: nothing when it was made,
// else "slurm_update error: <why>" (the missing reason bare), exit code 1.
int ReportUpdate(const Status& st) {
  if (st.ok()) return 0;
  if (st.code() == Code::kUnavailable || st.code() == Code::kUnauthenticated) {
    return Report("scontrol", st);  // the controller was not reached
  }
  if (st.message().rfind("You must specify a reason", 0) == 0) {
    fprintf(stderr, "%s\n", st.message().c_str());
  } else {
    fprintf(stderr, "slurm_update error: %s\n", st.message().c_str());
  }
  return 1;
}

// scontrol update NodeName=LIST State=DRAIN|DOWN|RESUME|UNDRAIN [Reason=...]: every node named
// or none; errors as Slurm's ("slurm_update error: Invalid node name specified").
int NodeUpdateCommand(rpc::RestClient& client, const Args& words) {
  v1::UpdateNodesRequest req;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    const size_t eq = w.find('=');
    const std::string key = str::ToLower(w.substr(0, eq));
    const std::string value = eq == std::string::npos ? "" : w.substr(eq + 1);
    if (key == "nodename" && eq != std::string::npos) {
      auto names = compat::slurm::ExpandHostlist(value);
      if (!names.ok() || names->empty()) {
        fprintf(stderr, "slurm_update error: Invalid node name specified\n");
        return 1;
      }
      for (auto& n : *names) req.add_names(std::move(n));
    } else if (key == "state" && eq != std::string::npos) {
      req.set_state(value);
    } else if (key == "reason" && eq != std::string::npos) {
      req.set_reason(value);
    } else {
      return Report("scontrol", InvalidArgument("Update of this node parameter is not supported: " +
                                                w + " (Sluice takes State= and Reason=)"));
    }
  }
  if (req.state().empty()) {
    fprintf(stderr, "No changes specified\n");
    return 1;
  }
  req.set_requested_by(CurrentUser().name);
  v1::UpdateNodesResponse resp;
  return ReportUpdate(client.Call("POST", "/api/v1/nodes:update", &req, &resp));
}

// scontrol update PartitionName=NAME [State=UP|DOWN|DRAIN|INACTIVE] [MaxTime=LIMIT]; errors as
// Slurm's ("slurm_update error: Invalid partition name specified").
int PartitionUpdateCommand(rpc::RestClient& client, const Args& words) {
  v1::UpdatePartitionRequest req;
  bool any_change = false;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    const size_t eq = w.find('=');
    const std::string key = str::ToLower(w.substr(0, eq));
    const std::string value = eq == std::string::npos ? "" : w.substr(eq + 1);
    if (eq == std::string::npos) {
      return Report("scontrol", InvalidArgument("Update of this parameter is not supported: " + w));
    }
    if (key == "partitionname") {
      req.set_name(value);
    } else if (key == "state") {
      req.set_state(value);
      any_change = true;
    } else if (key == "maxtime") {
      auto t = compat::slurm::ParseTimeLimit(value);
      if (value.empty() || !t.ok()) {
        return Report("scontrol", InvalidArgument("Invalid MaxTime value: " + value));
      }
      req.set_max_time_s(*t == kUnlimited ? -1 : *t);
      any_change = true;
    } else {
      return Report("scontrol",
                    InvalidArgument("Update of this partition parameter is not supported: " + w +
                                    " (Sluice takes State= and MaxTime=)"));
    }
  }
  if (!any_change) {
    fprintf(stderr, "No changes specified\n");
    return 1;
  }
  req.set_requested_by(CurrentUser().name);
  v1::UpdatePartitionResponse resp;
  return ReportUpdate(client.Call("POST", "/api/v1/partitions:update", &req, &resp));
}

// scontrol's reservation verbs: "create|update reservation Key=Value...", "delete
// ReservationName=NAME" (or "delete reservation NAME").
int ReservationCommand(rpc::RestClient& client, const std::string& verb, const Args& words) {
  // Slurm's scontrol updates jobs, nodes and partitions with the same verb, named by the first
  // Key=Value (JobId=, NodeName=, PartitionName=); those updates went to their own commands.
  // Creating or deleting one of them is not Sluice's, and it says so rather than calling JobId=
  // a bad reservation key. (A reservation's own PartitionName= follows its name, or the word
  // "reservation".)
  if (words.size() > 1 && words[1].find('=') != std::string::npos) {
    const std::string key = str::ToLower(words[1].substr(0, words[1].find('=')));
    const char* what = key == "jobid"                                 ? "jobs"
                       : key == "nodename"                            ? "nodes"
                       : key == "partitionname" || key == "partition" ? "partitions"
                                                                      : nullptr;
    if (what != nullptr) {
      return Report("scontrol",
                    InvalidArgument("scontrol " + verb + " of " + what +
                                    " is not supported by Sluice yet; it works on reservations "
                                    "(ReservationName=...)"));
    }
  }
  std::map<std::string, std::string> kv;
  std::string bare_name;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    auto eq = w.find('=');
    if (eq == std::string::npos) {
      const std::string lower = str::ToLower(w);
      if (lower == "reservation" || lower == "res") continue;
      bare_name = w;
      continue;
    }
    std::string key = str::ToLower(w.substr(0, eq));
    if (key == "reservation" || key == "res") key = "reservationname";
    kv[key] = w.substr(eq + 1);
  }
  const std::string name = kv.count("reservationname") ? kv["reservationname"] : bare_name;
  if (verb == "delete") {
    if (name.empty()) return Report("scontrol", InvalidArgument("Reservation name required"));
    v1::DeleteReservationRequest req;
    v1::DeleteReservationResponse resp;
    req.set_name(name);
    return Report("scontrol", client.Call("POST", "/api/v1/reservations:delete", &req, &resp));
  }
  const UnixTime now = WallClockNow();
  std::optional<UnixTime> start, end;
  std::optional<Seconds> duration;
  std::vector<std::string> nodes;
  uint32_t node_count = 0;
  static const std::set<std::string> kKnown = {
      "reservationname", "starttime", "endtime",       "duration",  "nodes", "nodecnt",
      "users",           "accounts",  "partitionname", "partition", "flags"};
  for (const auto& [key, value] : kv) {
    if (kKnown.count(key) == 0) {
      return Report("scontrol", InvalidArgument("Invalid reservation key: " + key));
    }
  }
  if (kv.count("starttime")) {
    auto t = compat::slurm::ParseTimestamp(kv["starttime"], now);
    if (!t.ok()) return Report("scontrol", t.status());
    start = *t;
  }
  if (kv.count("endtime")) {
    auto t = compat::slurm::ParseTimestamp(kv["endtime"], now);
    if (!t.ok()) return Report("scontrol", t.status());
    end = *t;
  }
  if (kv.count("duration")) {
    auto d = compat::slurm::ParseTimeLimit(kv["duration"]);
    if (!d.ok()) return Report("scontrol", d.status());
    duration = *d;
  }
  if (kv.count("nodes")) {
    auto expanded = compat::slurm::ExpandHostlist(kv["nodes"]);
    if (!expanded.ok()) return Report("scontrol", expanded.status());
    nodes = *expanded;
  }
  if (kv.count("nodecnt")) {
    uint64_t n = 0;
    if (!str::ParseUint(kv["nodecnt"], &n) || n == 0) {
      return Report("scontrol", InvalidArgument("Invalid NodeCnt: " + kv["nodecnt"]));
    }
    node_count = static_cast<uint32_t>(n);
  }
  if (verb == "create") {
    if (name.empty()) return Report("scontrol", InvalidArgument("ReservationName is required"));
    v1::CreateReservationRequest req;
    v1::Reservation* r = req.mutable_reservation();
    r->set_name(name);
    const UnixTime s = start.value_or(now);
    r->set_start_time(s);
    if (end) {
      r->set_end_time(*end);
    } else if (duration) {
      r->set_end_time(*duration == kUnlimited ? -1 : s + *duration);
    } else {
      return Report("scontrol", InvalidArgument("Duration or EndTime is required"));
    }
    for (const auto& n : nodes) r->add_nodes(n);
    for (const auto& u : CommaList(kv["users"])) r->add_users(u);
    for (const auto& a : CommaList(kv["accounts"])) r->add_accounts(a);
    r->set_partition(kv.count("partitionname") ? kv["partitionname"] : kv["partition"]);
    req.set_node_count(node_count);
    v1::CreateReservationResponse resp;
    if (Status st = client.Call("POST", "/api/v1/reservations", &req, &resp); !st.ok()) {
      return Report("scontrol",
                    Status(st.code(), "Error creating the reservation: " + st.message()));
    }
    printf("Reservation created: %s\n", name.c_str());
    return 0;
  }
  // update
  if (name.empty()) return Report("scontrol", InvalidArgument("ReservationName is required"));
  v1::UpdateReservationRequest req;
  req.set_name(name);
  if (start) req.set_start_time(*start);
  if (end) {
    req.set_end_time(*end);
  } else if (duration) {
    // A new duration counts from the (possibly new) start.
    v1::ListReservationsResponse list;
    if (Status st = client.Call("GET", "/api/v1/reservations", nullptr, &list); !st.ok()) {
      return Report("scontrol", st);
    }
    UnixTime s = start.value_or(0);
    for (const auto& r : list.reservations()) {
      if (r.name() == name && !start) s = r.start_time();
    }
    req.set_end_time(*duration == kUnlimited ? -1 : s + *duration);
  }
  if (kv.count("nodes")) {
    req.set_set_nodes(true);
    for (const auto& n : nodes) req.add_nodes(n);
  }
  if (kv.count("users")) {
    req.set_set_users(true);
    for (const auto& u : CommaList(kv["users"])) req.add_users(u);
  }
  if (kv.count("accounts")) {
    req.set_set_accounts(true);
    for (const auto& a : CommaList(kv["accounts"])) req.add_accounts(a);
  }
  v1::UpdateReservationResponse resp;
  if (Status st = client.Call("POST", "/api/v1/reservations:update", &req, &resp); !st.ok()) {
    return Report("scontrol", Status(st.code(), "Error updating the reservation: " + st.message()));
  }
  printf("Reservation updated.\n");
  return 0;
}

}  // namespace

int Scontrol(const Args& args) {
  bool one_liner = false;
  Args words;
  for (const auto& a : args) {
    if (a == "-o" || a == "--oneliner")
      one_liner = true;
    else
      words.push_back(a);
  }
  if (words.empty() || words[0] == "-h" || words[0] == "--help") {
    printf(
        "Usage: scontrol [-o] show job|node|partition [NAME]\n"
        "       scontrol hold|release JOBID...\n"
        "       scontrol update JobId=ID[,ID...] KEY=VALUE...\n"
        "       scontrol update NodeName=NODES State=DRAIN|DOWN|RESUME|UNDRAIN [Reason=TEXT]\n"
        "       scontrol update PartitionName=NAME [State=UP|DOWN|DRAIN|INACTIVE] "
        "[MaxTime=LIMIT]\n"
        "       scontrol create|update|delete reservation ...\n");
    return words.empty() ? 1 : 0;
  }
  auto client = Connect();
  if (!client.ok()) return Report("scontrol", client.status());
  const std::string verb = str::ToLower(words[0]);
  if (verb == "hold" || verb == "release") {
    std::vector<uint32_t> ids;
    if (Status st = ParseJobIds(Args(words.begin() + 1, words.end()), &ids); !st.ok()) {
      return Report("scontrol", st);
    }
    if (ids.empty()) return Report("scontrol", InvalidArgument("Invalid job id specified"));
    Status st;
    if (verb == "hold") {
      v1::HoldJobsRequest req;
      v1::HoldJobsResponse resp;
      for (auto id : ids) req.add_job_ids(id);
      st = client->Call("POST", "/api/v1/jobs:hold", &req, &resp);
    } else {
      v1::ReleaseJobsRequest req;
      v1::ReleaseJobsResponse resp;
      for (auto id : ids) req.add_job_ids(id);
      st = client->Call("POST", "/api/v1/jobs:release", &req, &resp);
    }
    return Report("scontrol", st);
  }
  if (verb == "update") {
    // A job update names JobId= anywhere among its Key=Value words, as in Slurm.
    for (size_t i = 1; i < words.size(); ++i) {
      if (words[i].find('=') == std::string::npos) continue;
      const std::string key = str::ToLower(words[i].substr(0, words[i].find('=')));
      if (key == "jobid") return JobUpdateCommand(*client, words);
      if (key == "nodename") return NodeUpdateCommand(*client, words);
      // Named first (a reservation's own PartitionName= follows its name).
      if (key == "partitionname" && i == 1) return PartitionUpdateCommand(*client, words);
    }
  }
  if (verb == "create" || verb == "update" || verb == "delete") {
    return ReservationCommand(*client, verb, words);
  }
  if (verb != "show" || words.size() < 2) {
    return Report("scontrol", InvalidArgument("invalid keyword: " + words[0]));
  }
  std::string entity = str::ToLower(words[1]);
  if (entity == "jobs") entity = "job";
  if (entity == "nodes") entity = "node";
  if (entity == "partitions") entity = "partition";
  if (entity == "reservations" || entity == "res") entity = "reservation";
  const std::string name = words.size() > 2 ? words[2] : "";
  std::string out;
  if (entity == "job") {
    v1::ListJobsRequest req;
    req.set_include_finished(true);
    if (!name.empty()) {
      std::vector<uint32_t> ids;
      if (Status st = ParseJobIds({name}, &ids); !st.ok()) return Report("scontrol", st);
      for (auto id : ids) req.mutable_filter()->add_job_ids(id);
    }
    v1::ListJobsResponse resp;
    if (Status st = client->Call("POST", "/api/v1/jobs:list", &req, &resp); !st.ok()) {
      return Report("scontrol", st);
    }
    if (resp.jobs_size() == 0) {
      if (!name.empty()) {
        fprintf(stderr, "slurm_load_jobs error: Invalid job id specified\n");
        return 1;
      }
      printf("No jobs in the system\n");
      return 0;
    }
    for (const auto& job : ToJobs(resp.jobs())) {
      out += compat::slurm::ShowJob(*job, one_liner, resp.now());
    }
  } else if (entity == "node") {
    v1::ListNodesResponse resp;
    if (Status st = client->Call("GET", "/api/v1/nodes", nullptr, &resp); !st.ok()) {
      return Report("scontrol", st);
    }
    bool any = false;
    for (const auto& n : resp.nodes()) {
      if (!name.empty() && n.name() != name) continue;
      any = true;
      out += compat::slurm::ShowNode(rpc::FromProto(n), one_liner);
    }
    if (!any) {
      fprintf(stderr, "Node %s not found\n", name.c_str());
      return 1;
    }
  } else if (entity == "partition") {
    v1::ListPartitionsResponse parts;
    if (Status st = client->Call("GET", "/api/v1/partitions", nullptr, &parts); !st.ok()) {
      return Report("scontrol", st);
    }
    auto node_list = FetchNodes(*client);
    if (!node_list.ok()) return Report("scontrol", node_list.status());
    bool any = false;
    for (const auto& p : parts.partitions()) {
      if (!name.empty() && p.name() != name) continue;
      any = true;
      out += compat::slurm::ShowPartition(rpc::FromProto(p), *node_list, one_liner);
    }
    if (!any) {
      fprintf(stderr, "Partition %s not found\n", name.c_str());
      return 1;
    }
  } else if (entity == "reservation") {
    v1::ListReservationsResponse resp;
    if (Status st = client->Call("GET", "/api/v1/reservations", nullptr, &resp); !st.ok()) {
      return Report("scontrol", st);
    }
    auto node_list = FetchNodes(*client);
    if (!node_list.ok()) return Report("scontrol", node_list.status());
    for (const auto& r : resp.reservations()) {
      if (!name.empty() && r.name() != name) continue;
      out += compat::slurm::ShowReservation(rpc::FromProto(r), *node_list, resp.now(), one_liner);
    }
    if (out.empty()) {
      if (!name.empty()) {
        fprintf(stderr, "Reservation %s not found\n", name.c_str());
        return 1;
      }
      printf("No reservations in the system\n");
      return 0;
    }
  } else {
    return Report("scontrol", InvalidArgument("invalid entity: " + words[1] +
                                              " (use job, node, partition or reservation)"));
  }
  fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace sluice::cli
