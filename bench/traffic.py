#!/usr/bin/env python3
"""Traffic generators for bench/record.sh: real sockets on the loopback interface only.

    traffic.py http-server PORT SITE_DIR   HTTP/1.1 keep-alive server on 127.0.0.1 and ::1
    traffic.py make-site SITE_DIR          writes the pages and objects the server serves
    traffic.py bulk PORT BYTES [SEED]      one bulk TCP transfer, 127.0.0.1 -> 127.0.0.1
    traffic.py udp PORT QUERIES [SEED]     DNS-like query/response exchange over 127.0.0.1
    traffic.py udp-stream PORT DATAGRAMS [SEED]  one-way telemetry stream over ::1

Loopback's MTU is 65536 and its segmentation offload would otherwise put up to 64 KiB in one
captured packet. To get Ethernet-sized segments like a real network's, every TCP socket here
sets TCP_MAXSEG 1460 and TCP_NODELAY, and writes at most one segment's worth (1448 bytes with
timestamps) per send() with MSG_EOR, so each write leaves as one packet. The interfaces are
never changed.
"""
import http.server
import os
import random
import socket
import sys
import threading
import time

MSS = 1460            # option value; the payload per segment is 1448 with TCP timestamps
SEG = 1448
V4 = "127.0.0.1"
V6 = "::1"


def tune(sock):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, MSS)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def send_segments(sock, data):
    view = memoryview(data)
    for i in range(0, len(view), SEG):
        # MSG_EOR: the kernel never appends later data to this segment, even when the
        # receiver's window is closed and segments queue up (they would merge into 64 KiB ones).
        sock.sendall(view[i:i + SEG], socket.MSG_EOR)


# ---------------------------------------------------------------------------------------------
# HTTP

def make_site(root):
    """Pages and objects of the sizes a web page pulls: HTML, CSS, JS, JSON, images."""
    rnd = random.Random(1)
    os.makedirs(os.path.join(root, "img"), exist_ok=True)
    os.makedirs(os.path.join(root, "api"), exist_ok=True)

    def text(n):
        words = ["packet", "frame", "segment", "datagram", "layer", "socket", "header",
                 "payload", "checksum", "window", "stream", "port", "address", "route"]
        out = []
        size = 0
        while size < n:
            w = rnd.choice(words)
            out.append(w)
            size += len(w) + 1
        return " ".join(out)[:n]

    files = {
        "index.html": "<!doctype html>\n<title>wirelab</title>\n<link rel=stylesheet href=/style.css>\n"
                      "<script src=/app.js></script>\n<p>" + text(1800) + "</p>\n",
        "style.css": "body{font-family:sans-serif}\n" + "".join(
            ".c%d{margin:%dpx}\n" % (i, i % 17) for i in range(400)),
        "app.js": "// wirelab demo\n" + "".join(
            "function f%d(x){return x*%d+%d;}\n" % (i, i, i % 7) for i in range(900)),
        "api/items.json": "[" + ",".join(
            '{"id":%d,"name":"%s","seq":%d}' % (i, text(12), rnd.randrange(1 << 31))
            for i in range(60)) + "]",
        "api/status.json": '{"ok":true,"clients":12,"uptime":3600}',
    }
    for name, body in files.items():
        with open(os.path.join(root, name), "w") as f:
            f.write(body)
    for name, size in (("img/logo.png", 6000), ("img/photo.jpg", 48000), ("img/icon.png", 900)):
        with open(os.path.join(root, name), "wb") as f:
            f.write(bytes(rnd.randrange(256) for _ in range(size)))


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive unless the client asks to close
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        tune(self.connection)

    def copyfile(self, source, outputfile):
        send_segments(self.connection, source.read())

    def log_message(self, *args):
        pass


