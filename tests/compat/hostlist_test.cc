#include "compat/slurm/hostlist.h"

#include <gtest/gtest.h>

namespace sluice::compat::slurm {
namespace {

using Hosts = std::vector<std::string>;

struct ExpandCase {
  std::string input;
  Hosts want;
};

TEST(ExpandHostlist, Cases) {
  const ExpandCase cases[] = {
      {"", {}},
      {"x", {"x"}},
      {"n1", {"n1"}},
      {"n[1-3,5],gpu[01-02],x", {"n1", "n2", "n3", "n5", "gpu01", "gpu02", "x"}},
      {"n[08-10]", {"n08", "n09", "n10"}},
      {"n[9-11]", {"n9", "n10", "n11"}},
      {"n[3]", {"n3"}},
      {"a,b c", {"a", "b", "c"}},
      {"r[1-2]n[1-2]", {"r1n1", "r1n2", "r2n1", "r2n2"}},
      {"n[1-2]-ib", {"n1-ib", "n2-ib"}},
      {"n[001-003]", {"n001", "n002", "n003"}},
  };
  for (const auto& c : cases) {
    auto got = ExpandHostlist(c.input);
    ASSERT_TRUE(got.ok()) << c.input << ": " << got.status().message();
    EXPECT_EQ(*got, c.want) << c.input;
  }
}

TEST(ExpandHostlist, Errors) {
  for (const char* bad :
       {"n[1-3", "n1-3]", "n[a-b]", "n[3-1]", "n[]", "n[1-[2]]", "n[1-]", "n[1-99999999999]"}) {
    auto got = ExpandHostlist(bad);
    EXPECT_FALSE(got.ok()) << bad;
    EXPECT_NE(got.status().message().find(bad), std::string::npos) << got.status().message();
  }
}

struct CompressCase {
  Hosts input;
  std::string want;
};

TEST(CompressHostlist, Cases) {
  const CompressCase cases[] = {
      {{}, ""},
      {{"n1"}, "n1"},
      {{"n1", "n2", "n3", "n5"}, "n[1-3,5]"},
      {{"n5", "n3", "n1", "n2"}, "n[1-3,5]"},
      {{"n2", "n3"}, "n[2-3]"},
      {{"n9", "n10", "n11"}, "n[9-11]"},
      {{"n08", "n09", "n10"}, "n[08-10]"},
      {{"gpu01", "gpu02", "n1", "x"}, "gpu[01-02],n1,x"},
      {{"n1", "n1", "n2"}, "n[1-2]"},
      {{"x", "a"}, "a,x"},
  };
  for (const auto& c : cases) EXPECT_EQ(CompressHostlist(c.input), c.want);
}

TEST(Hostlist, RoundTrip) {
  auto hosts = ExpandHostlist("n[1-3,5],gpu[01-02]");
  ASSERT_TRUE(hosts.ok());
  EXPECT_EQ(CompressHostlist(*hosts), "gpu[01-02],n[1-3,5]");
}

}  // namespace
}  // namespace sluice::compat::slurm
