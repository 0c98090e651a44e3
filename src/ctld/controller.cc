#include "ctld/controller.h"

#include <chrono>
#include <cstdlib>

#include "common/log.h"
#include "compat/slurm/job_env.h"
#include "compat/slurm/sacct_format.h"
#include "rpc/convert.h"

namespace sluice::ctld {

namespace cl = core::cluster;

namespace {

// Adds `later` to `into`; a record in both keeps its later version.
void MergeChanges(cl::Changes later, cl::Changes* into) {
  if (into->empty()) {
    *into = std::move(later);
    return;
  }
  std::unordered_map<core::model::JobId, size_t> job_at;
  for (size_t i = 0; i < into->jobs.size(); ++i) job_at[into->jobs[i]->id] = i;
  for (auto& job : later.jobs) {
    auto [it, fresh] = job_at.try_emplace(job->id, into->jobs.size());
    if (fresh) {
      into->jobs.push_back(std::move(job));
    } else {
      into->jobs[it->second] = std::move(job);
    }
  }
  // The journal writes upserts in order, then deletes: repeats resolve to the later version.
  const auto append = [](auto& from, auto* to) {
    to->insert(to->end(), std::make_move_iterator(from.begin()),
               std::make_move_iterator(from.end()));
  };
  append(later.purged_jobs, &into->purged_jobs);
  append(later.nodes, &into->nodes);
  append(later.reservations, &into->reservations);
  append(later.deleted_reservations, &into->deleted_reservations);
  append(later.usage, &into->usage);
  append(later.partitions, &into->partitions);
}

}  // namespace

void NodeChannel::Push(v1::ControllerMessage msg) {
  {
    std::lock_guard lock(mu_);
    outbox_.push_back(std::move(msg));
  }
  cv_.notify_all();
}

void NodeChannel::Clear() {
  std::lock_guard lock(mu_);
  outbox_.clear();
}

bool NodeChannel::Pop(uint64_t generation, v1::ControllerMessage* out) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return generation_ != generation || !attached_ || !outbox_.empty(); });
  if (generation_ != generation || !attached_) return false;
  *out = std::move(outbox_.front());
  outbox_.pop_front();
  return true;
}

uint64_t NodeChannel::Attach() {
  std::lock_guard lock(mu_);
  ++generation_;
  attached_ = true;
  cv_.notify_all();
  return generation_;
}

void NodeChannel::Detach(uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generation_ == generation) attached_ = false;
  cv_.notify_all();
}

bool NodeChannel::IsCurrent(uint64_t generation) {
  std::lock_guard lock(mu_);
  return generation_ == generation && attached_;
}

Controller::Controller(cl::ClusterConfig config, std::unique_ptr<store::Journal> journal,
                       std::unique_ptr<store::AccountingStore> accounting)
    : state_(std::move(config)), journal_(std::move(journal)), accounting_(std::move(accounting)) {
  // A user's default account: the association marked Default=YES, else the first (FairTree's).
  for (const auto& u : state_.config().users) {
    if (u.is_default || !default_account_.contains(u.name)) default_account_[u.name] = u.account;
  }
}

