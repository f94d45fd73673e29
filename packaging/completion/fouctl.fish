# fish completion for fouctl(8)
# Installed as /usr/share/fish/vendor_completions.d/fouctl.fish. It offers what the bash
# completion (packaging/completion/fouctl) offers, from the tables below: a new verb is one
# line in __fouctl_verbs, plus one in __fouctl_positional if it takes a positional argument.
# tests/netns/cases/40_man_and_completion.sh runs it under real fish.

# Each verb and its options, as `fouctl VERB --help` lists them.
set -g __fouctl_verbs \
    'up --peer --local --address --name --mode --encap --offload --framing --tun-device --bind-peer --peer-port-fixed --foreground -v --verbose -h --help' \
    'down --all -c --config -h --help' \
    'status --json -a --all -c --config -h --help' \
    'apply -c --config -h --help' \
    'plan --json -c --config -h --help' \
    'check -c --config -h --help' \
    'relay -c --config -v --verbose -h --help' \
    'doctor --json -h --help'
# What a verb's positional argument is: "targets" (down's TARGET: a config tunnel's name or
# rx port, or a device fouctl made; exclusive with --all and -c FILE) or "names" (a config
# tunnel's name) or "devices" (a device fouctl made).
set -g __fouctl_positional \
    'down targets' \
    'relay names' \
    'doctor devices'
# The values of options that take one of a fixed set.
set -g __fouctl_values \
    '--mode auto kernel bpf userspace' \
    '--framing raw tun-pi' \
    '--encap fou gue' \
    '--offload auto on off'
set -g __fouctl_global_opts -q --quiet -n --netns -h --help --version

# __fouctl_row TABLE KEY: the rest of TABLE's row that starts with KEY, one word a line.
function __fouctl_row
    for row in $$argv[1]
        set -l words (string split ' ' -- $row)
        if test "$words[1]" = "$argv[2]"
            printf '%s\n' $words[2..-1]
            return 0
        end
    end
    return 1
end

# The config file named with -c/--config on the line, else the default.
function __fouctl_config_file
    set -l file /etc/fouctl/fouctl.json
    set -l tokens (commandline -opc)
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case -c --config
                set -q tokens[(math $i + 1)]; and set file $tokens[(math $i + 1)]
            case '--config=*'
                set file (string replace -- --config= '' $tokens[$i])
        end
    end
    string replace -r '^~' -- $HOME $file
end

# Tunnel names (with their defaults) listed in config file $argv[1]; with "ports" as
# $argv[2], also their receive ports.
function __fouctl_config_tunnels
    set -l file $argv[1]
    set -l ports "$argv[2]"
    test -r "$file"; or return
    if command -q jq
        jq -r --arg ports "$ports" '.tunnels[]? | objects
            | (.name // .tun_device // (.rx_port | numbers | "fou\(.)")),
              (select($ports != "") | .rx_port | numbers)
            | tostring' $file 2>/dev/null
    else
        # Without jq: every "name" (and "rx_port") value; good enough for completion.
        set -l keys name
        test -n "$ports"; and set keys 'name|rx_port'
        grep -oE "\"($keys)\"[[:space:]]*:[[:space:]]*(\"[^\"]*\"|[0-9]+)" $file 2>/dev/null |
            sed -E 's/^[^:]*:[[:space:]]*"?//; s/"$//'
    end
end

# ip, in the network namespace named with -n/--netns on the line, if any.
function __fouctl_ip
    set -l ns
    set -l tokens (commandline -opc)
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case -n --netns
                set -q tokens[(math $i + 1)]; and set ns -n $tokens[(math $i + 1)]
            case '--netns=*'
                set ns -n (string replace -- --netns= '' $tokens[$i])
        end
    end
    ip $ns $argv
end

# Devices whose alias carries fouctl's mark (with "tun": TUN devices, not TAP, that a relay
# could attach to with --tun-device).
function __fouctl_devices
    if test "$argv[1]" = tun
        __fouctl_ip -d -o link show type tun 2>/dev/null | string match -e ' tun type tun '
    else
        __fouctl_ip -o link show 2>/dev/null | string match -e 'alias fouctl:v1 '
    end | string replace -r '^[0-9]+: ([^:@ ]+)[@:].*' '$1'
end

# Everything to offer for the token under the cursor.
function __fouctl_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l prefix
    set -l opt $tokens[-1]
    if string match -qr -- '^--[^=]+=' $cur
        set opt (string replace -r -- '=.*' '' $cur)
        set prefix $opt=
        set cur (string replace -r -- '^[^=]*=' '' $cur)
    end

    # An option's value.
    switch $opt
        case -n --netns
            printf "$prefix%s\n" (ls /run/netns 2>/dev/null)
            return
        case -c --config
            printf "$prefix%s\n" (__fish_complete_path $cur)
            return
        case --tun-device
            printf "$prefix%s\n" (__fouctl_devices tun)
            return
        case --peer --local --address --name
            return # an address or a new name: nothing to offer
    end
    set -l values (__fouctl_row __fouctl_values $opt)
    and begin
        printf "$prefix%s\n" $values
        return
    end
    test -n "$prefix"; and return # "--flag=": no value to offer

    # The verb: the first word that is one, skipping -n NAME.
    set -l verb
    set -l verb_at 0
    set -l skip 0
    for i in (seq 2 (count $tokens))
        if test $skip = 1
            set skip 0
            continue
        end
        switch $tokens[$i]
            case -n --netns
                set skip 1
            case '*'
                if __fouctl_row __fouctl_verbs $tokens[$i] >/dev/null
                    set verb $tokens[$i]
                    set verb_at $i
                    break
                end
        end
    end
    if test -z "$verb"
        if string match -q -- '-*' $cur
            printf '%s\n' $__fouctl_global_opts
        else
            for row in $__fouctl_verbs
                string split -f1 ' ' -- $row
            end
        end
        return
    end
    if string match -q -- '-*' $cur
        __fouctl_row __fouctl_verbs $verb
        return
    end

    # The positional argument, once: nothing is offered after one (or, for a TARGET, after
    # --all or -c FILE, which replace it).
    set -l kind (__fouctl_row __fouctl_positional $verb); or return
    set -l given 0
    set -l skip 0
    for i in (seq (math $verb_at + 1) (count $tokens))
        if test $skip = 1
            set skip 0
            continue
        end
        switch $tokens[$i]
            case -c --config
                set skip 1
                test $kind = targets; and set given 1
            case --all '--config=*'
                test $kind = targets; and set given 1
            case '-*'
            case '*'
                set given 1
        end
    end
    test $given = 1; and return
    switch $kind
        case targets
            __fouctl_config_tunnels (__fouctl_config_file) ports
            __fouctl_devices
        case names
            __fouctl_config_tunnels (__fouctl_config_file)
        case devices
            __fouctl_devices
    end
end

complete -c fouctl -f -a '(__fouctl_complete)'
