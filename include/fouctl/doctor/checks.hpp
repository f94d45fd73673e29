#pragma once
// The checks behind doctor's table (doctor/table.cpp), one pure function each.
#include "fouctl/doctor/doctor.hpp"

namespace fouctl::doctor {

Finding check_kernel(const Facts &f);
Finding check_route(const Facts &f);
Finding check_mtu(const Facts &f);
Finding check_rp_filter(const Facts &f);
Finding check_forwarding(const Facts &f);
Finding check_firewall(const Facts &f);
Finding check_port(const Facts &f);
Finding check_offload(const Facts &f);
Finding check_counters(const Facts &f);

} // namespace fouctl::doctor
