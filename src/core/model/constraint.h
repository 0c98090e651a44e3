// sbatch --constraint: Slurm's node feature expressions ("intel&gpu", "a|b", "[rack1|rack2]").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice::core::model {

// A parsed --constraint. Operators evaluate left to right without precedence, as Slurm 22.05
// does: "a|b&c" is "(a|b)&c". Feature names match exactly (case-sensitive). The default value
// is the empty constraint, which every node satisfies.
class Constraint {
 public:
  Constraint() = default;

  // No constraint was given.
  bool empty() const { return items_.empty(); }

  // The expression as Slurm shows it (scontrol's Features=, squeue's %f): as written, with ','
  // spelled '&'. Empty for the empty constraint.
  const std::string& text() const { return text_; }

  // Whether a node with `features` satisfies the constraint on its own; a matching-OR group
  // "[a|b]" counts as a plain "a|b" here.
  bool Matches(const std::vector<std::string>& features) const;

  // Whether the constraint has a matching-OR group "[a|b|...]": all of a job's nodes must then
  // satisfy the same alternative.
  bool HasMatchingOr() const;

  // The constraints to try one at a time for a matching-OR group: one per alternative, in the
  // order written, each the whole constraint with the group replaced by that alternative
  // ("[a|b]&c" gives "a&c" and "b&c"). Without a group: just this constraint.
  std::vector<Constraint> MatchingOrAlternatives() const;

 private:
  // One operand: a feature name, or a group of operands "(...)" or "[...]".
  struct Item {
    std::string feature;      // set for a feature
    char group = 0;           // '(' or '[' for a group, else 0
    std::vector<Item> items;  // a group's operands
    std::vector<char> ops;    // ops[i] joins items[i] and items[i + 1]: '&' or '|'
  };

  static bool Eval(const std::vector<Item>& items, const std::vector<char>& ops,
                   const std::vector<std::string>& features);
  static std::string Render(const std::vector<Item>& items, const std::vector<char>& ops);

  std::string text_;
  std::vector<Item> items_;  // the top level
  std::vector<char> ops_;

  friend class ConstraintParser;
};

// Parses Slurm's --constraint syntax: feature names joined by '&' (or ',') and '|', one level
// of parentheses, and one matching-OR group "[a|b|...]" at the top level (its alternatives may
// be parenthesized). A trailing operator is ignored, as Slurm does ("a&"). An empty or blank
// text gives the empty constraint. Fails with InvalidArgument "Invalid feature specification
// \"X\": why" on anything else: empty operands ("a||b", "()"), nested parentheses, unbalanced
// brackets, '&' inside brackets, a second bracket group, spaces, '!', and node counts ("a*2":
// "node counts (*N) are not supported yet").
Result<Constraint> ParseConstraint(std::string_view text);

}  // namespace sluice::core::model
