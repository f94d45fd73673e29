# Turns the compiled BPF object into a C++ source file holding its bytes, so that fouctl
# carries its datapath inside the binary: a root tool must not load a program from a path
# that someone else could replace. Run by CMakeLists.txt as
#   cmake -DINPUT=fou.bpf.o -DOUTPUT=fou_bpf_object.cpp -P embed.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# Break the one long line every 16 bytes (80 characters of "0xNN,").
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by src/bpf/embed.cmake; do not edit.
#include \"fouctl/bpf/embedded.hpp\"

namespace fouctl::bpf {
namespace {
alignas(8) const unsigned char k_bytes[${size}] = {
${bytes}
};
} // namespace

std::span<const unsigned char> embedded_object() { return {k_bytes, sizeof k_bytes}; }

} // namespace fouctl::bpf
")
