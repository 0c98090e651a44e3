#include "core/cluster/job_table.h"

namespace sluice::core::cluster {

model::JobPtr JobTable::Find(model::JobId id) const {
  auto it = chunks_.find(id / kChunkSize);
  return it == chunks_.end() ? nullptr : (*it->second.chunk)[id % kChunkSize];
}

const model::Job* JobTable::Get(model::JobId id) const {
  auto it = chunks_.find(id / kChunkSize);
  return it == chunks_.end() ? nullptr : (*it->second.chunk)[id % kChunkSize].get();
}

JobTable::Chunk& JobTable::Writable(Slot& slot) {
  if (!slot.chunk) {
    slot.chunk = std::make_shared<Chunk>();
  } else if (slot.chunk.use_count() > 1) {
    slot.chunk = std::make_shared<Chunk>(*slot.chunk);
  }
  return *slot.chunk;
}

void JobTable::Put(model::JobPtr job) {
  const model::JobId id = job->id;
  Slot& slot = chunks_[id / kChunkSize];
  model::JobPtr& entry = Writable(slot)[id % kChunkSize];
  if (!entry) {
    ++size_;
    ++slot.jobs;
  }
  entry = std::move(job);
}

void JobTable::Erase(model::JobId id) {
  auto it = chunks_.find(id / kChunkSize);
  if (it == chunks_.end() || !(*it->second.chunk)[id % kChunkSize]) return;
  --size_;
  if (--it->second.jobs == 0) {
    chunks_.erase(it);
  } else {
    Writable(it->second)[id % kChunkSize].reset();
  }
}

bool JobTable::Exclusive(model::JobId id) const {
  auto it = chunks_.find(id / kChunkSize);
  if (it == chunks_.end()) return false;
  const model::JobPtr& job = (*it->second.chunk)[id % kChunkSize];
  return it->second.chunk.use_count() == 1 && job && job.use_count() == 1;
}

}  // namespace sluice::core::cluster
