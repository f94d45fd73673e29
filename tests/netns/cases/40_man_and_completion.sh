#!/bin/bash
# The man pages and the bash completion, checked against the program itself: both pages
# are mandoc-clean; every verb and option `fouctl ... --help` prints is in fouctl(8);
# every key of configs/*.json is in fouctl.json(5), whose examples `fouctl check` accepts.
# Then the completions run under the real shells (bash with bash-completion, zsh with
# compinit, fish), each asked the same lines, in a namespace holding a fouctl-marked device,
# foreign devices and TUN/TAP devices, with the default config replaced (in a private mount
# namespace) by a test file.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

repo=$(cd "$(dirname "$0")/../../.." && pwd)
man8=$repo/man/fouctl.8 man5=$repo/man/fouctl.json.5
completion=$repo/packaging/completion/fouctl
zsh_completion=$repo/packaging/completion/_fouctl
fish_completion=$repo/packaging/completion/fouctl.fish
bash_completion=/usr/share/bash-completion/bash_completion
tmp=$(mktemp -d)
on_exit rm -rf "$tmp"

command -v mandoc >/dev/null || skip "mandoc is not installed (Build-Depends: mandoc <!nocheck>)"

# The page as text, one paragraph per line (wide enough that nothing wraps).
render() { mandoc -T ascii -O width=1000 "$1" | sed 's/.\x08//g'; }
# has_word TEXT WORD: WORD occurs in TEXT, not as part of a longer option or key.
has_word() { grep -qE -- "(^|[^[:alnum:]_-])$2([^[:alnum:]_-]|$)" <<<"$1"; }

log "mandoc -T lint -W warning"
for page in "$man8" "$man5"; do
    out=$(mandoc -T lint -W warning "$page" 2>&1) || true # exits non-zero with findings
    [[ -z $out ]] || fail "mandoc finds problems in ${page#"$repo"/}: $out"
done

