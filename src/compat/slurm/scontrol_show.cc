#include "compat/slurm/scontrol_show.h"

#include <algorithm>

#include "common/strings.h"
#include "compat/slurm/filename_pattern.h"
#include "compat/slurm/hostlist.h"
#include "compat/slurm/time_format.h"

namespace sluice::compat::slurm {
namespace {

using core::model::Job;
using core::model::JobState;
using core::model::Node;
using core::model::Partition;

// Slurm prints each record as lines joined by "\n   " (or " " with -o); a multi-line record
// ends with an empty line.
std::string Render(const std::vector<std::string>& lines, bool one_liner) {
  return str::Join(lines, one_liner ? " " : "\n   ") + (one_liner ? "\n" : "\n\n");
}

std::string OrNull(const std::string& s) { return s.empty() ? "(null)" : s; }

std::string CountOrUnlimited(uint32_t n) { return n == 0 ? "UNLIMITED" : std::to_string(n); }

std::string IdWithName(const std::string& name, uint32_t id) {
  return (name.empty() ? std::to_string(id) : name) + "(" + std::to_string(id) + ")";
}

std::string OutputPath(const Job& job, const std::string& pattern) {
  const auto& spec = *job.spec;
  FilenameContext ctx{job.id, spec.name, spec.user, ""};
  std::string path = ExpandFilenamePattern(pattern, ctx);
  if (!path.empty() && path[0] != '/' && !spec.work_dir.empty()) {
    path = spec.work_dir + (spec.work_dir.back() == '/' ? "" : "/") + path;
  }
  return path;
}

uint64_t TotalMemoryMb(const Job& job) {
  const auto& spec = *job.spec;
  uint64_t total = 0;
  for (const auto& a : job.allocation) total += a.memory_mb;
  if (total > 0) return total;
  if (spec.mem_per_node_mb > 0) return spec.mem_per_node_mb * job.NumNodes();
  return spec.mem_per_cpu_mb * job.NumCpus();
}

}  // namespace

std::string ShowJob(const Job& job, bool one_liner, UnixTime now) {
  const auto& spec = *job.spec;
  bool started = job.start_time != 0;
  bool pending = job.state == JobState::kPending;
  Seconds run_time = 0;
  if (started) {
    UnixTime end = (job.state == JobState::kRunning || job.end_time == 0) ? now : job.end_time;
    run_time = std::max<Seconds>(0, end - job.start_time);
  }
  std::string eligible = (pending && job.held) ? "Unknown" : FormatIsoTime(job.submit_time);
  std::string end_time = "Unknown";
  if (job.state == JobState::kRunning) {
    if (job.time_limit != kUnlimited) end_time = FormatIsoTime(job.start_time + job.time_limit);
  } else if (!pending && job.end_time != 0) {
    end_time = FormatIsoTime(job.end_time);
  }
  UnixTime last_eval = started ? job.start_time : job.submit_time;
  std::string nodelist = CompressHostlist(job.NodeNames());
  std::string command = spec.command.empty() ? "(null)" : spec.command;
  for (const auto& a : spec.argv) command += " " + a;
  std::string memory;
  if (spec.mem_per_node_mb > 0) {
    memory = "MinMemoryNode=" + FormatMemoryMb(spec.mem_per_node_mb);
  } else if (spec.mem_per_cpu_mb > 0) {
    memory = "MinMemoryCPU=" + FormatMemoryMb(spec.mem_per_cpu_mb);
  } else {
    memory = "MinMemoryNode=" + FormatMemoryMb(job.MemPerNodeMb());
  }
  std::string out_pattern = spec.stdout_path.empty() ? DefaultStdoutPattern() : spec.stdout_path;
  std::string err_pattern = spec.stderr_path.empty() ? out_pattern : spec.stderr_path;
  uint32_t cpus = job.NumCpus();
  uint32_t cpus_per_task = std::max<uint32_t>(spec.cpus_per_task, 1);
  uint32_t min_cpus_node = std::max<uint32_t>(spec.ntasks_per_node, 1) * cpus_per_task;
  uint32_t num_nodes = job.NumNodes();
  uint64_t mem_total = TotalMemoryMb(job);
  std::string tres = "cpu=" + std::to_string(cpus);
  if (mem_total > 0) tres += ",mem=" + FormatMemoryMb(mem_total);
  tres += ",node=" + std::to_string(num_nodes) + ",billing=" + std::to_string(cpus);

  std::vector<std::string> lines = {
      "JobId=" + std::to_string(job.id) + " JobName=" + spec.name,
      "UserId=" + IdWithName(spec.user, spec.uid) + " GroupId=" + IdWithName(spec.group, spec.gid) +
          " MCS_label=N/A",
      "Priority=" + std::to_string(job.priority) + " Nice=" + std::to_string(spec.nice) +
          " Account=" + OrNull(spec.account) + " QOS=" + OrNull(spec.qos),
      "JobState=" + std::string(core::model::JobStateName(job.state)) +
          " Reason=" + std::string(core::model::ReasonName(job.reason)) + " Dependency=(null)",
      "Requeue=1 Restarts=" + std::to_string(job.restarts) + " BatchFlag=1 Reboot=0 ExitCode=" +
          std::to_string(job.exit_code) + ":" + std::to_string(job.term_signal),
      "RunTime=" + FormatScontrolDuration(run_time) +
          " TimeLimit=" + FormatScontrolDuration(job.time_limit) + " TimeMin=N/A",
      "SubmitTime=" + FormatIsoTime(job.submit_time) + " EligibleTime=" + eligible,
      "AccrueTime=" + eligible,
      "StartTime=" + (started ? FormatIsoTime(job.start_time) : std::string("Unknown")) +
          " EndTime=" + end_time + " Deadline=N/A",
      "SuspendTime=None SecsPreSuspend=0 LastSchedEval=" + FormatIsoTime(last_eval) +
          " Scheduler=Main",
      "Partition=" + job.partition + " AllocNode:Sid=" + OrNull(spec.submit_host) + ":0",
      "ReqNodeList=" + OrNull(CompressHostlist(spec.nodelist)) +
          " ExcNodeList=" + OrNull(CompressHostlist(spec.exclude)),
      "NodeList=" + nodelist,
  };
  if (!job.allocation.empty()) lines.push_back("BatchHost=" + job.allocation.front().node);
  std::vector<std::string> rest = {
      "NumNodes=" + std::to_string(num_nodes) + " NumCPUs=" + std::to_string(cpus) +
          " NumTasks=" + std::to_string(job.NumTasks()) + " CPUs/Task=" +
          std::to_string(std::max<uint32_t>(spec.cpus_per_task, 1)) + " ReqB:S:C:T=0:0:*:*",
      "TRES=" + tres,
      "Socks/Node=* NtasksPerN:B:S:C=" + std::to_string(spec.ntasks_per_node) + ":0:*:* CoreSpec=*",
      "MinCPUsNode=" + std::to_string(min_cpus_node) + " " + memory + " MinTmpDiskNode=0",
      "Features=" + OrNull(spec.constraint) + " DelayBoot=00:00:00",
      std::string("OverSubscribe=") + (spec.exclusive ? "NO" : "OK") +
          " Contiguous=0 Licenses=(null) Network=(null)",
      "Command=" + command,
      "WorkDir=" + spec.work_dir,
      "StdErr=" + OutputPath(job, err_pattern),
      "StdIn=/dev/null",
      "StdOut=" + OutputPath(job, out_pattern),
      "Power=",
      "",
  };
  lines.insert(lines.end(), rest.begin(), rest.end());
  return Render(lines, one_liner);
}

std::string ShowNode(const Node& node, bool one_liner) {
  std::string state(core::model::NodeStateName(node.State()));
  if (!node.responding) state += '*';
  if (node.drain) state += "+DRAIN";
  std::string alloc_tres;
  if (node.alloc_cpus > 0) alloc_tres = "cpu=" + std::to_string(node.alloc_cpus);
  if (node.alloc_memory_mb > 0) {
    alloc_tres += (alloc_tres.empty() ? "" : ",") + std::string("mem=") +
                  FormatMemoryMb(node.alloc_memory_mb);
  }
  std::string address = node.address.empty() ? node.name : node.address;
  std::string features = OrNull(str::Join(node.features, ","));
  std::vector<std::string> lines = {
      "NodeName=" + node.name + " Arch=" + OrNull(node.arch) +
          " CoresPerSocket=" + std::to_string(node.cores_per_socket) + " ",
      "CPUAlloc=" + std::to_string(node.alloc_cpus) + " CPUEfctv=" + std::to_string(node.cpus) +
          " CPUTot=" + std::to_string(node.cpus) + " CPULoad=N/A",
      "AvailableFeatures=" + features,
      "ActiveFeatures=" + features,
      "Gres=(null)",
      "NodeAddr=" + address + " NodeHostName=" + address + " Version=(null)",
      "OS=" + OrNull(node.os) + " ",
      "RealMemory=" + std::to_string(node.memory_mb) +
          " AllocMem=" + std::to_string(node.alloc_memory_mb) +
          " FreeMem=N/A Sockets=" + std::to_string(node.sockets) + " Boards=1",
      "State=" + state + " ThreadsPerCore=" + std::to_string(node.threads_per_core) +
          " TmpDisk=0 Weight=" + std::to_string(node.weight) + " Owner=N/A MCS_label=N/A",
      "Partitions=" + str::Join(node.partitions, ",") + " ",
      "BootTime=" + (node.boot_time ? FormatIsoTime(node.boot_time) : std::string("None")) +
          " SlurmdStartTime=" +
          (node.agent_start_time ? FormatIsoTime(node.agent_start_time) : std::string("None")),
      "LastBusyTime=" + FormatIsoTime(node.last_seen),
      "CfgTRES=cpu=" + std::to_string(node.cpus) + ",mem=" + FormatMemoryMb(node.memory_mb) +
          ",billing=" + std::to_string(node.cpus),
      "AllocTRES=" + alloc_tres,
      "CapWatts=n/a",
      "CurrentWatts=0 AveWatts=0",
      "ExtSensorsJoules=n/s ExtSensorsWatts=0 ExtSensorsTemp=n/s",
  };
  if (!node.reason.empty()) {
    // Who gave the reason and when, as Slurm shows it ("Reason=disk [root@2026-12-07T15:43:25]").
    lines.push_back("Reason=" + node.reason +
                    (node.reason_time > 0
                         ? " [" +
                               (node.reason_user.empty() ? std::string("root") : node.reason_user) +
                               "@" + FormatIsoTime(node.reason_time) + "]"
                         : ""));
  }
  return Render(lines, one_liner);
}

std::string ShowPartition(const Partition& partition,
                          const std::vector<core::model::NodePtr>& nodes, bool one_liner) {
  uint64_t total_cpus = 0, total_mem = 0, total_nodes = 0;
  for (const auto& n : nodes) {
    if (std::find(partition.nodes.begin(), partition.nodes.end(), n->name) ==
        partition.nodes.end()) {
      continue;
    }
    total_cpus += n->cpus;
    total_mem += n->memory_mb;
    ++total_nodes;
  }
  std::string node_text = str::ToUpper(partition.nodes_expr) == "ALL"
                              ? std::string("ALL")
                              : CompressHostlist(partition.nodes);
  std::string tres = "(null)";
  if (total_nodes > 0) {
    tres = "cpu=" + std::to_string(total_cpus) + ",mem=" + FormatMemoryMb(total_mem) +
           ",node=" + std::to_string(total_nodes) + ",billing=" + std::to_string(total_cpus);
  }
  std::string def_mem = partition.def_mem_per_cpu_mb > 0
                            ? "DefMemPerCPU=" + std::to_string(partition.def_mem_per_cpu_mb)
                            : std::string("DefMemPerNode=UNLIMITED");
  std::vector<std::string> lines = {
      "PartitionName=" + partition.name,
      "AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL",
      std::string("AllocNodes=ALL Default=") + (partition.is_default ? "YES" : "NO") + " QoS=N/A",
      "DefaultTime=" +
          (partition.default_time ? FormatScontrolDuration(*partition.default_time)
                                  : std::string("NONE")) +
          " DisableRootJobs=NO ExclusiveUser=NO GraceTime=0 Hidden=NO",
      "MaxNodes=" + CountOrUnlimited(partition.max_nodes) +
          " MaxTime=" + FormatScontrolDuration(partition.max_time) +
          " MinNodes=0 LLN=NO MaxCPUsPerNode=" + CountOrUnlimited(partition.max_cpus_per_node),
      "Nodes=" + (node_text.empty() ? std::string("(null)") : node_text),
      "PriorityJobFactor=" + std::to_string(partition.priority_job_factor) +
          " PriorityTier=1 RootOnly=NO ReqResv=NO OverSubscribe=NO",
      "OverTimeLimit=NONE PreemptMode=OFF",
      "State=" + std::string(core::model::PartitionStateName(partition)) +
          " TotalCPUs=" + std::to_string(total_cpus) +
          " TotalNodes=" + std::to_string(total_nodes) + " SelectTypeParameters=NONE",
      "JobDefaults=(null)",
      def_mem + " MaxMemPerNode=UNLIMITED",
      "TRES=" + tres,
  };
  return Render(lines, one_liner);
}

std::string ShowReservation(const core::model::Reservation& r,
                            const std::vector<core::model::NodePtr>& nodes, UnixTime now,
                            bool one_liner) {
  uint64_t cores = 0;
  for (const auto& n : nodes) {
    if (std::find(r.nodes.begin(), r.nodes.end(), n->name) != r.nodes.end()) cores += n->cpus;
  }
  const bool open_ended = r.end == kUnlimited;
  std::vector<std::string> lines = {
      "ReservationName=" + r.name + " StartTime=" + FormatIsoTime(r.start) + " EndTime=" +
          (open_ended ? std::string("Unknown") : FormatIsoTime(r.end)) + " Duration=" +
          (open_ended ? std::string("UNLIMITED") : FormatScontrolDuration(r.end - r.start)),
      "Nodes=" + CompressHostlist(r.nodes) + " NodeCnt=" + std::to_string(r.nodes.size()) +
          " CoreCnt=" + std::to_string(cores) +
          " Features=(null) PartitionName=" + OrNull(r.partition) + " Flags=",
      "TRES=cpu=" + std::to_string(cores),
      "Users=" + (r.users.empty() ? std::string("(null)") : str::Join(r.users, ",")) +
          " Groups=(null) Accounts=" +
          (r.accounts.empty() ? std::string("(null)") : str::Join(r.accounts, ",")) +
          " Licenses=(null) State=" + (r.ActiveAt(now) ? "ACTIVE" : "INACTIVE") +
          " BurstBuffer=(null) Watts=n/a",
      "MaxStartDelay=(null)",
  };
  return Render(lines, one_liner);
}

}  // namespace sluice::compat::slurm
