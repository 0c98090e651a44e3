#include "core/policy/limits.h"

#include <algorithm>
#include <array>
#include <limits>

namespace sluice::core::policy {

namespace {

using cluster::QosConfig;
using cluster::Tres;
using model::Reason;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// The TRES a limit counts, in the order reasons are reported, with the reason of each limit.
struct TresField {
  uint64_t Tres::*field;
  Reason per_user;
  Reason run_mins;
};
constexpr std::array<TresField, 4> kFields = {{
    {&Tres::cpu, Reason::kQosMaxCpuPerUserLimit, Reason::kMaxCpuRunMinsPerUser},
    {&Tres::mem_mb, Reason::kQosMaxMemoryPerUser, Reason::kMaxMemoryRunMinsPerUser},
    {&Tres::node, Reason::kQosMaxNodePerUserLimit, Reason::kMaxNodeRunMinsPerUser},
    {&Tres::gpu, Reason::kQosMaxGresPerUser, Reason::kMaxGresRunMinsPerUser},
}};

// Run-minutes are kept as TRES-seconds; an unlimited time limit saturates to kMax, which no
// limit admits.
uint64_t SatMul(uint64_t a, uint64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kMax / b ? kMax : a * b;
}
uint64_t SatAdd(uint64_t a, uint64_t b) { return a > kMax - b ? kMax : a + b; }

bool HasAny(const Tres& t) { return t.cpu > 0 || t.mem_mb > 0 || t.node > 0 || t.gpu > 0; }

void Add(const Tres& from, Tres* to) {
  for (const auto& f : kFields) to->*f.field = SatAdd(to->*f.field, from.*f.field);
}

void Subtract(const Tres& from, Tres* to) {
  for (const auto& f : kFields) to->*f.field -= std::min(to->*f.field, from.*f.field);
}

// TRES * seconds, saturating.
Tres Times(const Tres& t, uint64_t seconds) {
  Tres out;
  for (const auto& f : kFields) out.*f.field = SatMul(t.*f.field, seconds);
  return out;
}

// Seconds a limit allows, as TRES-seconds math wants them.
uint64_t LimitSeconds(Seconds limit) {
  return limit == kUnlimited || limit < 0 ? kMax : static_cast<uint64_t>(limit);
}

}  // namespace

Tres JobTres(const model::Job& job) {
  Tres t;
  if (!job.allocation.empty()) {
    t.node = job.allocation.size();
    for (const auto& a : job.allocation) {
      t.cpu += a.cpus;
      t.mem_mb += a.memory_mb;
      for (const auto& g : a.gpus) {
        if (g.shares == 0) ++t.gpu;
      }
    }
    return t;
  }
  if (!job.spec) return t;
  const model::JobSpec& spec = *job.spec;
  t.cpu = job.NumCpus();
  t.node = job.NumNodes();
  t.mem_mb = spec.mem_per_node_mb > 0 ? SatMul(spec.mem_per_node_mb, t.node)
                                      : SatMul(spec.mem_per_cpu_mb, t.cpu);
  if (spec.gpus > 0) {
    t.gpu = spec.gpus;
  } else if (spec.gpus_per_node > 0) {
    t.gpu = static_cast<uint64_t>(spec.gpus_per_node) * t.node;
  } else {
    t.gpu = static_cast<uint64_t>(spec.gpus_per_task) * job.NumTasks();
  }
  return t;
}

Seconds QosTimeLimit(const model::JobSpec& spec, Seconds resolved_limit, const QosConfig* qos) {
  if (qos == nullptr || qos->max_wall <= 0 || spec.time_limit) return resolved_limit;
  return std::min(resolved_limit, qos->max_wall);
}

Status CheckSubmit(const model::JobSpec& spec, Seconds time_limit, const QosConfig* qos,
                   uint32_t user_jobs_submitted) {
  if (qos == nullptr) return Status::Ok();
  const bool over_submit =
      qos->max_submit_jobs_per_user > 0 && user_jobs_submitted >= qos->max_submit_jobs_per_user;
  const bool over_wall = qos->max_wall > 0 && time_limit > qos->max_wall;
  if (over_submit || over_wall) {
    return InvalidArgument(
        "Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)");
  }
  return Status::Ok();
}

LimitTracker::LimitTracker(const std::vector<QosConfig>& qos) {
  qos_.reserve(qos.size());
  for (const auto& q : qos) {
    if (qos_index_.count(q.name) > 0) continue;  // the parser refuses duplicates; keep the first
    QosState s;
    s.config = q;
    s.run_mins = HasAny(q.max_tres_run_mins_per_user);
    s.limited =
        q.max_jobs_per_user > 0 || q.max_wall > 0 || HasAny(q.max_tres_per_user) || s.run_mins;
    qos_index_.emplace(q.name, qos_.size());
    qos_.push_back(std::move(s));
  }
  auto normal = qos_index_.find("normal");
  if (normal != qos_index_.end()) default_qos_ = static_cast<int>(normal->second);
}

int LimitTracker::QosIndex(const model::JobSpec& spec) const {
  if (spec.qos.empty()) return default_qos_;
  auto it = qos_index_.find(spec.qos);
  return it == qos_index_.end() ? -1 : static_cast<int>(it->second);
}

const QosConfig* LimitTracker::QosOf(const model::JobSpec& spec) const {
  const int q = QosIndex(spec);
  return q < 0 ? nullptr : &qos_[q].config;
}

uint32_t LimitTracker::SubmittedJobs(const model::JobSpec& spec) const {
  const int q = QosIndex(spec);
  if (q < 0) return 0;
  const auto& users = qos_[q].users;
  auto it = users.find(spec.user);
  return it == users.end() ? 0 : it->second.submitted;
}

LimitTracker::Usage* LimitTracker::FindUsage(const Tracked& t) {
  auto& users = qos_[t.qos].users;
  auto it = users.find(t.user);
  return it == users.end() ? nullptr : &it->second;
}

LimitTracker::Tracked* LimitTracker::Track(const model::Job& job) {
  if (!job.spec) return nullptr;
  const int q = QosIndex(*job.spec);
  if (q < 0) return nullptr;
  auto [it, inserted] = tracked_.try_emplace(job.id);
  if (inserted) {
    it->second.qos = static_cast<size_t>(q);
    it->second.user = job.spec->user;
  }
  return &it->second;
}

void LimitTracker::JobSubmitted(const model::Job& job) {
  Tracked* tracked = Track(job);
  if (tracked == nullptr) return;
  Tracked& t = *tracked;
  if (t.submitted) return;
  t.submitted = true;
  qos_[t.qos].users[t.user].submitted++;
}

void LimitTracker::JobStarted(const model::Job& job) {
  Tracked* tracked = Track(job);
  if (tracked == nullptr) return;
  Tracked& t = *tracked;
  if (t.running) Release(t, job.id, /*submitted_too=*/false);
  Usage& u = qos_[t.qos].users[t.user];
  Running r;
  r.tres = JobTres(job);
  r.end = job.time_limit == kUnlimited || job.time_limit < 0 ? kUnlimited
                                                             : job.start_time + job.time_limit;
  u.running++;
  Add(r.tres, &u.tres);
  u.jobs[job.id] = r;
  t.running = true;
}

void LimitTracker::Release(Tracked& t, model::JobId id, bool submitted_too) {
  Usage* u = FindUsage(t);
  if (u != nullptr) {
    if (t.running) {
      auto r = u->jobs.find(id);
      if (r != u->jobs.end()) {
        Subtract(r->second.tres, &u->tres);
        u->jobs.erase(r);
      }
      if (u->running > 0) u->running--;
    }
    if (submitted_too && t.submitted && u->submitted > 0) u->submitted--;
    if (u->submitted == 0 && u->running == 0) qos_[t.qos].users.erase(t.user);
  }
  t.running = false;
  if (submitted_too) t.submitted = false;
}

void LimitTracker::JobRequeued(const model::Job& job) {
  auto it = tracked_.find(job.id);
  if (it == tracked_.end() || !it->second.running) return;
  Release(it->second, job.id, /*submitted_too=*/false);
  if (!it->second.submitted) tracked_.erase(it);
}

void LimitTracker::JobEnded(const model::Job& job) {
  auto it = tracked_.find(job.id);
  if (it == tracked_.end()) return;
  Release(it->second, job.id, /*submitted_too=*/true);
  tracked_.erase(it);
}

std::vector<Reason> LimitTracker::Admit(const std::vector<const model::Job*>& queue,
                                        UnixTime now) const {
  std::vector<Reason> out(queue.size(), Reason::kNone);
  // What each (QOS, user) seen in the queue holds, running plus admitted so far. Keys view the
  // queue's specs, which outlive this call.
  struct Budget {
    uint32_t running = 0;
    Tres tres;
    Tres run_secs;  // TRES * seconds left
  };
  std::vector<std::unordered_map<std::string_view, Budget>> budgets(qos_.size());

  for (size_t i = 0; i < queue.size(); ++i) {
    const model::Job* job = queue[i];
    if (job == nullptr || !job->spec || job->state != model::JobState::kPending || job->held) {
      continue;
    }
    const int q = QosIndex(*job->spec);
    if (q < 0 || !qos_[q].limited) continue;
    const QosState& qs = qos_[q];
    const QosConfig& c = qs.config;

    if (c.max_wall > 0 && job->time_limit > c.max_wall) {
      out[i] = Reason::kQosMaxWallDurationPerJobLimit;
      continue;
    }

    auto [it, inserted] = budgets[q].try_emplace(job->spec->user);
    Budget& b = it->second;
    if (inserted) {
      auto u = qs.users.find(job->spec->user);
      if (u != qs.users.end()) {
        b.running = u->second.running;
        b.tres = u->second.tres;
        if (qs.run_mins) {
          for (const auto& [id, r] : u->second.jobs) {
            const uint64_t left = r.end == kUnlimited
                                      ? kMax
                                      : static_cast<uint64_t>(std::max<Seconds>(0, r.end - now));
            Add(Times(r.tres, left), &b.run_secs);
          }
        }
      }
    }

    if (c.max_jobs_per_user > 0 && b.running >= c.max_jobs_per_user) {
      out[i] = Reason::kQosMaxJobsPerUserLimit;
      continue;
    }
    const Tres need = JobTres(*job);
    Reason reason = Reason::kNone;
    for (const auto& f : kFields) {
      const uint64_t limit = c.max_tres_per_user.*f.field;
      if (limit > 0 && SatAdd(b.tres.*f.field, need.*f.field) > limit) {
        reason = f.per_user;
        break;
      }
    }
    Tres need_secs;
    if (reason == Reason::kNone && qs.run_mins) {
      need_secs = Times(need, LimitSeconds(job->time_limit));
      for (const auto& f : kFields) {
        const uint64_t limit_mins = c.max_tres_run_mins_per_user.*f.field;
        if (limit_mins > 0 &&
            SatAdd(b.run_secs.*f.field, need_secs.*f.field) > SatMul(limit_mins, 60)) {
          reason = f.run_mins;
          break;
        }
      }
    }
    if (reason != Reason::kNone) {
      out[i] = reason;
      continue;
    }
    b.running++;
    Add(need, &b.tres);
    Add(need_secs, &b.run_secs);
  }
  return out;
}

}  // namespace sluice::core::policy
