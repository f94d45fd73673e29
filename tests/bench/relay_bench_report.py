#!/usr/bin/env python3
"""Summarise a relay-bench run: parse the raw files, print the table and the ratios.

    relay_bench_report.py RAW_DIR [--json FILE]

RAW_DIR is laid out by relay-bench: `config` (key=value), `rows` (id TAB label) and one
directory per row holding `error` (the row could not run), `relays` (pids measured for CPU),
`mtu` (a tunnel device whose MTU is not fouctl's: vxlan) and one directory per repetition
with ping.txt, <test>.client.json, <test>.server.json and <test>.before / <test>.after
snapshots (time, relay CPU ticks, UDP RcvbufErrors per side).
Every figure in the table is the median over repetitions.
"""
import argparse
import json
import math
import re
import statistics
import sys
from pathlib import Path

TESTS = ("tcp1", "tcp4", "udp")

# (key, header, decimals): the table's columns, in order.
COLUMNS = (
    ("tcp1_mbps", "TCP 1 stream Mbit/s", 0),
    ("tcp4_mbps", "TCP 4 streams Mbit/s", 0),
    ("udp_kpps", "UDP 64B kpps", 1),
    ("udp_loss_pct", "UDP loss %", 1),
    ("rtt_median_ms", "RTT median ms", 3),
    ("rtt_p99_ms", "RTT p99 ms", 3),
    ("relay_cpu_pct", "relay CPU %", 0),
    ("rcvbuf_drops", "UDP rcvbuf drops", 0),
)

# Rows whose datapath is the kernel's own (softirq): no relay process, so no relay CPU.
KERNEL_ROWS = ("veth", "vxlan", "bpf")

# (numerator row, denominator row, metrics): the ratio lines, in order: every row against
# direct veth, then the comparisons between datapaths.
ALL_METRICS = ("tcp1_mbps", "tcp4_mbps", "udp_kpps", "rtt_median_ms")
RATIOS = tuple((row, "veth", ALL_METRICS)
               for row in ("vxlan", "bpf", "fouctl", "socat", "socat-quiet", "socat-nopi")) + (
    ("bpf", "fouctl", ALL_METRICS),
    ("bpf", "vxlan", ALL_METRICS),
    ("fouctl", "socat", ALL_METRICS),
    ("fouctl", "socat-quiet", ALL_METRICS),
    ("socat-quiet", "socat", ("tcp1_mbps", "rtt_median_ms")),
    ("socat-nopi", "socat", ("tcp1_mbps", "rtt_median_ms")),
)
RATIO_NAMES = {
    "veth": "direct veth",
    "vxlan": "kernel VXLAN",
    "bpf": "fouctl BPF",
    "fouctl": "fouctl relay",
    "socat": "socat seed",
    "socat-quiet": "socat no -ddd",
    "socat-nopi": "socat iff-no-pi",
}

# The issue's target for the BPF datapath: a comparison line, never a failure.
TARGET = {"row": "bpf", "versus": "veth", "metric": "tcp1_mbps", "at_least": 0.8}
METRIC_NAMES = {
    "tcp1_mbps": "TCP1",
    "tcp4_mbps": "TCP4",
    "udp_kpps": "UDP pps",
    "rtt_median_ms": "RTT median",
}


def read_json(path):
    """The parsed file, or None when it is missing, empty or cut short."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def percentile(values, p):
    """Nearest-rank percentile: the smallest sample with at least p% at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def parse_ping(path, sent):
    try:
        text = path.read_text()
    except OSError:
        return {}, "no ping output"
    rtts = [float(m) for m in re.findall(r"time=([\d.]+) ms", text)]
    if not rtts:
        first = text.strip().splitlines()[:1]
        return {}, "no ping replies" + (f" ({first[0]})" if first else "")
    return {
        "rtt_median_ms": statistics.median(rtts),
        "rtt_p99_ms": percentile(rtts, 99),
        "ping_loss_pct": 100 * (1 - len(rtts) / sent),
    }, None


