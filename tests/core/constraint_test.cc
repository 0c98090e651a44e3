#include "core/model/constraint.h"

#include <gtest/gtest.h>

namespace sluice::core::model {
namespace {

using Features = std::vector<std::string>;

struct MatchCase {
  std::string constraint;
  Features features;
  bool matches;
};

TEST(ParseConstraint, Evaluation) {
  const MatchCase cases[] = {
      {"intel", {"intel", "gpu"}, true},
      {"intel", {"amd"}, false},
      {"intel", {}, false},
      {"Intel", {"intel"}, false},  // case-sensitive, as Slurm
      {"intel&gpu", {"gpu", "intel"}, true},
      {"intel&gpu", {"intel"}, false},
      {"intel,gpu", {"intel"}, false},  // ',' is '&'
      {"intel,gpu", {"intel", "gpu"}, true},
      {"intel|amd", {"amd"}, true},
      {"intel|amd", {"arm"}, false},
      {"[rack1|rack2]", {"rack2"}, true},  // per node: a plain OR
      {"[rack1|rack2]", {"rack3"}, false},
      {"(a|b)&c", {"b", "c"}, true},
      {"(a|b)&c", {"a"}, false},
      {"a&(b|c)", {"a", "c"}, true},
      {"a&(b|c)", {"b", "c"}, false},
      {"a|b&c", {"a"}, false},  // left to right: (a|b)&c
      {"a|b&c", {"b", "c"}, true},
      {"a&b|c", {"c"}, true},  // (a&b)|c
      {"[a|b]&c", {"b", "c"}, true},
      {"[a|b]&c", {"b"}, false},
      {"[(a&x)|b]", {"a", "x"}, true},
      {"[(a&x)|b]", {"a"}, false},
      {"a&", {"a"}, true},  // a trailing operator is ignored
      {"a|", {"b"}, false},
      {"gpu.v100-x_1", {"gpu.v100-x_1"}, true},
      {"", {}, true},
      {"  ", {"a"}, true},
  };
  for (const auto& c : cases) {
    auto r = ParseConstraint(c.constraint);
    ASSERT_TRUE(r.ok()) << c.constraint << ": " << r.status().message();
    EXPECT_EQ(r->Matches(c.features), c.matches) << c.constraint;
  }
}

TEST(ParseConstraint, TextAsSlurmShowsIt) {
  EXPECT_EQ(ParseConstraint("a,b")->text(), "a&b");
  EXPECT_EQ(ParseConstraint("[a|b]")->text(), "[a|b]");
  EXPECT_EQ(ParseConstraint("a&")->text(), "a&");  // scontrol shows it as given
  EXPECT_EQ(ParseConstraint("")->text(), "");
  EXPECT_TRUE(ParseConstraint("")->empty());
  EXPECT_TRUE(Constraint().empty());
  EXPECT_TRUE(Constraint().Matches({}));
  EXPECT_FALSE(ParseConstraint("a")->empty());
}

TEST(ParseConstraint, MatchingOrAlternatives) {
  auto c = ParseConstraint("[rack1|rack2|(rack3&big)]&gpu");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->HasMatchingOr());
  std::vector<Constraint> alts = c->MatchingOrAlternatives();
  ASSERT_EQ(alts.size(), 3u);
  EXPECT_EQ(alts[0].text(), "rack1&gpu");
  EXPECT_EQ(alts[1].text(), "rack2&gpu");
  EXPECT_EQ(alts[2].text(), "(rack3&big)&gpu");
  EXPECT_TRUE(alts[0].Matches({"rack1", "gpu"}));
  EXPECT_FALSE(alts[0].Matches({"rack2", "gpu"}));
  EXPECT_TRUE(alts[2].Matches({"rack3", "big", "gpu"}));
  EXPECT_FALSE(alts[2].Matches({"rack3", "gpu"}));
  for (const Constraint& alt : alts) EXPECT_FALSE(alt.HasMatchingOr());

  auto plain = ParseConstraint("a|b");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->HasMatchingOr());
  ASSERT_EQ(plain->MatchingOrAlternatives().size(), 1u);
  EXPECT_EQ(plain->MatchingOrAlternatives()[0].text(), "a|b");

  auto single = ParseConstraint("[a]");
  ASSERT_TRUE(single.ok());
  ASSERT_EQ(single->MatchingOrAlternatives().size(), 1u);
  EXPECT_EQ(single->MatchingOrAlternatives()[0].text(), "a");
}

// Slurm 22.05 rejects each of these with "Invalid feature specification"; Sluice says why.
TEST(ParseConstraint, Errors) {
  const std::pair<std::string, std::string> cases[] = {
      {"a||b", "a feature name is missing before '|'"},
      {"&a", "a feature name is missing before '&'"},
      {"()", "a feature name is missing before ')'"},
      {"((a))", "nested parentheses are not supported"},
      {"[a|b", "unmatched '['"},
      {"(a|b", "unmatched '('"},
      {"a)", "unexpected ')'"},
      {"a]", "unexpected ']'"},
      {"[a&b]", "'&' inside [...] needs node counts (*N), which are not supported yet"},
      {"[a|b][c|d]", "unexpected '['"},
      {"[a|b]&[c|d]", "only one bracket group is allowed"},
      {"([a|b])", "brackets must not be inside a group"},
      {"a*2", "node counts (*N) are not supported yet"},
      {"[a*2|b*3]", "node counts (*N) are not supported yet"},
      {"*2", "node counts (*N) are not supported yet"},
      {"a b", "unexpected ' '"},
      {"!a", "'!' is not supported"},
      {"a!b", "unexpected '!'"},
  };
  for (const auto& [text, why] : cases) {
    auto r = ParseConstraint(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "Invalid feature specification \"" + text + "\": " + why);
  }
}

}  // namespace
}  // namespace sluice::core::model