Result<std::unique_ptr<Controller>> Controller::Create(
    cl::ClusterConfig config, std::unique_ptr<store::Journal> journal,
    std::unique_ptr<store::AccountingStore> accounting) {
  SLUICE_ASSIGN_OR_RETURN(store::JournalContents contents, journal->Load());
  std::unique_ptr<Controller> c(
      new Controller(std::move(config), std::move(journal), std::move(accounting)));
  std::vector<core::model::Job> jobs;
  for (const auto& bytes : contents.jobs) {
    v1::Job pb;
    if (!pb.ParseFromString(bytes)) return Internal("journal: a job record is corrupt");
    jobs.push_back(rpc::FromProto(pb));
  }
  std::vector<core::model::Node> nodes;
  for (const auto& bytes : contents.nodes) {
    v1::Node pb;
    if (!pb.ParseFromString(bytes)) return Internal("journal: a node record is corrupt");
    nodes.push_back(rpc::FromProto(pb));
  }
  std::vector<core::model::Reservation> reservations;
  for (const auto& bytes : contents.reservations) {
    v1::Reservation pb;
    if (!pb.ParseFromString(bytes)) return Internal("journal: a reservation record is corrupt");
    reservations.push_back(rpc::FromProto(pb));
  }
  std::vector<core::model::Partition> partitions;
  for (const auto& bytes : contents.partitions) {
    v1::Partition pb;
    if (!pb.ParseFromString(bytes)) return Internal("journal: a partition record is corrupt");
    partitions.push_back(rpc::FromProto(pb));
  }
  const size_t restored = jobs.size();
  const UnixTime now = WallClockNow();
  std::vector<cl::UsageRecord> usage;
  for (const auto& u : contents.usage) usage.push_back({u.account, u.user, u.usage, u.at});
  // The finished jobs the journal still holds go to accounting (again): a no-op normally, but it
  // covers a journal written before accounting existed and a lost accounting file.
  std::vector<core::model::AccountingRecord> finished;
  for (const auto& job : jobs) {
    if (core::model::IsFinished(job.state)) finished.push_back(c->AccountingRecordOf(job));
  }
  SLUICE_RETURN_IF_ERROR(c->accounting_->Record(finished));
  // Ids go on above every recorded job's, should the journal have been lost or replaced while
  // accounting was kept: a new job under an old id would overwrite that job's record.
  SLUICE_ASSIGN_OR_RETURN(const core::model::JobId recorded, c->accounting_->HighestJobId());
  const core::model::JobId next_job_id = std::max<core::model::JobId>(
      contents.next_job_id, recorded < core::model::JobId{UINT32_MAX} ? recorded + 1 : recorded);
  c->state_.Restore(std::move(jobs), std::move(nodes), next_job_id, now, std::move(reservations),
                    usage, partitions);
  c->view_ = c->state_.MakeView(now);
  SLOG_INFO("ctld")
      .Msg("state restored")
      .Kv("jobs", restored)
      .Kv("next_job_id", c->state_.next_job_id());
  return c;
}

Controller::~Controller() { Stop(); }

void Controller::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Controller::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

cl::Reply Controller::Post(cl::Command command) {
  std::promise<cl::Reply> promise;
  auto future = promise.get_future();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return {Unavailable("the controller is shutting down")};
    queue_.push_back({std::move(command), &promise});
  }
  cv_.notify_one();
  return future.get();
}

void Controller::PostAsync(cl::Command command) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    queue_.push_back({std::move(command), nullptr});
  }
  cv_.notify_one();
}

Result<std::vector<core::model::AccountingRecord>> Controller::QueryAccounting(
    const core::model::AccountingFilter& filter) const {
  return accounting_->Query(filter);
}

core::model::AccountingRecord Controller::AccountingRecordOf(const core::model::Job& job) const {
  auto it = default_account_.find(job.spec->user);
  return compat::slurm::AccountingRecordOf(
      job, it == default_account_.end() ? std::string_view() : std::string_view(it->second));
}

std::shared_ptr<const cl::ClusterView> Controller::View() const {
  std::lock_guard lock(view_mu_);
  return view_;
}

std::shared_ptr<NodeChannel> Controller::Channel(const std::string& node) {
  std::lock_guard lock(channels_mu_);
  auto& ch = channels_[node];
  if (!ch) ch = std::make_shared<NodeChannel>();
  return ch;
}

void Controller::Loop() {
  using Clock = std::chrono::steady_clock;
  auto next_tick = Clock::now();
  while (true) {
    std::vector<Item> items;
    {
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_tick, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_ && queue_.empty()) break;
      items.swap(queue_);
    }
    const bool tick = Clock::now() >= next_tick;
    if (tick) next_tick = Clock::now() + std::chrono::seconds(1);
    RunBatch(items, tick);
  }
}