def iperf_error(rep_dir, test):
    """Why a test has no result: the script's note, iperf3's JSON error or its stderr."""
    note = rep_dir / f"{test}.error"
    if note.exists():
        return note.read_text().strip()
    for side in ("client", "server"):
        doc = read_json(rep_dir / f"{test}.{side}.json")
        if isinstance(doc, dict) and doc.get("error"):
            return f"iperf3 {side}: {doc['error']}"
    rc = rep_dir / f"{test}.client.rc"
    if rc.exists() and rc.read_text().strip() in ("124", "137"):
        return "iperf3 client timed out"
    for side in ("client", "server"):
        try:
            err = (rep_dir / f"{test}.{side}.err").read_text().strip()
        except OSError:
            continue
        if err:
            return f"iperf3 {side}: {err.splitlines()[0]}"
    return "iperf3 gave no result"


def parse_tcp(rep_dir, test):
    doc = read_json(rep_dir / f"{test}.client.json")
    try:
        bps = doc["end"]["sum_received"]["bits_per_second"]
    except (TypeError, KeyError):
        return None, iperf_error(rep_dir, test)
    return bps / 1e6, None


def parse_udp(rep_dir):
    # The server is the receiver: its count is what actually crossed the tunnel.
    doc = read_json(rep_dir / "udp.server.json")
    try:
        end = doc["end"]
        total = end.get("sum_received") or end["sum"]
        packets, lost, seconds = total["packets"], total["lost_packets"], total["seconds"]
    except (TypeError, KeyError, AttributeError):
        return {}, iperf_error(rep_dir, "udp")
    if packets <= 0 or seconds <= 0:
        return {}, "iperf3 server received no UDP packets"
    return {
        "udp_kpps": (packets - lost) / seconds / 1e3,
        "udp_loss_pct": 100 * lost / packets,
    }, None


def read_snapshot(path):
    snap = {"time": None, "cpu": {}, "rcvbuf": {}}
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        f = line.split()
        try:
            if f[0] == "time":
                snap["time"] = float(f[1])
            elif f[0] == "cpu":
                snap["cpu"][f[1]] = int(f[2]) + int(f[3])
            elif f[0] == "machine" and len(f) >= 9:
                ticks = [int(x) for x in f[1:9]]  # user .. steal
                snap["machine"] = (sum(ticks) - ticks[3] - ticks[4], sum(ticks))
            elif f[0] == "rcvbuf" and len(f) == 3:
                snap["rcvbuf"][f[1]] = int(f[2])
        except (IndexError, ValueError):
            continue
    return snap


def window(rep_dir, test, clk_tck, relays):
    """Relay CPU (% of one core) and underlay UDP receive-buffer drops while TEST ran."""
    before = read_snapshot(rep_dir / f"{test}.before")
    after = read_snapshot(rep_dir / f"{test}.after")
    if not before or not after or before["time"] is None or after["time"] is None:
        return None, None, None
    wall = after["time"] - before["time"]
    cpu = None
    # Only relays seen at both ends of the window; one that died is not counted as 0.
    pids = set(before["cpu"]) & set(after["cpu"])
    if relays and pids and wall > 0:
        ticks = sum(after["cpu"][p] - before["cpu"][p] for p in pids)
        cpu = 100 * ticks / clk_tck / wall
    drops = None
    if set(before["rcvbuf"]) == set(after["rcvbuf"]) == {"a", "b"}:
        drops = sum(after["rcvbuf"][s] - before["rcvbuf"][s] for s in ("a", "b"))
    machine = None
    if "machine" in before and "machine" in after:
        busy = after["machine"][0] - before["machine"][0]
        total = after["machine"][1] - before["machine"][1]
        machine = 100 * busy / total if total > 0 else None
    return cpu, drops, machine


