#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/policy/fair_tree.h"

namespace sluice::core::policy {
namespace {

using cluster::AccountConfig;
using cluster::UserConfig;

constexpr Seconds kNoDecay = 0;

// root -> {A (1 share), B (1 share)}; A -> {u1, u2}; B -> {u3}; every user 1 share.
FairTree SmallTree(Seconds half_life = kNoDecay) {
  auto t = FairTree::Build({{"A", "", 1}, {"B", "", 1}},
                           {{"u1", "A", 1}, {"u2", "A", 1}, {"u3", "B", 1}}, half_life);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::move(t).value();
}

TEST(FairTreeTest, RanksFollowTheTreeNotRawUsage) {
  FairTree t = SmallTree();
  // root 100, A 55, B 45. LF(A) = .5/.55 = .909, LF(B) = .5/.45 = 1.11: B first, so u3 ranks
  // highest though it used far more than u2. In A: LF(u2) = .5/(5/55) = 5.5, LF(u1) = .55.
  ASSERT_TRUE(t.AddUsage("A", "u1", 50, 1000).ok());
  ASSERT_TRUE(t.AddUsage("A", "u2", 5, 1000).ok());
  ASSERT_TRUE(t.AddUsage("B", "u3", 45, 1000).ok());
  EXPECT_TRUE(t.dirty());
  t.Recompute();
  EXPECT_FALSE(t.dirty());
  EXPECT_EQ(t.num_user_associations(), 3u);
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u3", "B"), 1.0);
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u2", "A"), 2.0 / 3);
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u1", "A"), 1.0 / 3);
  EXPECT_NEAR(t.LevelFairshare("A"), 0.5 / 0.55, 1e-12);
  EXPECT_NEAR(t.LevelFairshare("B"), 0.5 / 0.45, 1e-12);
  EXPECT_NEAR(t.LevelFairshare("A", "u2"), 5.5, 1e-12);
  EXPECT_DOUBLE_EQ(t.Usage("A"), 55);
  EXPECT_DOUBLE_EQ(t.Usage("root"), 100);
  EXPECT_DOUBLE_EQ(t.Usage("B", "u3"), 45);
}

TEST(FairTreeTest, OverservedAccountRanksLast) {
  FairTree t = SmallTree();
  ASSERT_TRUE(t.AddUsage("A", "u1", 30, 1000).ok());
  ASSERT_TRUE(t.AddUsage("A", "u2", 10, 1000).ok());
  ASSERT_TRUE(t.AddUsage("B", "u3", 60, 1000).ok());
  t.Recompute();
  // LF(A) = 1.25 > LF(B) = .83; in A, u2 (LF 2) before u1 (LF .67).
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u2", "A"), 1.0);
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u1", "A"), 2.0 / 3);
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u3", "B"), 1.0 / 3);
}

TEST(FairTreeTest, NoUsageTiesEveryone) {
  FairTree t = SmallTree();  // all LF infinite: A and B merge, all users tied at rank 3
  EXPECT_EQ(t.LevelFairshare("A", "u1"), std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u1", "A"), 1.0);
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u2", "A"), 1.0);
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u3", "B"), 1.0);
}

TEST(FairTreeTest, EqualUsageSiblingsShareARankAndTheNextSkipsIt) {
  FairTree t = SmallTree();
  // root 60: LF(A) = .5/(20/60) = 1.5, LF(B) = .75. u1 and u2 tie (LF 1) at rank 3; u3 gets rank
  // 1 (rnt), not 2.
  ASSERT_TRUE(t.AddUsage("A", "u1", 10, 1000).ok());
  ASSERT_TRUE(t.AddUsage("A", "u2", 10, 1000).ok());
  ASSERT_TRUE(t.AddUsage("B", "u3", 40, 1000).ok());
  t.Recompute();
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u1", "A"), 1.0);
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u2", "A"), 1.0);
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u3", "B"), 1.0 / 3);
}

TEST(FairTreeTest, TiedAccountsMergeTheirChildren) {
  // A and B tie (equal usage, equal shares): their users are ranked as one sibling list, so
  // B's light user u3 outranks A's heavy user u1.
  FairTree t = SmallTree();
  ASSERT_TRUE(t.AddUsage("A", "u1", 45, 1000).ok());
  ASSERT_TRUE(t.AddUsage("A", "u2", 5, 1000).ok());
  ASSERT_TRUE(t.AddUsage("B", "u3", 50, 1000).ok());
  t.Recompute();
  // LF: u2 = .5/.1 = 5, u3 = 1/1 = 1, u1 = .5/.9 = .56.
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u2", "A"), 1.0);
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u3", "B"), 2.0 / 3);
  EXPECT_DOUBLE_EQ(t.FairShareFactor("u1", "A"), 1.0 / 3);
}

TEST(FairTreeTest, UserTiedWithSiblingAccountTakesItsTopRank) {
  // root -> {u0 (user of root), A}; A -> {u1, u2}. u0 and A tie at LF 1: u1 (top of A) shares
  // u0's rank 3; u2 gets rnt = 1.
  auto t = FairTree::Build({{"A", "", 1}}, {{"u0", "root", 1}, {"u1", "A", 1}, {"u2", "A", 1}},
                           kNoDecay);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_TRUE(t->AddUsage("root", "u0", 50, 1).ok());
  ASSERT_TRUE(t->AddUsage("A", "u1", 10, 1).ok());
  ASSERT_TRUE(t->AddUsage("A", "u2", 40, 1).ok());
  t->Recompute();
  EXPECT_DOUBLE_EQ(t->FairShareFactor("u0", "root"), 1.0);
  EXPECT_DOUBLE_EQ(t->FairShareFactor("u1", "A"), 1.0);
  EXPECT_DOUBLE_EQ(t->FairShareFactor("u2", "A"), 1.0 / 3);
}

TEST(FairTreeTest, ZeroSharesRankLast) {
  auto t = FairTree::Build({{"A", "", 1}}, {{"u1", "A", 0}, {"u2", "A", 1}}, kNoDecay);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(t->AddUsage("A", "u2", 100, 1).ok());  // u2 used everything, u1 nothing
  t->Recompute();
  EXPECT_EQ(t->LevelFairshare("A", "u1"), 0.0);
  EXPECT_DOUBLE_EQ(t->FairShareFactor("u2", "A"), 1.0);
  EXPECT_DOUBLE_EQ(t->FairShareFactor("u1", "A"), 0.5);
}

TEST(FairTreeTest, UserInSeveralAccountsHasAFactorInEach) {
  auto t = FairTree::Build({{"A", "", 1}, {"B", "", 1}},
                           {{"u1", "A", 1}, {"u1", "B", 1, /*is_default=*/true}, {"u2", "A", 1}},
                           kNoDecay);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->DefaultAccount("u1"), "B");
  EXPECT_EQ(t->DefaultAccount("u2"), "A");
  EXPECT_EQ(t->DefaultAccount("nobody"), "");
  // Usage without an account goes to the default account, B.
  ASSERT_TRUE(t->AddUsage("", "u1", 100, 1).ok());
  ASSERT_TRUE(t->AddUsage("A", "u2", 10, 1).ok());
  t->Recompute();
  EXPECT_DOUBLE_EQ(t->Usage("B", "u1"), 100);
  EXPECT_DOUBLE_EQ(t->Usage("A", "u1"), 0);
  // LF(A) = .5/(10/110) > LF(B): u1@A (no usage, inf) 1.0, u2@A 2/3, u1@B 1/3.
  EXPECT_DOUBLE_EQ(t->FairShareFactor("u1", "A"), 1.0);
  EXPECT_DOUBLE_EQ(t->FairShareFactor("u2", "A"), 2.0 / 3);
  EXPECT_DOUBLE_EQ(t->FairShareFactor("u1", "B"), 1.0 / 3);
  EXPECT_DOUBLE_EQ(t->FairShareFactor("u1", ""), 1.0 / 3);
}

TEST(FairTreeTest, UnknownAssociationsGetZeroAndNotFound) {
  FairTree t = SmallTree();
  EXPECT_EQ(t.FairShareFactor("u3", "A"), 0.0);
  EXPECT_EQ(t.FairShareFactor("nobody", ""), 0.0);
  EXPECT_EQ(t.AddUsage("A", "u3", 1, 1).code(), Code::kNotFound);
  EXPECT_EQ(t.AddUsage("", "nobody", 1, 1).code(), Code::kNotFound);
  EXPECT_EQ(FairTree().FairShareFactor("u1", "A"), 0.0);
}

TEST(FairTreeTest, BuildRejectsBadTrees) {
  EXPECT_FALSE(FairTree::Build({{"A", "nope", 1}}, {}, 0).ok());
  EXPECT_FALSE(FairTree::Build({{"A", "B", 1}, {"B", "A", 1}}, {}, 0).ok());
  EXPECT_FALSE(FairTree::Build({{"A", "", 1}, {"A", "", 1}}, {}, 0).ok());
  EXPECT_FALSE(FairTree::Build({{"A", "", 1}}, {{"u", "B", 1}}, 0).ok());
  EXPECT_FALSE(FairTree::Build({{"A", "", 1}}, {{"u", "A", 1}, {"u", "A", 2}}, 0).ok());
  // Nested accounts in any order are fine.
  EXPECT_TRUE(
      FairTree::Build({{"C", "B", 1}, {"B", "A", 1}, {"A", "root", 1}}, {{"u", "C", 1}}, 0).ok());
}

TEST(FairTreeTest, DecayHalvesUsageEachHalfLife) {
  FairTree t = SmallTree(/*half_life=*/100);
  ASSERT_TRUE(t.AddUsage("A", "u1", 80, 1000).ok());
  t.Decay(1100);
  EXPECT_DOUBLE_EQ(t.Usage("A", "u1"), 40);
  EXPECT_DOUBLE_EQ(t.Usage("A"), 40);
  t.Decay(1300);
  EXPECT_DOUBLE_EQ(t.Usage("A", "u1"), 10);
  t.Decay(1200);  // the past: no-op
  EXPECT_DOUBLE_EQ(t.Usage("A", "u1"), 10);
  // Usage from before the decay point arrives already decayed to it.
  ASSERT_TRUE(t.AddUsage("A", "u2", 8, 1200).ok());
  EXPECT_DOUBLE_EQ(t.Usage("A", "u2"), 4);
}

TEST(FairTreeTest, NoDecayWithZeroHalfLife) {
  FairTree t = SmallTree(kNoDecay);
  ASSERT_TRUE(t.AddUsage("A", "u1", 80, 1000).ok());
  t.Decay(1000000);
  EXPECT_DOUBLE_EQ(t.Usage("A", "u1"), 80);
}

TEST(FairTreeTest, DecayMakesOldUsageWeighLess) {
  // u1 used 80 long ago, u2 50 recently: with a 100 s half-life u1's usage is 40 when u2's is
  // charged, so u1 ranks above u2; without decay it would be the other way round.
  for (Seconds hl : {Seconds{100}, kNoDecay}) {
    FairTree t = SmallTree(hl);
    ASSERT_TRUE(t.AddUsage("A", "u1", 80, 1000).ok());
    ASSERT_TRUE(t.AddUsage("A", "u2", 50, 1100).ok());
    t.Recompute();
    bool u1_first = t.FairShareFactor("u1", "A") > t.FairShareFactor("u2", "A");
    EXPECT_EQ(u1_first, hl > 0) << "half-life " << hl;
  }
}

TEST(FairTreeTest, RunUsageIntegratesDecay) {
  FairTree t = SmallTree(/*half_life=*/100);
  // 2 CPUs for one half-life: 2 * 100 / ln 2 * (1 - 1/2).
  ASSERT_TRUE(t.AddRunUsage("A", "u1", 2, 1000, 1100).ok());
  EXPECT_NEAR(t.Usage("A", "u1"), 100 / std::log(2.0), 1e-9);
  FairTree flat = SmallTree(kNoDecay);
  ASSERT_TRUE(flat.AddRunUsage("A", "u1", 2, 1000, 1100).ok());
  EXPECT_DOUBLE_EQ(flat.Usage("A", "u1"), 200);
  ASSERT_TRUE(flat.AddRunUsage("A", "u1", 2, 1100, 1000).ok());  // reversed: nothing
  EXPECT_DOUBLE_EQ(flat.Usage("A", "u1"), 200);
}

}  // namespace
}  // namespace sluice::core::policy