void Controller::RunBatch(std::vector<Item>& items, bool tick) {
  const UnixTime now = WallClockNow();
  std::vector<cl::Effect> effects;
  std::vector<cl::Reply> replies;
  replies.reserve(items.size());
  for (auto& item : items) {
    if (auto* reg = std::get_if<cl::cmd::RegisterNode>(&item.command)) {
      // Registration reconciles everything the node runs; stale queued messages would only
      // repeat or contradict it.
      Channel(reg->inventory.name)->Clear();
    }
    replies.push_back(state_.Apply(item.command, now, &effects));
  }
  cl::Changes changes;
  if (tick) {
    // A job that ended in this batch is in these changes even if the tick purges it at once
    // (MinJobAge=0), so that it reaches accounting below.
    changes = state_.TakeChanges();
    (void)state_.Apply(cl::cmd::Tick{}, now, &effects);
  }
  if (state_.NeedsSchedule()) state_.Schedule(now, &effects);
  MergeChanges(state_.TakeChanges(), &changes);

  // Accounting first: once the journal holds a job as finished, MinJobAge may purge it, so its
  // record must already be durable. A crash between the two writes leaves accounting ahead of
  // the journal; the job's next outcome replaces the record, and sacct shows the controller's
  // own view of a job it still holds.
  std::vector<core::model::AccountingRecord> finished;
  for (const auto& job : changes.jobs) {
    if (core::model::IsFinished(job->state)) finished.push_back(AccountingRecordOf(*job));
  }
  if (Status st = accounting_->Record(finished); !st.ok()) {
    SLOG_ERROR("ctld").Msg("accounting write failed, exiting").Kv("error", st.message());
    std::abort();
  }
  store::JournalBatch batch;
  for (const auto& job : changes.jobs) {
    v1::Job pb;
    rpc::ToProto(*job, &pb);
    batch.job_upserts.emplace_back(job->id, pb.SerializeAsString());
  }
  batch.job_deletes = std::move(changes.purged_jobs);
  for (const auto& node : changes.nodes) {
    v1::Node pb;
    rpc::ToProto(*node, &pb);
    batch.node_upserts.emplace_back(node->name, pb.SerializeAsString());
  }
  for (const auto& r : changes.reservations) {
    v1::Reservation pb;
    rpc::ToProto(*r, &pb);
    batch.reservation_upserts.emplace_back(r->name, pb.SerializeAsString());
  }
  batch.reservation_deletes = std::move(changes.deleted_reservations);
  for (const auto& p : changes.partitions) {
    v1::Partition pb;
    rpc::ToProto(*p, &pb);
    batch.partition_upserts.emplace_back(p->name, pb.SerializeAsString());
  }
  for (const auto& u : changes.usage) {
    batch.usage_upserts.push_back({u.account, u.user, u.usage, u.at});
  }
  if (!batch.job_upserts.empty()) batch.next_job_id = state_.next_job_id();
  if (Status st = journal_->Commit(batch); !st.ok()) {
    // The state moved on in memory but not on disk: acknowledging would risk losing work, so
    // stop here and let the restart recover from the journal.
    SLOG_ERROR("ctld").Msg("journal commit failed, exiting").Kv("error", st.message());
    std::abort();
  }
  // Always republish: derived fields (reasons, planned starts) change without journal records,
  // and a view is a few pointer copies (see JobTable).
  {
    auto view = state_.MakeView(now);
    std::lock_guard lock(view_mu_);
    view_ = std::move(view);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].reply != nullptr) items[i].reply->set_value(std::move(replies[i]));
  }
  Dispatch(effects);
}

void Controller::Dispatch(const std::vector<cl::Effect>& effects) {
  for (const auto& e : effects) {
    v1::ControllerMessage msg;
    std::string node;
    if (const auto* launch = std::get_if<cl::effect::LaunchJob>(&e)) {
      node = launch->node;
      auto* l = msg.mutable_launch();
      rpc::ToProto(*launch->job, l->mutable_job());
      for (auto& kv : compat::slurm::BuildJobEnvironment(*launch->job, node)) {
        l->add_environment(std::move(kv));
      }
      l->set_kill_wait_s(state_.config().kill_wait);
    } else if (const auto* sig = std::get_if<cl::effect::SignalJob>(&e)) {
      node = sig->node;
      auto* s = msg.mutable_signal();
      s->set_job_id(sig->id);
      s->set_signal(sig->signal);
      s->set_cancel(sig->cancel);
    } else if (const auto* ack = std::get_if<cl::effect::AckJobEnd>(&e)) {
      node = ack->node;
      msg.set_ack_job_end(ack->id);
    } else if (const auto* limit = std::get_if<cl::effect::SetTimeLimit>(&e)) {
      node = limit->node;
      auto* l = msg.mutable_set_time_limit();
      l->set_job_id(limit->id);
      l->set_time_limit_s(limit->time_limit == kUnlimited ? -1 : limit->time_limit);
    }
    Channel(node)->Push(std::move(msg));
  }
}

}  // namespace sluice::ctld
