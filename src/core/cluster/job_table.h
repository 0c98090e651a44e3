// JobTable: jobs by id, in fixed-size chunks shared copy-on-write between the state and the views
// it publishes. Publishing a view copies one pointer per chunk (a 100,000-job table is ~400
// pointers), and a change copies only the chunk it lands in, so views cost almost nothing per
// batch however many jobs the controller holds.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <memory>

#include "core/model/job.h"

namespace sluice::core::cluster {

class JobTable {
 public:
  static constexpr size_t kChunkSize = 256;
  using Chunk = std::array<model::JobPtr, kChunkSize>;

  // The job with `id`, or null.
  model::JobPtr Find(model::JobId id) const;
  // The same without taking a reference (no atomic count): valid until the table changes.
  const model::Job* Get(model::JobId id) const;
  // Stores `job` under its id, replacing what was there.
  void Put(model::JobPtr job);
  // Removes the job; no-op if absent.
  void Erase(model::JobId id);
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Calls fn(const JobPtr&) for every job in id order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [index, slot] : chunks_) {
      for (const auto& job : *slot.chunk) {
        if (job) fn(job);
      }
    }
  }

  // True when no published view shares the record or the chunk holding it, so it may change in
  // place. Only the thread that owns the table creates references to its records.
  bool Exclusive(model::JobId id) const;

 private:
  struct Slot {
    // shared: a published view holds the same chunks until a change copies one
    std::shared_ptr<Chunk> chunk;
    size_t jobs = 0;  // its non-null entries: an erase sees the chunk empty without a scan
  };
  // The slot's chunk, copied first if a view shares it; created if missing.
  static Chunk& Writable(Slot& slot);

  std::map<model::JobId, Slot> chunks_;
  size_t size_ = 0;
};

}  // namespace sluice::core::cluster
