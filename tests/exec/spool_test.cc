#include "exec/internal/spool.h"

#include <gtest/gtest.h>

namespace sluice::exec::internal {
namespace {

TEST(SpoolTest, SpecRoundTripsAnyBytes) {
  LaunchSpec spec;
  spec.job_id = 42;
  spec.script = "#!/bin/sh\ntrue\n";
  spec.argv = {"a b", "", "ünïcode"};
  // Environment values are arbitrary bytes, not necessarily UTF-8.
  spec.environment = {"A=1", std::string("BIN=\xff\xfe\x80", 7), std::string("NUL=a\0b", 7),
                      "TRUNC=\xe2\x82"};
  spec.work_dir = "/tmp/w";
  spec.stdout_path = "out.txt";
  spec.stderr_path = "err.txt";
  spec.time_limit_s = 60;
  spec.kill_wait_s = 5;

  Result<LaunchSpec> back = SpecFromJson(SpecToJson(spec));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->job_id, 42u);
  EXPECT_EQ(back->script, "");  // the script lives in its own file
  EXPECT_EQ(back->argv, spec.argv);
  EXPECT_EQ(back->environment, spec.environment);
  EXPECT_EQ(back->work_dir, spec.work_dir);
  EXPECT_EQ(back->stdout_path, spec.stdout_path);
  EXPECT_EQ(back->stderr_path, spec.stderr_path);
  EXPECT_EQ(back->time_limit_s, 60);
  EXPECT_EQ(back->kill_wait_s, 5);
}

TEST(SpoolTest, OutcomeRoundTrips) {
  JobOutcome o;
  o.exit_code = 3;
  o.term_signal = 9;
  o.timed_out = true;
  o.cancelled = true;
  o.start_time = 100;
  o.end_time = 200;
  o.error = "cannot change to work dir /x";
  Result<JobOutcome> back = OutcomeFromJson(OutcomeToJson(o));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->exit_code, 3);
  EXPECT_EQ(back->term_signal, 9);
  EXPECT_TRUE(back->timed_out);
  EXPECT_TRUE(back->cancelled);
  EXPECT_EQ(back->start_time, 100);
  EXPECT_EQ(back->end_time, 200);
  EXPECT_EQ(back->error, o.error);
}

TEST(SpoolTest, MalformedInputIsAnError) {
  for (const char* text : {"", "{", "[]", "{\"exit_code\": \"x\"}"}) {
    EXPECT_FALSE(OutcomeFromJson(text).ok()) << text;
    EXPECT_FALSE(SpecFromJson(text).ok()) << text;
  }
  EXPECT_FALSE(SpecFromJson(R"({"job_id":1,"argv":[{"hex":"zz"}],"environment":[],)"
                            R"("work_dir":"","stdout_path":"","stderr_path":"",)"
                            R"("time_limit_s":0,"kill_wait_s":0})")
                   .ok());
}

TEST(SpoolTest, PidFile) {
  char tmpl[] = "/tmp/sluice-spool-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/pid";
  EXPECT_FALSE(ReadPidFile(path).has_value());
  ASSERT_TRUE(WriteFileAtomic(path, "1234\n", 0644).ok());
  EXPECT_EQ(ReadPidFile(path), 1234);
  ASSERT_TRUE(WriteFileAtomic(path, "garbage", 0644).ok());
  EXPECT_FALSE(ReadPidFile(path).has_value());
  unlink(path.c_str());
  rmdir(tmpl);
}

}  // namespace
}  // namespace sluice::exec::internal
