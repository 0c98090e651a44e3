// Commands into ClusterState and the effects it asks its driver to carry out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "core/model/job.h"
#include "core/model/node.h"
#include "core/model/reservation.h"

namespace sluice::core::cluster {

using model::JobId;

// Selects jobs; every non-empty field must match.
struct JobFilter {
  std::vector<JobId> ids;
  std::vector<std::string> users;
  std::vector<std::string> names;
  std::vector<model::JobState> states;
  std::vector<std::string> partitions;

  bool Matches(const model::Job& job) const;
};

// What an agent found on its host.
struct NodeInventory {
  std::string name;
  uint32_t cpus = 0;
  uint32_t sockets = 1;
  uint32_t cores_per_socket = 1;
  uint32_t threads_per_core = 1;
  uint64_t memory_mb = 0;
  UnixTime boot_time = 0;
  UnixTime agent_start_time = 0;
  std::string arch;
  std::string os;
  std::string address;
};

// How a job ended on its node.
struct JobEnd {
  JobId id = 0;
  int exit_code = 0;
  int term_signal = 0;
  bool timed_out = false;
  bool cancelled = false;
  UnixTime start_time = 0;
  UnixTime end_time = 0;
  std::string error;
};

namespace cmd {
struct Submit {
  model::JobSpec spec;
};
struct Cancel {
  JobFilter filter;
  std::string requested_by;  // user name; empty: an administrator
};
struct Hold {
  std::vector<JobId> ids;
};
struct Release {
  std::vector<JobId> ids;
};
// scontrol update JobId=...: the fields that are set change, all or none. A pending job may
// change any of them and is checked as its submission was; a running one only its name and its
// time limit (a user may only lower it). `requested_by`: the user asking; empty or "root": an
// administrator, who may also raise a running job's limit and lower a job's nice.
struct UpdateJob {
  JobId id = 0;
  std::string requested_by;
  std::optional<std::string> name;
  std::optional<Seconds> time_limit;         // kUnlimited allowed
  std::optional<Seconds> time_limit_change;  // added to the current limit (scontrol's +N/-N)
  std::optional<std::string> partition;
  std::optional<uint32_t> num_nodes;
  std::optional<uint32_t> num_tasks;
  std::optional<int32_t> nice;
  std::optional<std::string> account;
  std::optional<std::string> qos;
  std::optional<std::vector<std::string>> nodelist;  // expanded
  std::optional<std::vector<std::string>> exclude;   // expanded
  std::optional<std::string> constraint;
  std::optional<std::string> reservation;
  std::optional<uint64_t> mem_per_node_mb;
  std::optional<uint64_t> mem_per_cpu_mb;

  bool empty() const {
    return !name && !time_limit && !time_limit_change && !partition && !num_nodes && !num_tasks &&
           !nice && !account && !qos && !nodelist && !exclude && !constraint && !reservation &&
           !mem_per_node_mb && !mem_per_cpu_mb;
  }
};
// scontrol update NodeName=...: DRAIN (no new jobs; running ones finish), DOWN (its running jobs
// are killed and end NODE_FAIL; it stays down until RESUME, agent or not), RESUME (back in
// service from either) or UNDRAIN (drain lifted, down kept). DRAIN and DOWN need a reason.
// Administrators only (`requested_by` empty or "root").
struct UpdateNode {
  enum class Action : uint8_t { kDrain, kDown, kResume, kUndrain };
  std::vector<std::string> names;
  Action action = Action::kDrain;
  std::string reason;
  std::string requested_by;
};
// scontrol update PartitionName=...: its State= (see model::Partition) and MaxTime=, the fields
// set; administrators only. Jobs already queued stay; the next pass applies the change.
struct UpdatePartition {
  enum class State : uint8_t { kUp, kDown, kDrain, kInactive };
  std::string name;
  std::optional<State> state;
  std::optional<Seconds> max_time;  // kUnlimited allowed
  std::string requested_by;
};
// An agent (re)registers: its inventory and every job it still knows about.
struct RegisterNode {
  NodeInventory inventory;
  std::vector<JobId> running;
  std::vector<JobEnd> finished;
};
struct NodeConnected {
  std::string node;
};
struct NodeDisconnected {
  std::string node;
};
struct NodeHeartbeat {
  std::string node;
};
struct JobEnded {
  std::string node;
  JobEnd end;
};
// Periodic housekeeping: node timeouts, purging old finished jobs.
struct Tick {};
// scontrol create reservation: `reservation.nodes` or `node_count` nodes (chosen then).
struct CreateReservation {
  model::Reservation reservation;
  uint32_t node_count = 0;
};
// scontrol update reservation: the named one takes the fields that are set.
struct UpdateReservation {
  std::string name;
  std::optional<UnixTime> start;
  std::optional<UnixTime> end;
  std::optional<std::vector<std::string>> nodes;
  std::optional<std::vector<std::string>> users;
  std::optional<std::vector<std::string>> accounts;
};
struct DeleteReservation {
  std::string name;
};
}  // namespace cmd

using Command =
    std::variant<cmd::Submit, cmd::Cancel, cmd::Hold, cmd::Release, cmd::UpdateJob, cmd::UpdateNode,
                 cmd::UpdatePartition, cmd::RegisterNode, cmd::NodeConnected, cmd::NodeDisconnected,
                 cmd::NodeHeartbeat, cmd::JobEnded, cmd::Tick, cmd::CreateReservation,
                 cmd::UpdateReservation, cmd::DeleteReservation>;

// The answer to one command.
struct Reply {
  Status status;
  std::vector<JobId> job_ids;       // submitted, cancelled, held or released
  std::vector<JobId> missing;       // ids the command named that are unknown or not eligible
  std::vector<std::string> errors;  // per-id problems, one line each ("Job 7 is not pending")
  uint32_t node_cpus = 0;           // RegisterNode: what the controller schedules on the node
  uint64_t node_memory_mb = 0;
};

namespace effect {
// Start the job's batch script on `node` (its first allocated node).
struct LaunchJob {
  model::JobPtr job;
  std::string node;
};
// Signal a job on a node; cancel: TERM, KILL after KillWait, end as CANCELLED.
struct SignalJob {
  JobId id = 0;
  std::string node;
  int signal = 0;
  bool cancel = false;
};
// The job's end is recorded; the node may forget it.
struct AckJobEnd {
  JobId id = 0;
  std::string node;
};
// A running job's time limit changed (scontrol update): the node that runs its batch script
// enforces the new one, counted from the job's start as before.
struct SetTimeLimit {
  JobId id = 0;
  std::string node;
  Seconds time_limit = 0;  // kUnlimited: none
};
}  // namespace effect

using Effect =
    std::variant<effect::LaunchJob, effect::SignalJob, effect::AckJobEnd, effect::SetTimeLimit>;

}  // namespace sluice::core::cluster
