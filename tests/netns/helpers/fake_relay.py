#!/usr/bin/env python3
"""A hostile stand-in for a fouctl relay's control socket, for the trust tests.

fake_relay.py ADDR VICTIM_PID [UID]
  ADDR   a path, or @name for an abstract socket
  UID    switch to this uid (and gid 65534) after bind and before listen, so that
         SO_PEERCRED shows it (run as root to plant a socket in root's directory)
Answers "status" with a forged status naming VICTIM_PID and anything else with "ok",
for at most 60 s; prints "listening PID" once ready.
"""
import json
import os
import socket
import sys
import time

addr, victim = sys.argv[1], int(sys.argv[2])
uid = int(sys.argv[3]) if len(sys.argv) > 3 else None
name = os.path.basename(addr.lstrip("@"))
forged = json.dumps({
    "pid": victim, "uid": 0, "name": name, "rx_port": 2001, "tx_port": 2002,
    "peer": "127.0.0.1", "local": "", "mtu": 1472, "framing": "raw", "tun_device": "",
    "peer_port_fixed": False,
    "counters": {"rx_packets": 0, "rx_bytes": 0, "tx_packets": 0, "tx_bytes": 0},
    "drops": {"foreign_source": 0},
}).encode()

s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
if addr.startswith("@"):
    s.bind("\0" + addr[1:])
else:
    s.bind(addr)
    os.chmod(addr, 0o666)
if uid is not None:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(uid)
s.listen(8)
s.settimeout(0.5)
print(f"listening {os.getpid()}", flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    with c:
        c.settimeout(2)
        try:
            req = c.recv(64)
            c.send(forged if req == b"status" else b"ok")
        except OSError:
            pass
