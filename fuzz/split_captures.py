#!/usr/bin/env python3
"""Splits capture files into seed inputs for each fuzz target (fuzz/targets/*.cpp).

    fuzz/split_captures.py OUTDIR [CAPTURE OR FOLDER ...]

With no captures named it reads ../shared/captures/ and captures/ (every .pcap and .pcapng
below them). Each target gets OUTDIR/TARGET/ with one file per seed, in the input format the
target's comment describes. The committed corpus (fuzz/corpus/) is what `libFuzzer -merge=1`
kept of these seeds plus what the fuzzer found, so this script is only needed to start over
or to add captures:

    fuzz/split_captures.py /tmp/seeds
    build-fuzz/fuzz-http -merge=1 fuzz/corpus/http /tmp/seeds/http
"""
import hashlib
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HTTP_PORTS = {80, 8080, 3128, 8000, 8008, 8888}
DNS_PORTS = {53, 5353, 5355}
METHODS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"CONNECT ", b"HTTP/1.")
MAX_FILE_SEED = 8 * 1024  # pcap/pcapng seeds: the first 8 KiB of a file (the headers and a few records)
FRAMES_PER_SEED = 4


# --- reading captures (just enough of pcap and pcapng to get the packets out) ---

def read_pcap(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return []
    link = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    out, pos = [], 24
    while pos + 16 <= len(data):
        caplen = struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
        if caplen > 262144 or pos + 16 + caplen > len(data):
            break
        out.append((link, data[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    return out


def read_pcapng(data):
    out, links, pos, e = [], [], 0, "<"
    while pos + 12 <= len(data):
        btype_raw = data[pos:pos + 4]
        if btype_raw == b"\x0a\x0d\x0d\x0a":
            e = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        btype, blen = struct.unpack(e + "II", data[pos:pos + 8])
        if blen < 12 or pos + blen > len(data):
            break
        body = data[pos + 8:pos + blen - 4]
        if btype == 1 and len(body) >= 8:  # interface description
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:  # enhanced packet
            iface, _, _, caplen = struct.unpack(e + "IIII", body[:16])
            if iface < len(links):
                out.append((links[iface], body[20:20 + caplen]))
        elif btype == 3 and len(body) >= 4 and links:  # simple packet
            out.append((links[0], body[4:]))
        pos += blen
    return out


def read_capture(path):
    with open(path, "rb") as f:
        data = f.read()
    return data, (read_pcapng(data) if data[:4] == b"\x0a\x0d\x0d\x0a" else read_pcap(data))


# --- taking packets apart ---

def network_layer(link, frame):
    """Returns (ethertype, bytes) of what the link layer carries, or (None, None)."""
    if link == 1:
        pos, etype = 12, None
        while pos + 2 <= len(frame):
            etype = struct.unpack(">H", frame[pos:pos + 2])[0]
            if etype in (0x8100, 0x88A8):
                pos += 4
                continue
            return etype, frame[pos + 2:]
        return None, None
    if link == 113 and len(frame) >= 16:
        return struct.unpack(">H", frame[14:16])[0], frame[16:]
    if link == 276 and len(frame) >= 20:
        return struct.unpack(">H", frame[0:2])[0], frame[20:]
    if link in (0, 108) and len(frame) >= 4:
        ip = frame[4:]
    elif link in (101, 12):
        ip = frame
    else:
        return None, None
    if ip and ip[0] >> 4 == 4:
        return 0x0800, ip
    if ip and ip[0] >> 4 == 6:
        return 0x86DD, ip
    return None, None


def transport(etype, ip):
    """Returns (proto, src, dst, l4 bytes) for unfragmented IPv4/IPv6, else None."""
    if etype == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        if struct.unpack(">H", ip[6:8])[0] & 0x3FFF:
            return None  # a fragment
        return ip[9], ip[12:16], ip[16:20], ip[ihl:max(ihl, min(total, len(ip)))]
    if etype == 0x86DD and len(ip) >= 40:
        plen = struct.unpack(">H", ip[4:6])[0]
        return ip[6], ip[8:24], ip[24:40], ip[40:40 + plen]
    return None


def len16(chunks):
    return b"".join(struct.pack(">H", min(len(c), 0xFFFF)) + c[:0xFFFF] for c in chunks)


def segments(stream_events, limit=2000):
    """[(from_client, payload, fin)] -> the TcpConversation segment format."""
    out = bytearray()
    for from_client, payload, fin in stream_events:
        pieces = [payload[i:i + 255] for i in range(0, len(payload), 255)] or [b""]
        for n, piece in enumerate(pieces):
            last = n == len(pieces) - 1
            control = (0 if from_client else 1) | ((1 << 1) if fin and last else 0)
            out += bytes([control, len(piece)]) + piece
        if len(out) > limit:
            break
    return bytes(out)


class Seeds:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = {}

    def add(self, target, data):
        if not data:
            return
        d = os.path.join(self.outdir, target)
        os.makedirs(d, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        self.count[target] = self.count.get(target, 0) + 1


def ws_messages(stream):
    """Unmasked messages [(opcode, payload)] of a WebSocket byte stream (single frames only)."""
    out, pos = [], 0
    while pos + 2 <= len(stream):
        b0, b1 = stream[pos], stream[pos + 1]
        n, hl = b1 & 0x7F, 2
        if n == 126:
            if pos + 4 > len(stream):
                break
            n, hl = struct.unpack(">H", stream[pos + 2:pos + 4])[0], 4
        elif n == 127:
            if pos + 10 > len(stream):
                break
            n, hl = struct.unpack(">Q", stream[pos + 2:pos + 10])[0], 10
        mask = stream[pos + hl:pos + hl + 4] if b1 & 0x80 else None
        hl += 4 if mask else 0
        payload = stream[pos + hl:pos + hl + n]
        if len(payload) < n:
            break
        if mask:
            payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        if b0 & 0x80 and not b0 & 0x40:
            out.append((b0 & 15, payload))
        pos += hl + n
    return out


def http_bodies(stream):
    """Bodies with a Content-Length in an HTTP byte stream."""
    out = []
    for m in re.finditer(rb"\r\n\r\n", stream):
        head = stream[max(0, stream.rfind(b"HTTP/1.", 0, m.start()) - 400):m.start()]
        cl = re.search(rb"(?i)content-length:\s*(\d+)", head.split(b"\r\n\r\n")[-1])
        if cl:
            n = int(cl.group(1))
            if 0 < n <= 4096:
                out.append(stream[m.end():m.end() + n])
    return out


def split(path, seeds):
    data, packets = read_capture(path)
    seeds.add("pcapng" if data[:4] == b"\x0a\x0d\x0d\x0a" else "pcap", data[:MAX_FILE_SEED])
    by_link, ip4, ip6, dns = {}, [], [], []
    conns = {}
    for link, frame in packets:
        by_link.setdefault(link, []).append(frame)
        etype, ip = network_layer(link, frame)
        if etype == 0x0800:
            ip4.append(ip)
        elif etype == 0x86DD:
            ip6.append(ip)
        t = transport(etype, ip) if ip else None
        if not t:
            continue
        proto, src, dst, l4 = t
        if proto == 17 and len(l4) >= 8:
            sport, dport = struct.unpack(">HH", l4[:4])
            if sport in DNS_PORTS or dport in DNS_PORTS:
                dns.append((dport in DNS_PORTS, l4[8:]))
        elif proto == 6 and len(l4) >= 20:
            sport, dport = struct.unpack(">HH", l4[:4])
            flags, off = l4[13], (l4[12] >> 4) * 4
            key = tuple(sorted([(src, sport), (dst, dport)]))
            c = conns.setdefault(key, {"client": None, "events": []})
            if flags & 0x02 and not flags & 0x10:
                c["client"] = (src, sport)
            if c["client"] is None:
                c["client"] = (src, sport) if sport > dport else (dst, dport)
            payload = l4[off:]
            if payload or flags & 0x01:
                c["events"].append(((src, sport) == c["client"], payload, bool(flags & 0x01)))

    names = {1: "eth", 113: "sll", 276: "sll2"}
    for link, frames in by_link.items():
        if link in names:
            for i in range(0, min(len(frames), 64), FRAMES_PER_SEED):
                seeds.add(names[link], len16(frames[i:i + FRAMES_PER_SEED]))
    for target, pkts in (("ipv4", ip4), ("ipv6", ip6)):
        for i in range(0, min(len(pkts), 64), FRAMES_PER_SEED):
            seeds.add(target, len16(pkts[i:i + FRAMES_PER_SEED]))
    for i in range(0, len(dns), FRAMES_PER_SEED):
        seeds.add("dns", b"".join(struct.pack(">H", (0 if q else 0x8000) | min(len(m), 0x7FFF)) + m[:0x7FFF]
                                  for q, m in dns[i:i + FRAMES_PER_SEED]))

    for key, c in list(conns.items())[:40]:
        events = c["events"]
        if not events:
            continue
        server_port = key[0][1] if key[1] == c["client"] else key[1][1]
        client = b"".join(p for fc, p, _ in events if fc)
        server = b"".join(p for fc, p, _ in events if not fc)
        port_pick = 0 if server_port in HTTP_PORTS else 1 if server_port in DNS_PORTS else 2 if server_port == 3000 else 3
        seeds.add("tcp", bytes([port_pick]) + segments(events))
        if client.startswith(METHODS) or server.startswith(METHODS):
            seeds.add("http", segments(events))
            for m in re.finditer(rb"(?:GET|POST|PUT|HEAD|DELETE|OPTIONS) [^\r\n]*\r\n", client):
                seeds.add("http_parser", client[m.start():m.start() + 2048])
        if re.search(rb"(?i)upgrade:\s*websocket", client) and b"\r\n\r\n" in client and b"\r\n\r\n" in server:
            deflate = b"permessage-deflate" in server.split(b"\r\n\r\n")[0]
            sio = b"/socket.io/" in client.split(b"\r\n")[0]
            cpos, spos = client.index(b"\r\n\r\n") + 4, server.index(b"\r\n\r\n") + 4
            cws, sws = client[cpos:], server[spos:]
            mode = (1 if deflate else 0) | (2 if sio else 0)
            seeds.add("websocket", bytes([mode]) + segments([(True, cws[:800], False), (False, sws[:800], False)]))
            seeds.add("websocket_frame", bytes([1 | (2 if deflate else 0)]) + cws[:2048])
            seeds.add("websocket_frame", bytes([2 if deflate else 0]) + sws[:2048])
            if sio:
                ev = []
                for from_client, ws in ((True, cws), (False, sws)):
                    for op, payload in ws_messages(ws)[:32]:
                        if op in (1, 2) and len(payload) <= 255:
                            ev.append(bytes([(0 if from_client else 1) | (2 if op == 2 else 0), len(payload)]) + payload)
                            seeds.add("socketio_codec", bytes([4]) + bytes([1 if op == 2 else 0, len(payload)]) + payload)
                            text = payload.decode("latin-1")
                            if text.startswith("4"):
                                seeds.add("socketio_codec", bytes([2]) + payload[1:])
                                j = re.sub(r"^\d+[-]?(/[^,]*,)?\d*", "", text[1:])
                                seeds.add("socketio_codec", bytes([0]) + j.encode("latin-1"))
                            if text.startswith("0"):
                                seeds.add("socketio_codec", bytes([3]) + payload[1:])
                seeds.add("engineio", bytes([0]) + b"".join(ev[:24]))
        if b"/socket.io/" in client and b"transport=polling" in client:
            ev = []
            for from_client, stream in ((True, client), (False, server)):
                for body in http_bodies(stream)[:16]:
                    if len(body) <= 255:
                        ev.append(bytes([0 if from_client else 1, len(body)]) + body)
                        seeds.add("socketio_codec", bytes([1]) + body)
            seeds.add("engineio", bytes([1]) + b"".join(ev))


# Display filters: what the docs, tests and labs use, and the corners of the grammar.
FILTERS = [
    "tcp", "ip.src == 10.0.0.1", "tcp.port == 80 && http", "http.request.method == \"GET\"",
    "!(udp.port == 53) || dns.qry.name contains \"example\"", "ip.addr == 10.0.0.0/8",
    "frame.len > 60 and frame.len <= 1500", "tcp.flags.syn == 1 && tcp.flags.ack == 0",
    "dns.flags.response == 0", "ipv6.addr == ::1", "eth.addr == ff:ff:ff:ff:ff:ff",
    "http.host matches \"^lab\"", "tcp.len in {1 2 3 100..200}", "socketio", "engineio.packet.type == 4",
    "websocket.opcode == 1", "frame contains 47:45:54", "tcp.stream eq 0", "not ip", "ip.ttl != 64",
    "http.request.uri contains \"socket.io\"", "_ws.malformed", "tcp.srcport >= 1024 and tcp.dstport < 1024",
    "ip.src == 10.0.0.1 and (tcp or udp) xor icmp", "frame.time_delta > 0.5", "tcp.payload[0:3] == 47:45:54",
    "dns.qry.name == \"example.com\"", "udp.length == 8", "ip.flags.df == 1", "http.response.code == 101",
]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    seeds = Seeds(sys.argv[1])
    roots = sys.argv[2:] or [os.path.join(ROOT, "..", "shared", "captures"), os.path.join(ROOT, "captures")]
    files = []
    for r in roots:
        if os.path.isfile(r):
            files.append(r)
        for dirpath, _, names in os.walk(r):
            files += [os.path.join(dirpath, n) for n in sorted(names) if n.endswith((".pcap", ".pcapng"))]
    for path in sorted(files):
        try:
            split(path, seeds)
        except (struct.error, ValueError, IndexError) as e:
            print(f"{path}: skipped ({e})", file=sys.stderr)
    for f in FILTERS:
        seeds.add("filter", f.encode())
    for target in sorted(seeds.count):
        print(f"{target}: {seeds.count[target]} seeds")


if __name__ == "__main__":
    main()
