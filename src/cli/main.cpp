#include <iostream>
#include <string>
#include <vector>

#include "fouctl/cli/invocation.hpp"

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return fouctl::cli::run(args, std::cout, std::cerr);
}
