#include "core/policy/fair_tree.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>

namespace sluice::core::policy {

namespace {
constexpr std::string_view kRoot = "root";

// Account names and user names cannot hold '\n' (slurm.conf is line based), so it separates.
std::string Key(std::string_view account, std::string_view user) {
  std::string k(account);
  k += '\n';
  k += user;
  return k;
}

bool IsRootName(std::string_view account) { return account.empty() || account == kRoot; }
}  // namespace

Result<FairTree> FairTree::Build(const std::vector<cluster::AccountConfig>& accounts,
                                 const std::vector<cluster::UserConfig>& users, Seconds half_life) {
  FairTree t;
  t.half_life_ = half_life;
  t.nodes_.push_back(Node{.account = std::string(kRoot)});
  t.index_[Key(kRoot, "")] = 0;

  // Accounts first (any order in the config), then their parents.
  for (const auto& a : accounts) {
    if (a.name == kRoot) continue;  // the implicit root; its shares mean nothing
    if (a.name.empty()) return InvalidArgument("an account has an empty name");
    auto [it, inserted] = t.index_.emplace(Key(a.name, ""), static_cast<int>(t.nodes_.size()));
    if (!inserted) return InvalidArgument("account " + a.name + " is defined twice");
    t.nodes_.push_back(Node{.account = a.name, .shares = a.fairshare});
  }
  for (const auto& a : accounts) {
    if (a.name == kRoot) continue;
    int self = t.Find(a.name, "");
    int parent = IsRootName(a.parent) ? 0 : t.Find(a.parent, "");
    if (parent < 0) {
      return InvalidArgument("account " + a.name + " has unknown parent account " + a.parent);
    }
    t.nodes_[self].parent = parent;
  }
  // Reject cycles: every chain of parents must reach the root within nodes_.size() steps.
  for (size_t i = 1; i < t.nodes_.size(); ++i) {
    int n = static_cast<int>(i);
    size_t steps = 0;
    while (n > 0 && steps <= t.nodes_.size()) {
      n = t.nodes_[n].parent;
      ++steps;
    }
    if (n != 0) return InvalidArgument("account " + t.nodes_[i].account + " is its own ancestor");
  }
  for (size_t i = 1; i < t.nodes_.size(); ++i) {
    t.nodes_[t.nodes_[i].parent].children.push_back(static_cast<int>(i));
  }

  for (const auto& u : users) {
    if (u.name.empty()) return InvalidArgument("a user association has an empty user name");
    std::string account = IsRootName(u.account) ? std::string(kRoot) : u.account;
    int parent = t.Find(account, "");
    if (parent < 0) {
      return InvalidArgument("user " + u.name + " is in unknown account " + u.account);
    }
    auto [it, inserted] = t.index_.emplace(Key(account, u.name), static_cast<int>(t.nodes_.size()));
    if (!inserted) {
      return InvalidArgument("user " + u.name + " is in account " + account + " twice");
    }
    t.nodes_.push_back(
        Node{.account = account, .user = u.name, .parent = parent, .shares = u.fairshare});
    t.nodes_[parent].children.push_back(it->second);
    ++t.num_users_;
    // The first association is the default unless one says Default=YES.
    if (u.is_default || !t.default_account_.contains(u.name)) t.default_account_[u.name] = account;
  }
  t.Recompute();
  return t;
}

int FairTree::Find(std::string_view account, std::string_view user) const {
  auto it = index_.find(Key(account, user));
  return it == index_.end() ? -1 : it->second;
}

int FairTree::FindAssociation(std::string_view account, std::string_view user) const {
  if (account.empty()) {
    auto d = default_account_.find(std::string(user));
    if (d == default_account_.end()) return -1;
    return Find(d->second, user);
  }
  return Find(account, user);
}

void FairTree::AdvanceTo(UnixTime now) {
  if (decayed_to_ == 0) {
    decayed_to_ = now;
    return;
  }
  if (now <= decayed_to_) return;
  if (half_life_ > 0) {
    double f = std::exp2(-static_cast<double>(now - decayed_to_) / static_cast<double>(half_life_));
    for (auto& n : nodes_) n.usage *= f;
  }
  decayed_to_ = now;
}

void FairTree::Charge(int node, double amount, UnixTime at) {
  AdvanceTo(at);
  if (half_life_ > 0 && at < decayed_to_) {
    amount *= std::exp2(-static_cast<double>(decayed_to_ - at) / static_cast<double>(half_life_));
  }
  for (int n = node; n >= 0; n = nodes_[n].parent) nodes_[n].usage += amount;
  dirty_ = true;
}

Status FairTree::AddUsage(std::string_view account, std::string_view user, double cpu_seconds,
                          UnixTime at) {
  int node = FindAssociation(account, user);
  if (node < 0 || nodes_[node].user.empty()) {
    return NotFound("user " + std::string(user) + " has no association with account " +
                    (account.empty() ? std::string("(default)") : std::string(account)));
  }
  Charge(node, cpu_seconds, at);
  return Status::Ok();
}

Status FairTree::AddRunUsage(std::string_view account, std::string_view user, double cpus,
                             UnixTime from, UnixTime to) {
  double amount = 0;
  if (to > from) {
    double dt = static_cast<double>(to - from);
    if (half_life_ > 0) {
      // Integral over [from, to) of cpus * 2^(-(to - t) / hl) dt.
      double hl = static_cast<double>(half_life_);
      amount = cpus * hl / std::numbers::ln2 * (1.0 - std::exp2(-dt / hl));
    } else {
      amount = cpus * dt;
    }
  }
  return AddUsage(account, user, amount, to);
}

void FairTree::Decay(UnixTime now) {
  AdvanceTo(now);
  Recompute();
}

void FairTree::Recompute() {
  dirty_ = false;
  if (nodes_.empty()) return;
  // Level Fairness of every association, from its own parent and siblings (merging tied
  // accounts below does not change it, as in Slurm).
  for (size_t i = 1; i < nodes_.size(); ++i) {
    Node& n = nodes_[i];
    const Node& p = nodes_[n.parent];
    uint64_t level_shares = 0;
    for (int c : p.children) level_shares += nodes_[c].shares;
    double s = level_shares == 0 ? 0.0 : static_cast<double>(n.shares) / level_shares;
    double u = p.usage > 0 ? n.usage / p.usage : 0.0;
    if (s == 0) {
      n.level_fs = 0;
    } else if (u == 0) {
      n.level_fs = std::numeric_limits<double>::infinity();
    } else {
      n.level_fs = s / u;
    }
  }
  uint32_t rank = num_users_;
  uint32_t rnt = num_users_;
  RankSiblings(nodes_[0].children, false, &rank, &rnt);
}

void FairTree::RankSiblings(std::vector<int> siblings, bool account_tied, uint32_t* rank,
                            uint32_t* rnt) {
  // Highest LF first; users before accounts on equal LF; then configuration order, so the
  // result does not depend on the sort algorithm (Slurm's qsort leaves that unspecified).
  std::stable_sort(siblings.begin(), siblings.end(), [this](int a, int b) {
    const Node& x = nodes_[a];
    const Node& y = nodes_[b];
    if (x.level_fs != y.level_fs) return x.level_fs > y.level_fs;
    return !x.user.empty() && y.user.empty();
  });
  std::optional<double> prev;
  for (size_t i = 0; i < siblings.size(); ++i) {
    Node& n = nodes_[siblings[i]];
    bool tied = (i == 0 && account_tied) || (prev.has_value() && *prev == n.level_fs);
    if (!n.user.empty()) {
      if (!tied) *rank = *rnt;
      n.factor = num_users_ == 0 ? 0.0 : static_cast<double>(*rank) / num_users_;
      --*rnt;
    } else {
      std::vector<int> merged = n.children;
      size_t j = i + 1;
      while (j < siblings.size() && nodes_[siblings[j]].user.empty() &&
             nodes_[siblings[j]].level_fs == n.level_fs) {
        const auto& more = nodes_[siblings[j]].children;
        merged.insert(merged.end(), more.begin(), more.end());
        ++j;
      }
      RankSiblings(std::move(merged), tied, rank, rnt);
      i = j - 1;
    }
    prev = n.level_fs;
  }
}

double FairTree::FairShareFactor(std::string_view user, std::string_view account) const {
  int node = FindAssociation(account, user);
  if (node < 0 || nodes_[node].user.empty()) return 0.0;
  return nodes_[node].factor;
}

std::string FairTree::DefaultAccount(std::string_view user) const {
  auto it = default_account_.find(std::string(user));
  return it == default_account_.end() ? std::string() : it->second;
}

double FairTree::Usage(std::string_view account, std::string_view user) const {
  int node = user.empty() && IsRootName(account)
                 ? (nodes_.empty() ? -1 : 0)
                 : Find(IsRootName(account) ? kRoot : account, user);
  return node < 0 ? 0.0 : nodes_[node].usage;
}

double FairTree::LevelFairshare(std::string_view account, std::string_view user) const {
  if (user.empty() && IsRootName(account)) return 0.0;
  int node = Find(IsRootName(account) ? kRoot : account, user);
  return node < 0 ? 0.0 : nodes_[node].level_fs;
}

}  // namespace sluice::core::policy
