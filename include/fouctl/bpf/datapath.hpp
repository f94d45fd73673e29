#pragma once
// The BPF datapath of one network namespace: fouctl's two programs (fou_encap, fou_decap)
// and the maps they share (include/fouctl/bpf/abi.h), held as descriptors.
//
// Every bpf tunnel of a namespace uses the same programs and maps. They stay alive while
// something holds them: the LWT routes (fou_encap), the ingress filters (fou_decap) and
// the pins in /sys/fs/bpf/fouctl/<netns key>/ (pins.hpp). A later run finds them again
// through the pins or, where the pins are gone or were never visible (`ip netns exec`
// mounts a fresh /sys, so a bpffs mounted there dies with the command), through the
// programs the kernel runs: every program fouctl loads uses fou_meta, which names the
// namespace it serves. No state file is involved.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "fouctl/bpf/abi.h"
#include "fouctl/util/result.hpp"
#include "fouctl/util/unique_fd.hpp"

namespace fouctl::bpf {

// Program and map names in fou.bpf.c (the kernel keeps 15 characters of a name).
inline constexpr const char *k_encap_prog = "fou_encap";
inline constexpr const char *k_decap_prog = "fou_decap";

enum class MapId { meta, tunnels, route4, route6, rx, stats };
inline constexpr std::array<const char *, 6> k_map_names = {
    "fou_meta", "fou_tunnels", "fou_route4", "fou_route6", "fou_rx", "fou_stats"};

// Who this namespace is, as fou_meta records it.
util::Result<fouctl_meta> this_namespace();

class Datapath {
public:
  // This namespace's datapath if it has one: through `pin_dir` when given and present,
  // else through the programs the kernel runs. Objects of another namespace or another
  // layout are never returned. Parts that nothing holds any more are missing:
  // complete() tells.
  static util::Result<std::optional<Datapath>> find(const std::string *pin_dir);
  // Loads the embedded object, reusing the maps `found` has (nullptr: all new), and
  // returns the datapath with every part present; what `found` held is kept.
  static util::Result<Datapath> load(Datapath *found);

  [[nodiscard]] bool complete() const;
  [[nodiscard]] int map(MapId id) const { return m_maps[static_cast<std::size_t>(id)].get(); }
  [[nodiscard]] int encap_fd() const { return m_encap.get(); }
  [[nodiscard]] int decap_fd() const { return m_decap.get(); }
  // The kernel's id of a program (tc and route dumps name programs by id or name).
  [[nodiscard]] static std::uint32_t prog_id(int fd);
  // Whether it came from pins (false: found through programs, or loaded now).
  [[nodiscard]] bool from_pins() const { return m_from_pins; }

  // Pins every object into `dir` (made root-only by pins.hpp), replacing stale pins.
  util::Status pin(const std::string &dir) const;

private:
  std::array<util::UniqueFd, k_map_names.size()> m_maps;
  util::UniqueFd m_encap, m_decap;
  bool m_from_pins = false;
};

} // namespace fouctl::bpf
