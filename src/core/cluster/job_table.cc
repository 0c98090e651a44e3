#include "core/cluster/job_table.h"

namespace sluice::core::cluster {

model::JobPtr JobTable::Find(model::JobId id) const {
  auto it = chunks_.find(id / kChunkSize);
  return it == chunks_.end() ? nullptr : (*it->second)[id % kChunkSize];
}

const model::Job* JobTable::Get(model::JobId id) const {
  auto it = chunks_.find(id / kChunkSize);
  return it == chunks_.end() ? nullptr : (*it->second)[id % kChunkSize].get();
}

JobTable::Chunk& JobTable::WritableChunk(model::JobId id) {
  auto& slot = chunks_[id / kChunkSize];
  if (!slot) {
    slot = std::make_shared<Chunk>();
  } else if (slot.use_count() > 1) {
    slot = std::make_shared<Chunk>(*slot);
  }
  return *slot;
}

void JobTable::Put(model::JobPtr job) {
  const model::JobId id = job->id;
  model::JobPtr& entry = WritableChunk(id)[id % kChunkSize];
  if (!entry) ++size_;
  entry = std::move(job);
}

void JobTable::Erase(model::JobId id) {
  auto it = chunks_.find(id / kChunkSize);
  if (it == chunks_.end() || !(*it->second)[id % kChunkSize]) return;
  WritableChunk(id)[id % kChunkSize].reset();
  --size_;
  bool empty = true;
  for (const auto& j : *it->second) empty = empty && !j;
  if (empty) chunks_.erase(it);
}

bool JobTable::Exclusive(model::JobId id) const {
  auto it = chunks_.find(id / kChunkSize);
  if (it == chunks_.end()) return false;
  const model::JobPtr& job = (*it->second)[id % kChunkSize];
  return it->second.use_count() == 1 && job && job.use_count() == 1;
}

}  // namespace sluice::core::cluster
