// Advance reservations: nodes set aside for some users or accounts over a time window.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/time.h"

namespace sluice::core::model {

struct Reservation {
  std::string name;
  UnixTime start = 0;
  UnixTime end = 0;                // kUnlimited: open-ended
  std::vector<std::string> nodes;  // expanded
  std::vector<std::string> users;  // who may use it (any of users or accounts)
  std::vector<std::string> accounts;
  std::string partition;  // empty: any

  bool ActiveAt(UnixTime t) const { return start <= t && t < end; }
  // May a job of `user` charged to `account` run in it?
  bool Admits(const std::string& user, const std::string& account) const;
};

using ReservationPtr = std::shared_ptr<const Reservation>;  // shared: views hold the same record

}  // namespace sluice::core::model
