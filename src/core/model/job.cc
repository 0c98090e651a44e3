#include "core/model/job.h"

#include <algorithm>
#include <array>

#include "common/strings.h"

namespace sluice::core::model {
namespace {
struct StateNames {
  JobState state;
  std::string_view name;
  std::string_view short_name;
};
constexpr std::array<StateNames, 8> kStates = {{
    {JobState::kPending, "PENDING", "PD"},
    {JobState::kRunning, "RUNNING", "R"},
    {JobState::kCompleting, "COMPLETING", "CG"},
    {JobState::kCompleted, "COMPLETED", "CD"},
    {JobState::kFailed, "FAILED", "F"},
    {JobState::kCancelled, "CANCELLED", "CA"},
    {JobState::kTimeout, "TIMEOUT", "TO"},
    {JobState::kNodeFail, "NODE_FAIL", "NF"},
}};

struct ReasonNames {
  Reason reason;
  std::string_view name;
};
constexpr std::array<ReasonNames, 21> kReasons = {{
    {Reason::kNone, "None"},
    {Reason::kPriority, "Priority"},
    {Reason::kResources, "Resources"},
    {Reason::kPartitionTimeLimit, "PartitionTimeLimit"},
    {Reason::kPartitionDown, "PartitionDown"},
    {Reason::kJobHeldUser, "JobHeldUser"},
    {Reason::kBeginTime, "BeginTime"},
    {Reason::kNodeDown, "NodeDown"},
    {Reason::kPartitionNodeLimit, "PartitionNodeLimit"},
    {Reason::kReqNodeNotAvail, "ReqNodeNotAvail"},
    {Reason::kReservation, "Reservation"},
    {Reason::kQosMaxJobsPerUserLimit, "QOSMaxJobsPerUserLimit"},
    {Reason::kQosMaxCpuPerUserLimit, "QOSMaxCpuPerUserLimit"},
    {Reason::kQosMaxMemoryPerUser, "QOSMaxMemoryPerUser"},
    {Reason::kQosMaxNodePerUserLimit, "QOSMaxNodePerUserLimit"},
    {Reason::kQosMaxGresPerUser, "QOSMaxGRESPerUser"},
    {Reason::kQosMaxWallDurationPerJobLimit, "QOSMaxWallDurationPerJobLimit"},
    {Reason::kMaxCpuRunMinsPerUser, "MaxCpuRunMinsPerUser"},
    {Reason::kMaxMemoryRunMinsPerUser, "MaxMemoryRunMinsPerUser"},
    {Reason::kMaxNodeRunMinsPerUser, "MaxNodeRunMinsPerUser"},
    {Reason::kMaxGresRunMinsPerUser, "MaxGRESRunMinsPerUser"},
}};
}  // namespace

void CpuIds::push_back(uint32_t id) {
  if (list_.empty()) {
    if (count_ == 0) {
      first_ = id;
      count_ = 1;
      return;
    }
    if (id == first_ + count_) {
      ++count_;
      return;
    }
    list_.resize(count_);
    for (uint32_t i = 0; i < count_; ++i) list_[i] = first_ + i;
    count_ = 0;
  }
  list_.push_back(id);
}

std::vector<uint32_t> CpuIds::ToVector() const {
  std::vector<uint32_t> ids;
  ids.reserve(size());
  ForEach([&](uint32_t id) { ids.push_back(id); });
  return ids;
}

std::string_view JobStateName(JobState s) { return kStates[static_cast<size_t>(s)].name; }
std::string_view JobStateShort(JobState s) { return kStates[static_cast<size_t>(s)].short_name; }

std::optional<JobState> ParseJobState(std::string_view s) {
  std::string upper = str::ToUpper(s);
  for (const auto& e : kStates) {
    if (upper == e.name || upper == e.short_name) return e.state;
  }
  return std::nullopt;
}

bool IsFinished(JobState s) {
  return s != JobState::kPending && s != JobState::kRunning && s != JobState::kCompleting;
}

std::string_view ReasonName(Reason r) { return kReasons[static_cast<size_t>(r)].name; }

std::optional<Reason> ParseReason(std::string_view s) {
  for (const auto& e : kReasons) {
    if (s == e.name) return e.reason;
  }
  return std::nullopt;
}

uint32_t Job::NumNodes() const {
  if (!allocation.empty()) return static_cast<uint32_t>(allocation.size());
  return std::max<uint32_t>(min_nodes, 1);
}

uint32_t Job::NumTasks() const {
  if (spec->num_tasks > 0) return spec->num_tasks;
  return std::max<uint32_t>(spec->num_nodes, 1);
}

uint32_t Job::NumCpus() const {
  if (!allocation.empty()) {
    uint32_t n = 0;
    for (const auto& a : allocation) n += a.cpus;
    return n;
  }
  return NumTasks() * std::max<uint32_t>(spec->cpus_per_task, 1);
}

uint64_t Job::MemPerNodeMb() const {
  uint64_t m = 0;
  for (const auto& a : allocation) m = std::max(m, a.memory_mb);
  return m;
}

std::vector<std::string> Job::NodeNames() const {
  std::vector<std::string> out;
  out.reserve(allocation.size());
  for (const auto& a : allocation) out.push_back(a.node);
  return out;
}

}  // namespace sluice::core::model
