#pragma once
// A fresh directory under /tmp for tests that need real files or sockets.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

inline std::string make_temp_dir() {
  char tmpl[] = "/tmp/fouctl-unit-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  return tmpl;
}
