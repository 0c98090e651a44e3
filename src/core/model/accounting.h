// AccountingRecord and AccountingFilter: what accounting keeps of a job (sacct's view of it) and
// how sacct selects records. Plain values, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/time.h"
#include "core/model/job.h"

namespace sluice::core::model {

// One job as accounting keeps it, in Slurm's terms. Sluice jobs have no steps: each record is
// the job's allocation line.
struct AccountingRecord {
  JobId id = 0;
  std::string name;
  std::string user;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string group;
  std::string account;    // the user's default account when the job named none
  std::string partition;  // resolved
  std::string qos;        // "normal" when the job named none
  // Never kCompleting: accounting shows a job whose end is on its way as RUNNING, as Slurm does.
  JobState state = JobState::kPending;
  int exit_code = 0;
  int term_signal = 0;
  UnixTime submit_time = 0;  // also its eligible time
  UnixTime start_time = 0;   // 0: never started
  UnixTime end_time = 0;     // 0: not ended
  Seconds time_limit = kUnlimited;
  uint32_t req_cpus = 0;
  uint32_t alloc_cpus = 0;  // 0 unless it started
  uint32_t req_nodes = 0;
  uint32_t alloc_nodes = 0;  // 0 unless it started
  uint64_t req_mem_mb = 0;   // over the whole job; 0: not known
  std::string nodelist;      // Slurm hostlist form ("n[1-3]"); empty unless it started
  std::string req_tres;      // "billing=4,cpu=4,gres/gpu=1,mem=8G,node=1"
  std::string alloc_tres;    // the same for the allocation; empty unless it started
  std::string work_dir;
  std::string reservation;
  std::string constraints;
  uint32_t restarts = 0;

  friend bool operator==(const AccountingRecord&, const AccountingRecord&) = default;
};

// Selects records as sacct does. Every non-empty list must match; then the record must fall in
// the time window [start, end) (end 0: no bound), with Slurm's accounting semantics:
//  - no states: the job was eligible (submitted) before `end` and had not ended before `start`;
//  - with states, any of: PENDING: it waited at some time in the window; RUNNING: it ran at some
//    time in the window (finished jobs included); a final state: it ended in that state within
//    the window. kCompleting counts as RUNNING.
// The caller picks sacct's default window (core stays free of the clock).
struct AccountingFilter {
  std::vector<JobId> job_ids;
  std::vector<std::string> users;
  std::vector<std::string> accounts;
  std::vector<std::string> partitions;
  std::vector<std::string> names;
  std::vector<JobState> states;
  UnixTime start = 0;
  UnixTime end = 0;  // exclusive; 0: no upper bound

  bool Matches(const AccountingRecord& r) const;
  // The window part of Matches alone.
  bool InWindow(const AccountingRecord& r) const;
};

}  // namespace sluice::core::model
