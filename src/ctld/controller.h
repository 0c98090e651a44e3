// The controller: one event-loop thread owns ClusterState; RPC threads post commands and wait;
// queries read the view published after each batch; every batch is journaled before replies, and
// the jobs it finished are in accounting before that.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/cluster/cluster_state.h"
#include "core/model/accounting.h"
#include "sluice/v1/nodes.pb.h"
#include "store/accounting.h"
#include "store/journal.h"

namespace sluice::ctld {

// The queue of messages for one node agent, kept across its reconnections.
class NodeChannel {
 public:
  void Push(v1::ControllerMessage msg);
  void Clear();
  // Waits for a message for connection `generation`; false when that connection is replaced or
  // closed.
  bool Pop(uint64_t generation, v1::ControllerMessage* out);
  // A new connection takes over the queue; returns its generation.
  uint64_t Attach();
  void Detach(uint64_t generation);
  bool IsCurrent(uint64_t generation);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::ControllerMessage> outbox_;
  uint64_t generation_ = 0;
  bool attached_ = false;
};

class Controller {
 public:
  // Takes the journal and the accounting store; restores the state from the journal and makes
  // sure every finished job it holds is in accounting (a journal from before accounting, or an
  // accounting file lost). Fails if either cannot be read or written.
  static Result<std::unique_ptr<Controller>> Create(
      core::cluster::ClusterConfig config, std::unique_ptr<store::Journal> journal,
      std::unique_ptr<store::AccountingStore> accounting);
  ~Controller();

  void Start();
  void Stop();

  // Applies `command` in the loop; returns once its batch is journaled.
  core::cluster::Reply Post(core::cluster::Command command);
  // Queues `command` without waiting for it.
  void PostAsync(core::cluster::Command command);

  // The latest published view (never null after Start).
  std::shared_ptr<const core::cluster::ClusterView> View() const;

  std::shared_ptr<NodeChannel> Channel(const std::string& node);
  Seconds kill_wait() const { return state_.config().kill_wait; }
  // The configuration the state was built from; immutable, so any thread may read it.
  const core::cluster::ClusterConfig& config() const { return state_.config(); }

  // The finished jobs accounting holds that `filter` selects, by job id. Any thread.
  Result<std::vector<core::model::AccountingRecord>> QueryAccounting(
      const core::model::AccountingFilter& filter) const;
  // `job` as accounting keeps it (its account resolved to the user's default). Any thread.
  core::model::AccountingRecord AccountingRecordOf(const core::model::Job& job) const;

 private:
  struct Item {
    core::cluster::Command command;
    std::promise<core::cluster::Reply>* reply = nullptr;  // null: nobody waits
  };

  Controller(core::cluster::ClusterConfig config, std::unique_ptr<store::Journal> journal,
             std::unique_ptr<store::AccountingStore> accounting);
  void Loop();
  void RunBatch(std::vector<Item>& items, bool tick);
  void Dispatch(const std::vector<core::cluster::Effect>& effects);

  core::cluster::ClusterState state_;
  std::unique_ptr<store::Journal> journal_;
  std::unique_ptr<store::AccountingStore> accounting_;
  std::unordered_map<std::string, std::string> default_account_;  // user -> account; immutable
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Item> queue_;
  bool stopping_ = false;
  std::thread thread_;
  mutable std::mutex view_mu_;
  std::shared_ptr<const core::cluster::ClusterView> view_;
  std::mutex channels_mu_;
  std::map<std::string, std::shared_ptr<NodeChannel>> channels_;
};

}  // namespace sluice::ctld
