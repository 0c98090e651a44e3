// Nothing acknowledged is lost: kill -9 the controller with 200 jobs queued and some running.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <map>
#include <set>

#include "cluster_fixture.h"

namespace sluice::testing {
namespace {

TEST(CrashTest, KillNineControllerLosesNothingAndRunsNothingTwice) {
  LocalCluster c(3, 4);
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err;
  // Each job appends its id when it starts and when it ends; 12 run at once.
  {
    std::ofstream f(c.work() + "/job.sh");
    f << "#!/bin/sh\necho start $SLURM_JOB_ID >> runs.log\nsleep 0.3\n"
         "echo end $SLURM_JOB_ID >> runs.log\n";
  }
  std::vector<int> ids;
  auto r = c.Run("for i in $(seq 1 200); do sbatch --parsable -o /dev/null job.sh || exit 1; done");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  for (int id; in >> id;) ids.push_back(id);
  ASSERT_EQ(ids.size(), 200u);
  // Wait until some have finished and some run, then kill the controller hard.
  ASSERT_TRUE(WaitFor([&] {
    return c.Run("squeue -h -t all -o %T | grep -c COMPLETED").out != "0\n" &&
           c.Run("squeue -h -t R -o %i | wc -l").out != "0\n";
  }));
  pid_t ctld = c.ControllerPid();
  ASSERT_GT(ctld, 0);
  ASSERT_EQ(kill(ctld, SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return kill(ctld, 0) != 0; }));
  // While it is gone, the commands say so in one line.
  r = c.Run("squeue");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot reach the controller"), std::string::npos) << r.err;
  // `sluice up` restarts it from the journal and leaves the agents (and their jobs) alone.
  r = c.Run("sluice up");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(
      WaitFor([&] { return c.Run("squeue -h | wc -l").out == "0\n"; }, std::chrono::seconds(90)));
  r = c.Run("squeue -h -t all -o '%i %T'");
  std::map<int, std::string> states;
  std::istringstream lines(r.out);
  for (int id; lines >> id;) lines >> states[id];
  for (int id : ids) EXPECT_EQ(states[id], "COMPLETED") << "job " << id;
  std::map<std::string, int> starts, ends;
  std::istringstream log(ReadAll(c.work() + "/runs.log"));
  for (std::string what, id; log >> what >> id;) (what == "start" ? starts : ends)[id]++;
  EXPECT_EQ(starts.size(), 200u);
  EXPECT_EQ(ends.size(), 200u);
  for (const auto& [id, n] : starts)
    EXPECT_EQ(n, 1) << "job " << id << " started " << n << " times";
}

TEST(CrashTest, KillNineAgentKeepsItsRunningJob) {
  LocalCluster c(1, 2);
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err;
  int id = c.Submit("-o agent.out --wrap 'echo start; sleep 3; echo end'");
  ASSERT_TRUE(c.WaitForState(id, "RUNNING"));
  pid_t agent = atoi(ReadAll(c.state() + "/noded-n1.pid").c_str());
  ASSERT_GT(agent, 0);
  ASSERT_EQ(kill(agent, SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return kill(agent, 0) != 0; }));
  auto r = c.Run("sluice up");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(atoi(ReadAll(c.state() + "/noded-n1.pid").c_str()), agent);
  ASSERT_TRUE(c.WaitForState(id, "COMPLETED")) << c.State(id);
  EXPECT_EQ(ReadAll(c.work() + "/agent.out"), "start\nend\n");
}

// Writes raw bytes to a TCP port on loopback and returns what comes back in the first read, or
// with `whole`, everything until the server closes (a request saying "Connection: close"; the
// answer's headers and body may come in two writes). Reads wait at most 10 s.
std::string SendRaw(int port, const std::string& bytes, bool whole = false) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  const timeval wait{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    (void)!write(fd, bytes.data(), bytes.size());
    char buf[1024];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
      answer.append(buf, static_cast<size_t>(n));
      if (!whole) break;
    }
  }
  close(fd);
  return answer;
}

TEST(RobustnessTest, MalformedAndTruncatedRequestsNeverCrashTheController) {
  LocalCluster c(1, 2);
  ASSERT_EQ(c.up().exit_code, 0) << c.up().err;
  const std::string endpoint = ReadAll(c.state() + "/controller.json");
  auto port_of = [&](const std::string& key) {
    auto pos = endpoint.find("\"" + key + "\"");
    pos = endpoint.find(':', endpoint.find("127.0.0.1", pos));
    return atoi(endpoint.c_str() + pos + 1);
  };
  const int rest = port_of("rest");
  const int grpc = port_of("grpc");
  ASSERT_GT(rest, 0);
  ASSERT_GT(grpc, 0);
  const std::string token = ReadAll(c.state() + "/token").substr(0, 64);
  SendRaw(rest, "garbage\r\n\r\n");
  SendRaw(rest, "POST /api/v1/jobs HTTP/1.1\r\nContent-Length: 1000\r\n\r\n{\"spec\":");
  SendRaw(rest, "POST /api/v1/jobs HTTP/1.1\r\nAuthorization: Bearer " + token +
                    "\r\nContent-Length: 9\r\n\r\n{\"spec\":{");
  SendRaw(rest, "POST /api/v1/jobs HTTP/1.1\r\nAuthorization: Bearer " + token +
                    "\r\nContent-Length: 27\r\n\r\n{\"spec\":{\"num_tasks\":\"x\"}}");
  // A path no route takes: a 404 with the API's error body, as the other errors have.
  const std::string lost = SendRaw(rest,
                                   "GET /api/v1/jobz HTTP/1.1\r\nAuthorization: Bearer " + token +
                                       "\r\nConnection: close\r\n\r\n",
                                   /*whole=*/true);
  EXPECT_EQ(lost.rfind("HTTP/1.1 404", 0), 0u) << lost;
  EXPECT_NE(lost.find(R"({"code":"NOT_FOUND","message":"no such API call: GET /api/v1/jobz"})"),
            std::string::npos)
      << lost;
  SendRaw(grpc, std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string(64, '\xff'));
  SendRaw(grpc, std::string(200, '\0'));
  // A wrong token is refused.
  auto r =
      c.Run("SLUICE_URI=http://127.0.0.1:" + std::to_string(rest) + " SLUICE_TOKEN=wrong squeue");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("token"), std::string::npos) << r.err;
  // The controller still answers and nothing was queued.
  EXPECT_EQ(kill(c.ControllerPid(), 0), 0);
  r = c.Run("squeue -h -t all");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  int id = c.Submit("--wrap true");
  EXPECT_TRUE(c.WaitForState(id, "COMPLETED"));
}

}  // namespace
}  // namespace sluice::testing
