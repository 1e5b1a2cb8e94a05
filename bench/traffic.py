#!/usr/bin/env python3
"""Traffic generators for bench/record.sh: real sockets on the loopback interface only.

    traffic.py http-server PORT SITE_DIR   HTTP/1.1 keep-alive server on 127.0.0.1 and ::1
    traffic.py make-site SITE_DIR          writes the pages and objects the server serves
    traffic.py bulk PORT BYTES [SEED]      one bulk TCP transfer from 127.0.0.1:PORT (ftp-data)
    traffic.py dns PORT QUERIES [SEED]     DNS queries and answers over 127.0.0.1
    traffic.py syslog PORT MESSAGES [SEED] one-way syslog messages over ::1
    traffic.py ws-server PORT CMD...       listens on 127.0.0.1:PORT and [::1]:PORT, then runs
                                           CMD with the two listening sockets' fds appended
                                           (the WebSocket chat server of bench/ws_traffic.js)

Loopback's MTU is 65536 and its segmentation offload would otherwise put up to 64 KiB in one
captured packet. To get Ethernet-sized segments like a real network's, every TCP socket here
sets TCP_MAXSEG 1460 and TCP_NODELAY, and writes at most one segment's worth (1448 bytes with
timestamps) per send() with MSG_EOR, so each write leaves as one packet. The interfaces are
never changed.
"""
import http.server
import os
import random
import signal
import socket
import struct
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
# Bulk TCP: an FTP data connection in active mode (the sender's port is 20, ftp-data), one
# file of random bytes, like a compressed archive.

def bulk(port, total, seed):
    rnd = random.Random(seed)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tune(srv)
    srv.bind((V4, 0))                 # the client's data port
    srv.listen(1)
    pid = os.fork()
    if pid == 0:                      # receiver: the FTP client storing the file
        conn, _ = srv.accept()
        srv.close()
        while conn.recv(1 << 18):
            pass
        conn.close()
        os._exit(0)
    data_port = srv.getsockname()[1]
    srv.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tune(s)
    s.bind((V4, port))
    s.connect((V4, data_port))
    block = bytes(rnd.randrange(256) for _ in range(SEG * 64))
    sent = 0
    while sent < total:
        n = min(len(block), total - sent)
        send_segments(s, block[:n])
        sent += n
    s.close()
    os.waitpid(pid, 0)


# ---------------------------------------------------------------------------------------------
# DNS over UDP: a client with up to 32 queries outstanding and a server answering them.

DOMAINS = ["example.test", "wirelab.test", "cdn.example.test", "api.lab.test", "chat.lab.test",
           "static.example.test", "mail.example.test", "metrics.lab.test"]
HOSTS = ["www", "api", "img", "edge", "ws", "auth", "node", "db", "cache", "files"]


def dns_name(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


OPT = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)   # EDNS(0), 1232-byte UDP payload


def dns_query(rnd, qid):
    name = "%s%d.%s" % (rnd.choice(HOSTS), rnd.randrange(100), rnd.choice(DOMAINS))
    qtype = rnd.choice((1, 1, 1, 28, 28, 16, 5, 15))        # A, AAAA, TXT, CNAME, MX
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1) + dns_name(name) + \
        struct.pack("!HH", qtype, 1) + OPT


def dns_answer(rnd, query):
    qid = struct.unpack("!H", query[:2])[0]
    end = 12
    while query[end] != 0:
        end += query[end] + 1
    question = query[12:end + 5]
    qtype = struct.unpack("!H", query[end + 1:end + 3])[0]
    if rnd.random() < 0.05:           # NXDOMAIN
        return struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 1) + question + OPT
    ttl = rnd.choice((30, 60, 300, 3600))
    records = []
    if qtype == 1:
        for _ in range(rnd.randrange(1, 9)):
            records.append((1, bytes((192, 0, 2, rnd.randrange(1, 255)))))
    elif qtype == 28:
        for _ in range(rnd.randrange(1, 5)):
            records.append((28, bytes.fromhex("20010db8000000000000000000000000")[:14] +
                            struct.pack("!H", rnd.randrange(1, 65535))))
    elif qtype == 16:
        for _ in range(rnd.randrange(1, 3)):
            text = ("v=wirelab1 k=%032x " % rnd.getrandbits(128)) * rnd.randrange(1, 6)
            text = text.encode()[:255]
            records.append((16, bytes([len(text)]) + text))
    elif qtype == 5:
        records.append((5, dns_name("edge%d.%s" % (rnd.randrange(10), rnd.choice(DOMAINS)))))
    else:
        for pref in range(rnd.randrange(1, 4)):
            records.append((15, struct.pack("!H", 10 * (pref + 1)) +
                            dns_name("mx%d.%s" % (pref, rnd.choice(DOMAINS)))))
    out = struct.pack("!HHHHHH", qid, 0x8180, 1, len(records), 0, 1) + question
    for rtype, rdata in records:
        out += struct.pack("!HHHIH", 0xc00c, rtype, 1, ttl, len(rdata)) + rdata
    return out + OPT


