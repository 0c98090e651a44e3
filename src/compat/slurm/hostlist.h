// Slurm host lists: "n[1-3,5],gpu[01-02],x" <-> the names they stand for.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sluice::compat::slurm {

// Expands a Slurm host list into host names, in the order written. Ranges keep the zero padding of
// their lower bound ("n[08-10]" -> n08 n09 n10); several bracket groups in one name expand as a
// product ("r[1-2]n[1-2]" -> r1n1 r1n2 r2n1 r2n2). Commas and whitespace separate names. Fails
// with InvalidArgument on unbalanced brackets, a non-numeric or descending range, or empty input
// inside brackets. An empty or blank string expands to no hosts.
Result<std::vector<std::string>> ExpandHostlist(std::string_view hostlist);

// Compresses host names into Slurm's ranged form ("n[1-3,5]"), as Slurm prints it: names grouped
// by prefix and number width, sorted by prefix then numerically, duplicates dropped, groups
// joined by ','. Input order does not matter; an empty input gives "".
std::string CompressHostlist(const std::vector<std::string>& hosts);

}  // namespace sluice::compat::slurm
