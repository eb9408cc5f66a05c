"""Asks a DNS server for a name's A records and prints them: exit 0 when there is one.

usage: dns-probe.py SERVER NAME (run inside the node: hack/node checks cluster DNS with it)
"""
import random
import socket
import struct
import sys


def query(server: str, name: str) -> list[str]:
    ident = random.randrange(1 << 16)
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(packet, (server, 53))
        answer = s.recv(4096)
    got, flags, _, count = struct.unpack(">HHHH", answer[:8])
    if got != ident or flags & 0xF:
        return []
    at = 12 + len(question) + 4
    addresses = []
    for _ in range(count):
        while answer[at] not in (0,) and answer[at] < 0xC0:
            at += answer[at] + 1
        at += 2 if answer[at] >= 0xC0 else 1
        kind, _, _, length = struct.unpack(">HHIH", answer[at : at + 10])
        at += 10
        if kind == 1 and length == 4:
            addresses.append(socket.inet_ntoa(answer[at : at + 4]))
        at += length
    return addresses


if __name__ == "__main__":
    found = query(sys.argv[1], sys.argv[2])
    print("\n".join(found))
    sys.exit(0 if found else 1)
