#include "fouctl/doctor/nft_read.hpp"

#include <cstring>
#include <memory>
#include <string>

#include <nftables/libnftables.h>

#include "fouctl/util/dynlib.hpp"

namespace fouctl::doctor {

using util::ErrorKind;
using util::fail;

namespace {

// The largest listing parsed: a ruleset with big sets runs to a few MiB at most.
constexpr std::size_t k_max_output = 16u << 20;

// The part of libnftables fouctl uses, opened on first use (see util/dynlib.hpp).
struct Nftables {
  decltype(&::nft_ctx_new) ctx_new = nullptr;
  decltype(&::nft_ctx_free) ctx_free = nullptr;
  decltype(&::nft_ctx_output_set_flags) set_output_flags = nullptr;
  decltype(&::nft_ctx_buffer_output) buffer_output = nullptr;
  decltype(&::nft_ctx_buffer_error) buffer_error = nullptr;
  decltype(&::nft_ctx_get_output_buffer) output_buffer = nullptr;
  decltype(&::nft_ctx_get_error_buffer) error_buffer = nullptr;
  decltype(&::nft_run_cmd_from_buffer) run_cmd = nullptr;
};

util::Result<const Nftables *> nftables_library() {
  static Nftables n;
  static bool loaded = false;
  if (loaded)
    return &n;
  const char *so = "libnftables.so.1";
  auto bound = [&]() -> util::Status {
    FOUCTL_TRY(util::bind_symbol(so, "nft_ctx_new", n.ctx_new));
    FOUCTL_TRY(util::bind_symbol(so, "nft_ctx_free", n.ctx_free));
    FOUCTL_TRY(util::bind_symbol(so, "nft_ctx_output_set_flags", n.set_output_flags));
    FOUCTL_TRY(util::bind_symbol(so, "nft_ctx_buffer_output", n.buffer_output));
    FOUCTL_TRY(util::bind_symbol(so, "nft_ctx_buffer_error", n.buffer_error));
    FOUCTL_TRY(util::bind_symbol(so, "nft_ctx_get_output_buffer", n.output_buffer));
    FOUCTL_TRY(util::bind_symbol(so, "nft_ctx_get_error_buffer", n.error_buffer));
    FOUCTL_TRY(util::bind_symbol(so, "nft_run_cmd_from_buffer", n.run_cmd));
    return {};
  }();
  if (!bound) {
    util::Error e = bound.error();
    e.message = "libnftables1 is not installed (" + e.message + ")";
    e.hint = "apt install libnftables1";
    return tl::unexpected(std::move(e));
  }
  loaded = true;
  return &n;
}

std::string trimmed(const char *s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

} // namespace

util::Result<nlohmann::json> read_ruleset() {
  FOUCTL_TRY_ASSIGN(const Nftables *n, nftables_library());
  std::unique_ptr<nft_ctx, decltype(n->ctx_free)> ctx(n->ctx_new(NFT_CTX_DEFAULT), n->ctx_free);
  if (!ctx)
    return fail(ErrorKind::system, "libnftables could not start");
  // `nft -j list ruleset`: the same output flags as the nft command with -j alone.
  n->set_output_flags(ctx.get(), NFT_CTX_OUTPUT_JSON);
  if (n->buffer_output(ctx.get()) != 0 || n->buffer_error(ctx.get()) != 0)
    return fail(ErrorKind::system, "libnftables could not buffer its output");
  if (n->run_cmd(ctx.get(), "list ruleset") != 0) {
    std::string why = trimmed(n->error_buffer(ctx.get()));
    return fail(ErrorKind::system,
                "cannot list the nftables ruleset" + (why.empty() ? "" : ": " + why));
  }
  const char *out = n->output_buffer(ctx.get());
  std::size_t size = out ? ::strnlen(out, k_max_output + 1) : 0;
  if (size > k_max_output)
    return fail(ErrorKind::system, "the nftables ruleset listing is larger than 16 MiB");
  // nothing is printed for an empty ruleset in some versions: the same as no rules
  if (size == 0)
    return nlohmann::json{{"nftables", nlohmann::json::array()}};
  auto doc = nlohmann::json::parse(out, out + size, nullptr, false);
  if (doc.is_discarded())
    return fail(ErrorKind::system, "libnftables printed a ruleset that is not JSON");
  return doc;
}

} // namespace fouctl::doctor
