#include "noded/inventory.h"

#include <hwloc.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "common/time.h"

namespace sluice::noded {

namespace {
UnixTime BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      UnixTime t = 0;
      in >> t;
      return t;
    }
  }
  return 0;
}
}  // namespace

core::cluster::NodeInventory DetectInventory(const std::string& name, uint32_t cpus,
                                             uint64_t memory_mb) {
  core::cluster::NodeInventory inv;
  inv.name = name;
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) == 0 && hwloc_topology_load(topo) == 0) {
    const int pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    const int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    const int packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
    inv.cpus = pus > 0 ? pus : 1;
    inv.sockets = packages > 0 ? packages : 1;
    inv.cores_per_socket = cores > 0 ? cores / inv.sockets : inv.cpus;
    inv.threads_per_core = cores > 0 ? pus / cores : 1;
    inv.memory_mb = hwloc_get_root_obj(topo)->total_memory >> 20;
    hwloc_topology_destroy(topo);
  } else {
    inv.cpus = static_cast<uint32_t>(sysconf(_SC_NPROCESSORS_ONLN));
    inv.cores_per_socket = inv.cpus;
    inv.memory_mb = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                        static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) >>
                    20;
  }
  if (cpus > 0) {
    // An emulated node: one socket of single-threaded cores.
    inv.cpus = cpus;
    inv.sockets = 1;
    inv.cores_per_socket = cpus;
    inv.threads_per_core = 1;
  }
  if (memory_mb > 0) inv.memory_mb = memory_mb;
  utsname u{};
  if (uname(&u) == 0) {
    inv.arch = u.machine;
    inv.os = std::string(u.sysname) + " " + u.release;
    inv.address = u.nodename;
  }
  inv.boot_time = BootTime();
  inv.agent_start_time = WallClockNow();
  return inv;
}

}  // namespace sluice::noded
