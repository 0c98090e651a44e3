#include "core/model/reservation.h"

#include <algorithm>

namespace sluice::core::model {

bool Reservation::Admits(const std::string& user, const std::string& account) const {
  return std::find(users.begin(), users.end(), user) != users.end() ||
         (!account.empty() &&
          std::find(accounts.begin(), accounts.end(), account) != accounts.end());
}

}  // namespace sluice::core::model