def dns(port, queries, seed):
    rnd = random.Random(seed)
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind((V4, port))
    pid = os.fork()
    if pid == 0:                      # the server
        srv.settimeout(2.0)
        r = random.Random(seed + 1)
        try:
            while True:
                d, addr = srv.recvfrom(2048)
                srv.sendto(dns_answer(r, d), addr)
        except (socket.timeout, IndexError, struct.error):
            pass
        os._exit(0)
    srv.close()
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.connect((V4, port))
    c.settimeout(0.05)
    sent = 0
    while sent < queries:
        burst = min(32, queries - sent)
        for _ in range(burst):
            c.send(dns_query(rnd, rnd.getrandbits(16)))
            sent += 1
        for _ in range(burst):
            try:
                c.recv(2048)
            except socket.timeout:
                break
    time.sleep(0.05)                  # the last answers
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)


# ---------------------------------------------------------------------------------------------
# Syslog over UDP and IPv6: one-way messages of 80..1200 bytes, like an application's log.

def syslog(port, count, seed):
    rnd = random.Random(seed)
    rx = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    rx.bind((V6, port))
    rx.setblocking(False)
    tx = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    tx.connect((V6, port))
    apps = [("wirelab-api", 2101), ("chat-server", 2230), ("sshd", 911), ("cron", 455)]
    words = ["user=%d", "room=lab%d", "latency_ms=%d", "bytes=%d", "status=%d", "conn=%d"]
    stamp = time.strftime("%b %e %H:%M:%S").encode()
    for i in range(count):
        app, pid = rnd.choice(apps)
        size = rnd.randrange(80, 1201)
        head = b"<%d>%s wirelab-lab %s[%d]: event %d" % (
            rnd.choice((134, 134, 134, 131, 30, 86)), stamp, app.encode(), pid, i)
        body = b""
        while len(head) + len(body) < size:
            body += b" " + (rnd.choice(words) % rnd.randrange(1000)).encode()
        tx.send((head + body)[:size])
        if i % 64 == 63:
            try:
                while True:
                    rx.recv(2048)
            except BlockingIOError:
                pass
    tx.close()
    rx.close()


# ---------------------------------------------------------------------------------------------
# WebSocket: Node.js cannot set TCP_MAXSEG, so the listening sockets are made here, tuned like
# the HTTP server's, and handed to the Node.js chat server (bench/ws_traffic.js) by number.

def ws_server(port, cmd):
    fds = []
    for family, host in ((socket.AF_INET, V4), (socket.AF_INET6, V6)):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        tune(s)                       # accepted connections inherit it: the SYN-ACK says 1460
        s.bind((host, port))
        s.listen(128)
        s.set_inheritable(True)
        fds.append(s.detach())
    os.execvp(cmd[0], cmd + [str(fd) for fd in fds])


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    mode = argv[1]
    seed = int(argv[4]) if len(argv) > 4 and mode != "ws-server" else 1
    if mode == "make-site":
        make_site(argv[2])
    elif mode == "http-server":
        http_server(int(argv[2]), argv[3])
    elif mode == "bulk":
        bulk(int(argv[2]), int(argv[3]), seed)
    elif mode == "dns":
        dns(int(argv[2]), int(argv[3]), seed)
    elif mode == "syslog":
        syslog(int(argv[2]), int(argv[3]), seed)
    elif mode == "ws-server" and len(argv) > 3:
        ws_server(int(argv[2]), argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