def parse_rep(rep_dir, config, relays):
    rep, errors = {}, []
    values, err = parse_ping(rep_dir / "ping.txt", config["pings"])
    rep.update(values)
    if err:
        errors.append(f"ping: {err}")
    for test in ("tcp1", "tcp4"):
        mbps, err = parse_tcp(rep_dir, test)
        rep[f"{test}_mbps"] = mbps
        if err:
            errors.append(f"{test}: {err}")
    values, err = parse_udp(rep_dir)
    rep.update(values)
    if err:
        errors.append(f"udp: {err}")
    for test in TESTS:
        cpu, drops, machine = window(rep_dir, test, config["clk_tck"], relays)
        rep[f"relay_cpu_pct_{test}"] = cpu
        rep[f"rcvbuf_drops_{test}"] = drops
        rep[f"machine_busy_pct_{test}"] = machine  # all CPUs, everything running
    # The table's CPU and drop columns are those of the TCP 1-stream window.
    rep["relay_cpu_pct"] = rep["relay_cpu_pct_tcp1"]
    rep["rcvbuf_drops"] = rep["rcvbuf_drops_tcp1"]
    rep["errors"] = errors
    return rep


def medians(reps):
    keys = sorted({k for r in reps for k, v in r.items() if isinstance(v, (int, float))})
    out = {}
    for k in keys:
        vals = [r[k] for r in reps if isinstance(r.get(k), (int, float))]
        out[k] = statistics.median(vals) if vals else None
    return out


def load(raw):
    config = {}
    for line in (raw / "config").read_text().splitlines():
        key, _, value = line.partition("=")
        config[key] = value
    for key in ("quick", "reps", "duration", "pings", "tun_mtu", "clk_tck", "cpus"):
        config[key] = int(config[key])
    config["idle_before"] = int(config["idle_before"]) if config.get("idle_before") else None
    rows = {}
    for line in (raw / "rows").read_text().splitlines():
        row_id, label = line.split("\t", 1)
        row_dir = raw / row_id
        row = {"label": label, "error": None, "relay_pids": [], "reps": [], "median": {}}
        try:  # the tunnel device's MTU, for rows that do not use fouctl's (vxlan)
            row["mtu"] = int((row_dir / "mtu").read_text())
        except (OSError, ValueError):
            pass
        if (row_dir / "error").exists():
            row["error"] = (row_dir / "error").read_text().strip()
        else:
            try:
                row["relay_pids"] = (row_dir / "relays").read_text().split()
            except OSError:
                pass
            for n in range(1, config["reps"] + 1):
                if (row_dir / str(n)).is_dir():
                    row["reps"].append(parse_rep(row_dir / str(n), config, row["relay_pids"]))
            row["median"] = medians(row["reps"])
        rows[row_id] = row
    return config, rows


def fmt(value, decimals):
    if value is None:
        return "n/a"
    return f"{value:.{decimals}f}"


def print_table(config, rows):
    label_w = max([len("configuration")] + [len(r["label"]) for r in rows.values()])
    head = ["configuration".ljust(label_w)] + [h for _, h, _ in COLUMNS]
    print("  ".join(head))
    for row_id, row in rows.items():
        cells = [row["label"].ljust(label_w)]
        if row["error"] is not None:
            print(f"{cells[0]}  n/a ({row['error']})")
            continue
        for key, header, decimals in COLUMNS:
            value = row["median"].get(key)
            text = fmt(value, decimals)
            if row_id in KERNEL_ROWS and key == "relay_cpu_pct":
                text = "-"  # no relay process: the kernel does the work in softirq
            cells.append(text.rjust(len(header)))
        print("  ".join(cells))


def ratio(rows, num, den, metric):
    a, b = rows.get(num), rows.get(den)
    if not a or not b:
        return None
    x, y = a["median"].get(metric), b["median"].get(metric)
    if x is None or y is None or y == 0:
        return None
    return x / y


def ratios(rows):
    out = {}
    for num, den, metrics in RATIOS:
        if num not in rows or den not in rows:
            continue
        out[f"{num}/{den}"] = {m: ratio(rows, num, den, m) for m in metrics}
    return out


def target(rows):
    """The issue's target, evaluated: met is None when the ratio could not be computed."""
    out = dict(TARGET, ratio=ratio(rows, TARGET["row"], TARGET["versus"], TARGET["metric"]),
               met=None, why=None)
    if out["ratio"] is not None:
        out["met"] = out["ratio"] >= TARGET["at_least"]
        return out
    for row_id in (TARGET["row"], TARGET["versus"]):
        row = rows.get(row_id)
        if row is None:
            out["why"] = f"--only left out the {row_id} row"
        elif row["error"] is not None:
            out["why"] = f"{row['label']}: {row['error']}"
        else:
            continue
        break
    else:
        out["why"] = "no TCP 1-stream result in one of the two rows"
    return out


