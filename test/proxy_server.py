#!/usr/bin/python3
"""test/proxy_server.py — futurl's own small forward proxy for tests.

HTTP/1.1, loopback only: it forwards absolute-form requests
("GET http://127.0.0.1:PORT/path HTTP/1.1") and tunnels CONNECT, to
127.0.0.1 or localhost alone (anything else: 403). It records what each
request brought for the proxy (method, target, Proxy-Authorization) and
removes the Proxy-* headers before forwarding, as a proxy must, so an
origin that echoes headers shows only what the client sent it directly.

With --user U:P it answers 407 (Proxy-Authenticate: Basic) to a request
without those credentials. With --tls CERT KEY it speaks TLS to its
clients (an HTTPS proxy). Standard library only.

Usage: proxy_server.py --port 0 [--user U:P] [--tls CERT KEY]
The bound port is printed on stdout as "port N". SIGTERM stops it.
Control (origin-form, never forwarded, never recorded):
  GET /_log    -> [{"method", "target", "proxy_authorization"}, ...]
  GET /_reset  -> clears the log
"""

import argparse
import base64
import json
import select
import signal
import socket
import socketserver
import ssl
import sys
import threading
import urllib.parse

MAX_HEAD = 1 << 16
MAX_BODY = 16 << 20
IO_TIMEOUT_S = 30

log = []
log_lock = threading.Lock()
required_auth = None  # "Basic ..." when --user is given


def read_head(rfile):
    line = rfile.readline(MAX_HEAD)
    if not line:
        return None, None
    headers, size = [], len(line)
    while True:
        h = rfile.readline(MAX_HEAD)
        size += len(h)
        if size > MAX_HEAD:
            raise ValueError("head too large")
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    return line.decode("latin-1").rstrip("\r\n"), headers


def header(headers, name):
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


def reply(wfile, status, reason, body=b"", extra=()):
    lines = ["HTTP/1.1 %d %s" % (status, reason), "Content-Length: %d" % len(body),
             "Content-Type: application/json"] + ["%s: %s" % kv for kv in extra]
    wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    wfile.flush()


def loopback(host):
    return host in ("127.0.0.1", "localhost")


def pump(a, b):
    """Copy bytes both ways until one side closes."""
    socks = [a, b]
    while True:
        r, _, _ = select.select(socks, [], [], IO_TIMEOUT_S)
        if not r:
            return
        for s in r:
            try:
                data = s.recv(65536)
            except OSError:
                return
            if not data:
                return
            (b if s is a else a).sendall(data)


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        self.request.settimeout(IO_TIMEOUT_S)
        try:
            while self.one():
                pass
        except (OSError, ValueError):
            pass

    def one(self):
        line, headers = read_head(self.rfile)
        if line is None:
            return False
        method, target, _ = line.split(" ", 2)
        if target.startswith("/"):
            return self.control(target)
        auth = header(headers, "Proxy-Authorization")
        with log_lock:
            log.append({"method": method, "target": target, "proxy_authorization": auth})
        length = int(header(headers, "Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        body = self.rfile.read(length) if length else b""
        if required_auth is not None and auth != required_auth:
            reply(self.wfile, 407, "Proxy Authentication Required", b"{}",
                  [("Proxy-Authenticate", 'Basic realm="futurl-test"')])
            return True
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            if not loopback(host):
                reply(self.wfile, 403, "Forbidden", b"{}")
                return True
            upstream = socket.create_connection((host, int(port)), timeout=IO_TIMEOUT_S)
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            pump(self.request, upstream)
            upstream.close()
            return False
        u = urllib.parse.urlsplit(target)
        if u.scheme != "http" or not loopback(u.hostname or ""):
            reply(self.wfile, 403, "Forbidden", b"{}")
            return True
        path = (u.path or "/") + ("?" + u.query if u.query else "")
        out = ["%s %s HTTP/1.1" % (method, path)]
        for k, v in headers:
            if k.lower().startswith("proxy-") or k.lower() == "connection":
                continue
            out.append("%s: %s" % (k, v))
        out.append("Connection: close")
        upstream = socket.create_connection((u.hostname, u.port or 80),
                                            timeout=IO_TIMEOUT_S)
        upstream.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
        # Relay the origin's response as it is, then end this connection.
        while True:
            data = upstream.recv(65536)
            if not data:
                break
            self.wfile.write(data)
        self.wfile.flush()
        upstream.close()
        return False

    def control(self, target):
        if target == "/_reset":
            with log_lock:
                log.clear()
            reply(self.wfile, 200, "OK", b"[]")
        elif target == "/_log":
            with log_lock:
                body = json.dumps(log).encode()
            reply(self.wfile, 200, "OK", body)
        else:
            reply(self.wfile, 404, "Not Found", b"{}")
        return True


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


def main():
    global required_auth
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user", help="U:P: require these credentials (407 otherwise)")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    opts = parser.parse_args()
    if opts.user:
        required_auth = "Basic " + base64.b64encode(opts.user.encode()).decode()
    server = Server(("127.0.0.1", opts.port), Handler)
    if opts.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opts.tls[0], opts.tls[1])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("port %d" % server.server_address[1], flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    while not done.wait(1.0):
        pass
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
