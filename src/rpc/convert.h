// Conversions between core model values and the API schema (proto/sluice/v1). One place, used by
// the journal, gRPC, REST and the CLI alike.
#pragma once

#include "core/cluster/commands.h"
#include "core/cluster/config.h"
#include "core/model/accounting.h"
#include "core/model/job.h"
#include "core/model/node.h"
#include "sluice/v1/accounting.pb.h"
#include "sluice/v1/cluster.pb.h"
#include "sluice/v1/jobs.pb.h"
#include "sluice/v1/nodes.pb.h"
#include "sluice/v1/partitions.pb.h"
#include "sluice/v1/reservations.pb.h"

namespace sluice::rpc {

v1::JobState ToProto(core::model::JobState s);
core::model::JobState FromProto(v1::JobState s);

void ToProto(const core::model::JobSpec& in, v1::JobSpec* out);
core::model::JobSpec FromProto(const v1::JobSpec& in);
void ToProto(const core::model::Job& in, v1::Job* out);
core::model::Job FromProto(const v1::Job& in);

void ToProto(const core::model::Node& in, v1::Node* out);
core::model::Node FromProto(const v1::Node& in);
void ToProto(const core::model::Partition& in, v1::Partition* out);
core::model::Partition FromProto(const v1::Partition& in);

void ToProto(const core::cluster::JobFilter& in, v1::JobFilter* out);
core::cluster::JobFilter FromProto(const v1::JobFilter& in);
void ToProto(const core::cluster::NodeInventory& in, v1::NodeInventory* out);
core::cluster::NodeInventory FromProto(const v1::NodeInventory& in);
void ToProto(const core::model::Reservation& in, v1::Reservation* out);
core::model::Reservation FromProto(const v1::Reservation& in);
void ToProto(const core::cluster::PriorityConfig& in, v1::PriorityConfig* out);
core::cluster::PriorityConfig FromProto(const v1::PriorityConfig& in);
void ToProto(const core::cluster::JobEnd& in, v1::JobEnd* out);
core::cluster::JobEnd FromProto(const v1::JobEnd& in);
void ToProto(const core::model::AccountingRecord& in, v1::AccountingJob* out);
core::model::AccountingRecord FromProto(const v1::AccountingJob& in);
void ToProto(const core::model::AccountingFilter& in, v1::AccountingFilter* out);
core::model::AccountingFilter FromProto(const v1::AccountingFilter& in);

}  // namespace sluice::rpc