def print_ratios(rows, computed):
    print()
    print("ratios of the medians above (same run):")
    names = {f"{n}/{d}": f"{RATIO_NAMES[n]} / {RATIO_NAMES[d]}" for n, d, _ in RATIOS}
    width = max((len(names[k]) for k in computed), default=0)
    if not computed:
        print("  none: every ratio needs two of the rows measured")
    previous_den = None
    for key, metrics in computed.items():
        den = key.split("/", 1)[1]
        if previous_den == "veth" and den != "veth":
            print()  # the rows against direct veth, then the rows against each other
        previous_den = den
        parts = []
        for metric, value in metrics.items():
            parts.append(f"{METRIC_NAMES[metric]} {'n/a' if value is None else f'{value:.3g}'}")
        print(f"  {names[key].ljust(width)}  " + ", ".join(parts))


def print_target(goal):
    print()
    text = (f"target (the issue): {RATIO_NAMES[goal['row']]} >= {goal['at_least']}x "
            f"{RATIO_NAMES[goal['versus']]} for one TCP stream: ")
    if goal["met"] is None:
        print(text + f"not evaluated ({goal['why']})")
    else:
        print(text + f"{goal['ratio']:.3g}x, {'met' if goal['met'] else 'not met'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    config, rows = load(args.raw)
    computed = ratios(rows)
    goal = target(rows)

    # The file first, so a reader that stops early (| head) cannot cost it.
    if args.json:
        doc = {"config": config, "rows": rows, "ratios": computed, "target": goal}
        try:
            args.json.write_text(json.dumps(doc, indent=2) + "\n")
        except OSError as e:
            print(f"relay-bench: cannot write '{args.json}': {e.strerror}", file=sys.stderr)
            return 1

    reps = config["reps"]
    print(f"relay-bench: kernel {config['kernel']}, {config['cpus']} CPUs, {config['iperf3']}, "
          f"{config['socat'] or 'no socat'}")
    print(f"medians of {reps} repetition{'s' if reps != 1 else ''}"
          f"{' (--quick)' if config['quick'] else ''}; iperf3 -t {config['duration']}; "
          f"{config['pings']} pings at -i 0.01; UDP: -l 64 -b 0, received pps at the server")
    print(f"tunnel rows: 172.30.0.1 -> 172.30.0.2 over UDP {config.get('udp_port', '9090')}; "
          f"socat's TUN MTU set to {config['tun_mtu']} (fouctl's default); "
          "socat -ddd logs to /dev/null")
    vxlan = rows.get("vxlan")
    if vxlan and vxlan["error"] is None:
        print(f"kernel VXLAN: UDP {config.get('vxlan_port', '4789')}, MTU {vxlan.get('mtu', '?')} "
              "(the kernel's default: 50 bytes of headers, inner Ethernet included)")
    print("relay CPU (% of one core, both sides) and UDP rcvbuf drops (both sides): "
          "during the TCP 1-stream test; in-kernel rows have no relay process ('-')")
    idle = config["idle_before"]
    if idle is not None:
        print(f"machine idle before the run: {idle}% of {config['cpus']} CPUs"
              + ("" if idle >= 90 else " -- other load is running; expect noisy numbers"))
    print()
    print_table(config, rows)
    print_ratios(rows, computed)
    print_target(goal)

    notes = []
    for row_id, row in rows.items():
        for n, rep in enumerate(row["reps"], 1):
            for err in rep["errors"]:
                notes.append(f"  {row['label']}, repetition {n}: {err}")
        if row["error"] is None and row["reps"] and not row["relay_pids"] \
                and row_id not in KERNEL_ROWS:
            notes.append(f"  {row['label']}: no relay process found, so no CPU figure")
    if notes:
        print()
        print("measurements that failed (left out of the medians):")
        print("\n".join(notes))

    return 0


if __name__ == "__main__":
    sys.exit(main())
