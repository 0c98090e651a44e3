// libFuzzer target for the Slurm-compatibility parsers and the simulator's trace readers: the
// first byte picks the parser, the rest is its input. Every parser must return a value or an
// error, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compat/slurm/hostlist.h"
#include "compat/slurm/sacct_format.h"
#include "compat/slurm/sbatch_options.h"
#include "compat/slurm/slurm_conf.h"
#include "compat/slurm/sprio_format.h"
#include "compat/slurm/squeue_format.h"
#include "compat/slurm/time_format.h"
#include "core/model/constraint.h"
#include "sim/sacct.h"
#include "sim/swf.h"
#include "sim/workload.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 10) {
    case 0:
      (void)compat::slurm::ExpandHostlist(input);
      break;
    case 1:
      (void)compat::slurm::ParseTimeLimit(input);
      (void)compat::slurm::ParseMemoryMb(input);
      (void)compat::slurm::ParseSacctTime(input, 1795307719);
      break;
    case 2:
      (void)compat::slurm::ExtractSbatchDirectives(input);
      break;
    case 3: {
      // Arguments separated by NUL bytes.
      std::vector<std::string> argv;
      std::string cur;
      for (char ch : input) {
        if (ch == '\0') {
          argv.push_back(cur);
          cur.clear();
        } else {
          cur += ch;
        }
      }
      argv.push_back(cur);
      (void)compat::slurm::ResolveSbatch(argv, "#!/bin/sh\ntrue\n", {});
      break;
    }
    case 4:
      (void)compat::slurm::ParseSlurmConf(input);
      break;
    case 5: {
      auto job = std::make_shared<core::model::Job>();
      job->id = 7;
      job->spec = std::make_shared<core::model::JobSpec>();
      (void)compat::slurm::FormatSqueue({job}, input, true, 100);
      if (auto columns = compat::slurm::ParseSacctFormat(input); columns.ok()) {
        (void)compat::slurm::FormatSacct({compat::slurm::AccountingRecordOf(*job)}, *columns, {});
      }
      compat::slurm::SprioRow row;
      row.job_id = 7;
      (void)compat::slurm::FormatSprio({row}, input, {}, true);
      (void)compat::slurm::FormatSprioWeights(input, {}, true);
      break;
    }
    case 6:
      if (auto c = core::model::ParseConstraint(input); c.ok()) {
        (void)c->Matches({"a", "b"});
        (void)c->MatchingOrAlternatives();
      }
      break;
    case 7:
      (void)sim::ParseSwf(input);
      break;
    case 8:
      (void)sim::ParseJobDescriptions(input);
      (void)sim::SplitShellWords(input);
      break;
    case 9:
      (void)sim::ParseSacct(input);
      break;
  }
  return 0;
}
