// FairTree: Slurm's Fair Tree fair-share algorithm over the account tree, with decayed usage.
//
// The tree: an implicit root; accounts below it (Parent= empty or "root") or below another
// account; user associations (user, account) as leaves. A user may hold associations in several
// accounts; each is its own leaf and its own rank. Usage (CPU-seconds) is charged to a user
// association and to every account above it, so an account's usage is the sum of its subtree's.
//
// The rule implemented (Slurm's fair_tree.c, with tied sibling accounts merged as its
// documentation describes):
//   1. For every association A with parent P:
//        S = shares(A) / sum of shares(A and its siblings)     (0 when that sum is 0)
//        U = usage(A) / usage(P)                               (0 when usage(P) is 0)
//        Level Fairness LF = 0 if S == 0, else S / U (+infinity when U == 0).
//   2. Starting at the root, the children of an account are sorted by LF, highest first; on
//      equal LF users come before accounts. They are visited in that order, depth first, with
//      two counters: rank and rnt (rank-no-ties), both starting at N = the number of user
//      associations.
//        - A user: if it is not tied with the previous sibling (equal LF), rank = rnt; its
//          factor is rank / N; then rnt is decremented. So tied users share the rank of the
//          first of them, and the next untied user gets the rank it would have had anyway.
//        - An account: it and the immediately following sibling accounts with the same LF are
//          merged: their children form one sibling list, which is sorted and visited the same
//          way. If the account is tied with the previous sibling (a user with equal LF), the
//          first user reached inside it keeps that user's rank.
//   The highest-ranked user association gets 1.0, the lowest (without ties) 1/N. A user with
//   no association in the account asked about gets 0.
//
// Usage decays exponentially: after one PriorityDecayHalfLife it is half of what it was
// (exactly 2^(-dt/half_life); Slurm's (1 - 0.693/hl)^dt is 0.015% off that at a 7-day
// half-life). Half-life <= 0: no decay. Uniform decay leaves the factors unchanged; it
// matters for how new usage weighs against old.
//
// Cost: mutators only mark the tree dirty; Recompute() (O(n log n)) refreshes all factors, and
// FairShareFactor() is a hash lookup. Decay() recomputes by itself. Not thread-safe; a const
// FairTree may be read from many threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "core/cluster/config.h"

namespace sluice::core::policy {

class FairTree {
 public:
  // An empty tree: every factor is 0.
  FairTree() = default;

  // Builds the tree from the configured accounts and user associations, with usage 0 and
  // factors computed. `half_life` is PriorityDecayHalfLife. Fails with InvalidArgument on a
  // duplicate account or association, an unknown parent or account, or a parent cycle.
  static Result<FairTree> Build(const std::vector<cluster::AccountConfig>& accounts,
                                const std::vector<cluster::UserConfig>& users, Seconds half_life);

  // Charges `cpu_seconds` of usage incurred at instant `at` to (user, account) and to every
  // account above it. An empty `account` means the user's default account. Usage from before
  // the last decay point is decayed to it; a later `at` first decays everything up to `at`.
  // Marks the tree dirty. Fails with NotFound when the user has no such association.
  Status AddUsage(std::string_view account, std::string_view user, double cpu_seconds, UnixTime at);

  // Charges `cpus` busy over [from, to), each instant's usage decayed from that instant to
  // `to` (what Slurm's periodic accrual converges to); i.e. AddUsage of the integral at `to`.
  // Same failures as AddUsage; an empty or reversed interval charges nothing.
  Status AddRunUsage(std::string_view account, std::string_view user, double cpus, UnixTime from,
                     UnixTime to);

  // Decays all usage from the last decay point to `now` (no-op for an earlier `now`), then
  // recomputes the factors.
  void Decay(UnixTime now);

  // Refreshes every user association's factor from the current usage; clears the dirty flag.
  void Recompute();

  // True when usage changed since the last Recompute().
  bool dirty() const { return dirty_; }

  // The Fair Tree factor in (0, 1] of `user` in `account` (empty: the user's default account)
  // as of the last Recompute(); 0 when there is no such association.
  double FairShareFactor(std::string_view user, std::string_view account) const;

  // The user's default account: the association marked Default=YES, else the first configured;
  // empty when the user has none.
  std::string DefaultAccount(std::string_view user) const;

  // The decayed usage (CPU-seconds, as of the last decay point) of an account (`user` empty;
  // "root" or "" for the whole cluster) or of a user association; 0 when unknown.
  double Usage(std::string_view account, std::string_view user = "") const;

  // The Level Fairness of the account or user association as of the last Recompute() (+inf
  // when it has shares and no usage); 0 when unknown.
  double LevelFairshare(std::string_view account, std::string_view user = "") const;

  // The number of user associations (N above).
  uint32_t num_user_associations() const { return num_users_; }

  // The instant Usage() values are decayed to (0: no usage yet). Usage(a, u) at usage_time(),
  // given back to AddUsage(a, u, value, usage_time()) on a fresh tree, restores it exactly.
  UnixTime usage_time() const { return decayed_to_; }

 private:
  struct Node {
    std::string account;  // the account's name, or the association's account
    std::string user;     // empty for accounts
    int parent = -1;      // index; -1 for the root
    uint32_t shares = 0;
    double usage = 0;
    double level_fs = 0;
    double factor = 0;
    std::vector<int> children;
  };

  int Find(std::string_view account, std::string_view user) const;
  int FindAssociation(std::string_view account, std::string_view user) const;
  void AdvanceTo(UnixTime now);
  void Charge(int node, double amount, UnixTime at);
  void RankSiblings(std::vector<int> siblings, bool account_tied, uint32_t* rank, uint32_t* rnt);

  std::vector<Node> nodes_;                                       // [0] is the root once built
  std::unordered_map<std::string, int> index_;                    // Key(account, user) -> node
  std::unordered_map<std::string, std::string> default_account_;  // user -> account
  Seconds half_life_ = 0;
  UnixTime decayed_to_ = 0;  // usage values are as of this instant; 0: no usage yet
  uint32_t num_users_ = 0;
  bool dirty_ = false;
};

}  // namespace sluice::core::policy
