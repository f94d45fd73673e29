#!/usr/bin/env python3
"""control_send.py PATH REQUEST: sends REQUEST to a relay's control socket and prints
the answer; exit 3 if connecting is refused for lack of permission."""
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except PermissionError as e:
    print(f"connect: {e}")
    sys.exit(3)
s.send(sys.argv[2].encode())
print(s.recv(65536).decode())