def http_server(port, root):
    os.chdir(root)

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 128

        def server_bind(self):
            tune(self.socket)         # the SYN-ACK announces MSS 1460
            super().server_bind()

    class V4Server(Server):
        address_family = socket.AF_INET

    class V6Server(Server):
        address_family = socket.AF_INET6

    servers = [V4Server((V4, port), Handler), V6Server((V6, port), Handler)]
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    servers[0].serve_forever()


# ---------------------------------------------------------------------------------------------
# Bulk TCP: a sender and a receiver process, like a file upload.

def bulk(port, total, seed):
    rnd = random.Random(seed)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tune(srv)
    srv.bind((V4, port))
    srv.listen(1)
    pid = os.fork()
    if pid == 0:                      # receiver
        conn, _ = srv.accept()
        srv.close()
        got = 0
        while True:
            d = conn.recv(1 << 18)
            if not d:
                break
            got += len(d)
        conn.sendall(b"OK %d\n" % got)
        conn.close()
        os._exit(0)
    srv.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tune(s)
    s.connect((V4, port))
    block = bytes(rnd.randrange(256) for _ in range(SEG * 64))
    s.sendall(b"PUT /upload/%d %d\n" % (seed, total))
    sent = 0
    while sent < total:
        n = min(len(block), total - sent)
        send_segments(s, block[:n])
        sent += n
    s.shutdown(socket.SHUT_WR)
    s.recv(64)
    s.close()
    os.waitpid(pid, 0)


# ---------------------------------------------------------------------------------------------
# UDP

def udp(port, queries, seed):
    """Request/response over UDP: small queries, larger answers, up to 32 outstanding."""
    rnd = random.Random(seed)
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind((V4, port))
    pid = os.fork()
    if pid == 0:                      # server: answers each query with 60..600 bytes
        srv.settimeout(2.0)
        r = random.Random(seed + 1)
        answers = [bytes(r.randrange(256) for _ in range(n)) for n in range(60, 601, 9)]
        try:
            while True:
                d, addr = srv.recvfrom(2048)
                if d == b"bye":
                    break
                srv.sendto(d[:2] + r.choice(answers), addr)
        except socket.timeout:
            pass
        os._exit(0)
    srv.close()
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.connect((V4, port))
    c.settimeout(0.05)
    names = [b"www.example.test", b"api.wirelab.test", b"cdn.static.test", b"chat.local.test"]
    sent = 0
    while sent < queries:
        burst = min(32, queries - sent)
        for _ in range(burst):
            q = (sent & 0xffff).to_bytes(2, "big") + b"\x01\x00\x00\x01" + rnd.choice(names) + \
                bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 60)))
            c.send(q)
            sent += 1
        for _ in range(burst):
            try:
                c.recv(2048)
            except socket.timeout:
                break
    c.send(b"bye")
    os.waitpid(pid, 0)


def udp_stream(port, count, seed):
    """One-way telemetry over IPv6: 80..1200-byte datagrams, paced in small bursts."""
    rnd = random.Random(seed)
    rx = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    rx.bind((V6, port))
    tx = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    tx.connect((V6, port))
    payloads = [bytes(rnd.randrange(256) for _ in range(n)) for n in range(80, 1201, 16)]
    for i in range(count):
        tx.send(i.to_bytes(4, "big") + rnd.choice(payloads))
        if i % 64 == 63:
            rx.setblocking(False)
            try:
                while True:
                    rx.recv(2048)
            except BlockingIOError:
                pass
    tx.close()
    rx.close()


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    mode = argv[1]
    seed = int(argv[4]) if len(argv) > 4 else 1
    if mode == "make-site":
        make_site(argv[2])
    elif mode == "http-server":
        http_server(int(argv[2]), argv[3])
    elif mode == "bulk":
        bulk(int(argv[2]), int(argv[3]), seed)
    elif mode == "udp":
        udp(int(argv[2]), int(argv[3]), seed)
    elif mode == "udp-stream":
        udp_stream(int(argv[2]), int(argv[3]), seed)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