log "fouctl(8) documents every verb and option of --help"
page8=$(render "$man8")
synopsis=$(sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' <<<"$page8")
help=$(fouctl --help)
mapfile -t verbs < <(sed -n '/^Subcommands:/,/^$/{s/^  \([a-z]\+\) .*/\1/p}' <<<"$help")
((${#verbs[@]} >= 6)) || fail "found only ${#verbs[@]} verbs in 'fouctl --help': $help"
# options VERB: the options `fouctl VERB --help` lists, long and short, one per line.
options() {
    # shellcheck disable=SC2086 # no verb: the top-level help
    fouctl $1 --help | awk '/^Options:/ { on = 1; next } /^[^ ]/ { on = 0 }
        on && $1 ~ /^-/ { n = split($1, o, ","); for (i = 1; i <= n; i++) print o[i] }'
}
checked=0
for verb in '' "${verbs[@]}"; do
    if [[ -n $verb ]]; then
        has_word "$synopsis" "$verb" || fail "verb '$verb' is not in the SYNOPSIS of fouctl(8)"
    fi
    mapfile -t opts < <(options "$verb")
    ((${#opts[@]} >= 1)) || fail "no options parsed from 'fouctl $verb --help'"
    for o in "${opts[@]}"; do
        has_word "$page8" "$o" || fail "option '$o' of 'fouctl $verb' is not in fouctl(8)"
        checked=$((checked + 1))
    done
done
for code in 0 1 2 3; do
    grep -qE "^ +$code +[[:alpha:]]" <<<"$(sed -n '/^EXIT STATUS/,/^ENVIRONMENT/p' <<<"$page8")" ||
        fail "exit status $code is not described in fouctl(8)"
done
log "$checked options of ${#verbs[@]} verbs found"

log "fouctl.json(5) documents every key of configs/*.json; its examples are valid"
page5=$(render "$man5")
mapfile -t keys < <(jq -r '.. | objects | keys[]' "$repo"/configs/*.json | sort -u)
((${#keys[@]} >= 5)) || fail "found only ${#keys[@]} keys in configs/*.json"
for k in "${keys[@]}"; do
    has_word "$page5" "$k" || fail "config key '$k' is not in fouctl.json(5)"
done
# Each tunnel key's "Example:", set in an otherwise valid tunnel, must pass `fouctl check`.
mapfile -t examples < <(sed -n 's/^ .*Example: \(.*\)\.$/\1/p' <<<"$page5")
((${#examples[@]} >= 12)) || fail "expected an example for each of 12 tunnel keys, found ${#examples[@]}"
for ex in "${examples[@]}"; do
    jq -n --argjson ex "{$ex}" '{version: 1, tunnels: [{rx_port: 1, tx_port: 2,
        peer: "192.0.2.1", routes: ["10.0.0.1"]} + $ex]}' >"$tmp"/example.json ||
        fail "the example '$ex' in fouctl.json(5) is not JSON"
    fouctl check -c "$tmp"/example.json >/dev/null || fail "fouctl check refuses the example '$ex'"
done
# The complete files in EXAMPLES: from a line "{" to the "}" indented alike.
awk -v dir="$tmp" '!on && /^ +\{$/ { on = 1; n++; f = dir "/full" n ".json"; end = $0; sub(/\{$/, "}", end) }
    on { print > f } on && $0 == end { on = 0; close(f) }' <<<"$page5"
full=("$tmp"/full*.json)
((${#full[@]} >= 3)) || fail "expected 3 complete examples in fouctl.json(5), found ${#full[@]}"
for f in "${full[@]}"; do
    fouctl check -c "$f" >/dev/null || fail "fouctl check refuses an example of fouctl.json(5): $(cat "$f")"
done

log "completion: bash, zsh, fish"
[[ -f $bash_completion ]] || skip "bash-completion is not installed (Build-Depends: bash-completion <!nocheck>)"
command -v zsh >/dev/null || skip "zsh is not installed (Build-Depends: zsh <!nocheck>)"
command -v fish >/dev/null || skip "fish is not installed (Build-Depends: fish <!nocheck>)"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
ns=${FOUCTL_TEST_ID:-fx}comp
netns_add "$ns"
check ip -n "$ns" link add fou3001 type veth peer name handmade0 # a fouctl device, one not
check ip -n "$ns" link set fou3001 alias "fouctl:v1 mode=kernel rx=3001 tx=3002"
check ip -n "$ns" tuntap add dev tun7 mode tun
check ip -n "$ns" tuntap add dev tap7 mode tap
cat >"$tmp"/default.json <<'JSON'
{"version": 1, "tunnels": [
  {"name": "alice", "rx_port": 2001, "tx_port": 2002, "routes": ["10.0.2.2"]},
  {"rx_port": 2003, "tx_port": 2004, "routes": ["10.0.3.0/24"]}
]}
JSON
cat >"$tmp"/other.json <<'JSON'
{"version": 1, "tunnels": [{"name": "bob", "rx_port": 4001, "tx_port": 4002, "routes": ["10.4.0.0/24"]}]}
JSON
mkdir "$tmp"/nojq # a PATH without jq, for the fallback parser
for c in grep sed ip ls seq; do ln -s "$(command -v "$c")" "$tmp/nojq/$c"; done
# The default config is replaced in a private mount namespace only; /etc/fouctl must
# exist to mount over, so an empty one is made (and removed) if there is none.
if [[ ! -d /etc/fouctl ]]; then
    mkdir /etc/fouctl
    on_exit rmdir /etc/fouctl
fi

# zsh completes in its line editor only, so it runs interactively on a pseudo-terminal
# (zpty) with compinit; compadd, which every completion function ends in, also writes the
# words that match to a file. Arguments: the completion's directory, the file, the line.
# shellcheck disable=SC2016 # zsh code, expanded by zsh
cat >"$tmp"/complete.zsh <<'ZSH'
zmodload zsh/zpty || exit 1
dir=$1 out=$2 line=$3 self=/proc/$$/exe
: >$out
zpty z ${self:A} -f -i || exit 1 # this zsh: PATH may not have it
zpty -w z "PS1='@@PROMPT ' RPS1='' LISTMAX=100000; bindkey -e; fpath=(${(q)dir} \$fpath)"
zpty -w z 'autoload -Uz compinit && compinit -u -D'
zpty -w z "compadd() { if (( \${@[(I)-[OAD]*]} == 0 )); then builtin compadd -O __m \"\$@\"; print -rl -- \$__m >>${(q)out}; fi; builtin compadd \"\$@\"; }"
zpty -w z "print @@RE''ADY"
# Keys only once the line editor waits for them (after the next prompt): typed ahead, they
# can be lost.
zpty -r z got '*@@READY*@@PROMPT *'
zpty -w -n z "$line"$'\t' # complete, then empty the line
zpty -w -n z $'\C-u'
zpty -w z "print @@DO''NE"
zpty -r z got '*@@DONE*'
zpty -d z
ZSH
mkdir "$tmp"/zsh-fpath # only _fouctl, not the bash file beside it
cp "$zsh_completion" "$tmp"/zsh-fpath/

# completions SHELL LINE [nojq]: what completing at the end of LINE offers in SHELL, sorted,
# one a line, in $ns with $tmp/default.json as /etc/fouctl/fouctl.json.
# shellcheck disable=SC2016 # the single-quoted scripts expand their own arguments
completions() {
    local shell=$1 line=$2 path=$PATH
    [[ ${3:-} == nojq ]] && path=$tmp/nojq
    local run=(ip netns exec "$ns" unshare -m sh -c
        'mount -t tmpfs -o size=1m fouctl-test /etc/fouctl && cp "$0" /etc/fouctl/fouctl.json &&
         exec "$@"' "$tmp"/default.json)
    case $shell in
        bash)
            "${run[@]}" bash --norc --noprofile -c '
                . "$1" && . "$2" || exit 1
                spec=$(complete -p fouctl) || exit 1 # how bash would call it
                func=${spec#*-F } func=${func%% *}
                PATH=$5
                COMP_LINE=$3 COMP_POINT=${#3}
                read -ra COMP_WORDS <<<"$3"
                [[ $3 == *" " ]] && COMP_WORDS+=("")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                "$func" fouctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" || true
                printf "%s\n" "${COMPREPLY[@]}"' \
                _ "$bash_completion" "$completion" "$line" "" "$path"
            ;;
        zsh)
            rm -f "$tmp"/zsh.out
            "${run[@]}" timeout 20 env PATH="$path" "$(command -v zsh)" -f "$tmp"/complete.zsh \
                "$tmp"/zsh-fpath "$tmp"/zsh.out "$line" >/dev/null || return 1
            cat "$tmp"/zsh.out
            ;;
        fish)
            "${run[@]}" env PATH="$path" "$(command -v fish)" --no-config \
                -c 'source $argv[1]; and complete -C $argv[2]' "$fish_completion" "$line" |
                cut -f1 # a word, without a description
            ;;
    esac | sed '/^$/d' | sort -u
}
# expect SHELL LINE WORD...: completing LINE in SHELL offers exactly WORDs (in any order).
asserted=0
expect() {
    local shell=$1 line=$2 got want
    shift 2
    got=$(completions "$shell" "$line" | paste -sd ' ') ||
        fail "$shell: completing '$line' failed"
    want=$(printf '%s\n' "$@" | sed '/^$/d' | sort -u | paste -sd ' ')
    [[ $got == "$want" ]] || fail "$shell: completing '$line' offered '$got', expected '$want'"
    echo "ok: $shell '$line' -> ${got:-(nothing)}"
    asserted=$((asserted + 1))
}

netns_add "${ns}2"
check ip -n "${ns}2" link add fou5001 type veth peer name handmade1
check ip -n "${ns}2" link set fou5001 alias "fouctl:v1 mode=kernel rx=5001 tx=5002"
for sh in bash zsh fish; do
    expect $sh 'fouctl ' "${verbs[@]}"
    expect $sh 'fouctl -q ' "${verbs[@]}"
    for verb in '' "${verbs[@]}"; do
        mapfile -t opts < <(options "$verb")
        expect $sh "fouctl ${verb:+$verb }-" "${opts[@]}"
    done
    expect $sh 'fouctl up 2001 2002 10.0.2.2 --mo' --mode
    expect $sh 'fouctl up 2001 2002 10.0.2.2 --mode ' auto bpf kernel userspace
    expect $sh 'fouctl up 2001 2002 10.0.2.2 --mode k' kernel
    expect $sh 'fouctl up 2001 2002 10.0.2.2 --framing ' raw tun-pi
    expect $sh 'fouctl up 2001 2002 10.0.2.2 --offload ' auto on off
    expect $sh 'fouctl up 2001 2002 10.0.2.2 --encap ' fou gue
    expect $sh 'fouctl up 9000 9000 10.0.2.0/24 --tun-device ' tun7
    expect $sh 'fouctl up 2001 2002 10.0.2.2 --peer ' # an address: nothing to offer
    # down: the default config's names and rx ports, plus devices marked by fouctl.
    expect $sh 'fouctl down ' alice 2001 fou2003 2003 fou3001
    expect $sh 'fouctl down a' alice
    expect $sh 'fouctl down --all ' # down takes one of TARGET, --all, -c FILE
    expect $sh "fouctl down -c $tmp/other.json " # (so a TARGET after -c would be an error)
    expect $sh 'fouctl down alice ' # one TARGET only
    # -n NAME: namespaces from /run/netns; after it, devices are those of NAME.
    expect $sh "fouctl -n $ns" "$ns" "${ns}2"
    expect $sh "fouctl -n ${ns}2 " "${verbs[@]}"
    expect $sh "fouctl -n ${ns}2 down " alice 2001 fou2003 2003 fou5001
    expect $sh "fouctl --netns ${ns}2 down fou" fou2003 fou5001
    # relay NAME: names (no ports) from -c FILE when given, else the default config.
    expect $sh 'fouctl relay ' alice fou2003
    expect $sh "fouctl relay -c $tmp/other.json " bob
    # doctor NAME: the devices fouctl made in the namespace.
    expect $sh 'fouctl doctor ' fou3001
    expect $sh "fouctl -n ${ns}2 doctor " fou5001
    expect $sh 'fouctl doctor fou3001 '
    # A file: zsh's compadd gets the name without its directory (the directory is its -W).
    if [[ $sh == zsh ]]; then
        expect $sh "fouctl check -c $tmp/oth" other.json
    else
        expect $sh "fouctl check -c $tmp/oth" "$tmp"/other.json
    fi
    # Without jq the fallback parser still finds the names given explicitly, and the ports.
    got=$(completions $sh 'fouctl down ' nojq | paste -sd ' ')
    [[ $got == "2001 2003 alice fou3001" ]] || fail "$sh: without jq, 'fouctl down ' offered '$got'"
    echo "ok: $sh without jq 'fouctl down ' -> $got"
done
# zsh and fish also take a value after '=', as bash-completion does.
for sh in zsh fish; do
    want=kernel
    [[ $sh == fish ]] && want=--mode=kernel # fish offers the whole token
    expect $sh 'fouctl up 2001 2002 10.0.2.2 --mode=k' $want
done
log "$asserted completions asserted"
