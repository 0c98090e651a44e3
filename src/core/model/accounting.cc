#include "core/model/accounting.h"

#include <algorithm>

namespace sluice::core::model {
namespace {

template <typename T>
bool Listed(const std::vector<T>& list, const T& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

bool AccountingFilter::Matches(const AccountingRecord& r) const {
  return Listed(job_ids, r.id) && Listed(users, r.user) && Listed(accounts, r.account) &&
         Listed(partitions, r.partition) && Listed(names, r.name) && InWindow(r);
}

bool AccountingFilter::InWindow(const AccountingRecord& r) const {
  // Slurm's conditions (its accounting storage's job query); `before_end` stands for "< end".
  const auto before_end = [&](UnixTime t) { return end == 0 || t < end; };
  if (states.empty()) return before_end(r.submit_time) && (r.end_time == 0 || r.end_time >= start);
  for (JobState s : states) {
    if (s == JobState::kCompleting) s = JobState::kRunning;
    switch (s) {
      case JobState::kPending: {
        const bool waited_in_window =
            r.start_time != 0
                ? start < r.start_time
                : (r.end_time != 0 ? start < r.end_time : r.state == JobState::kPending);
        if (waited_in_window && before_end(r.submit_time)) return true;
        break;
      }
      case JobState::kRunning:
        if (r.start_time != 0 && before_end(r.start_time) &&
            (r.end_time != 0 ? start < r.end_time : r.state == JobState::kRunning)) {
          return true;
        }
        break;
      default:
        if (r.state == s && r.end_time != 0 && r.end_time >= start && before_end(r.end_time)) {
          return true;
        }
        break;
    }
  }
  return false;
}

}  // namespace sluice::core::model
