#!/usr/bin/python3
"""test/fault_server.py — futurl's own misbehaving HTTP/1.1 server.

It owns the faults no real server produces on purpose: connections closed
without a reply, resets mid-body, trickled and truncated bodies, stalls,
Retry-After in every shape, huge headers, redirect loops, a flood of new
cookies. It also keeps the
books tests assert on: attempts and peak concurrency per path, and new TCP
connections. Standard library only; raw sockets, so every byte is chosen here.

Usage: fault_server.py --fd N       serve on an inherited listening socket
       fault_server.py --port 0     bind 127.0.0.1 itself (manual use)
       fault_server.py --unix PATH  serve on a Unix domain socket at PATH
The bound port is printed on stdout as "port N" ("unix PATH" for a Unix
socket, once it listens). SIGTERM stops it.

Each path is one fixed behaviour, tuned by query parameters; see BEHAVIOURS
at the end. Control endpoints (never counted):
  GET /_stats?path=/x  -> {"attempts": N, "peak": P, "connections": C}
  GET /_reset          -> clears every counter
"""

import argparse
import email.utils
import gzip
import http
import json
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

MAX_HOLD_S = 60.0          # upper bound of every stall, stream and trickle
MAX_HEAD_BYTES = 1 << 20   # request line + headers
MAX_BODY_BYTES = 64 << 20  # request body read by any behaviour

stopping = threading.Event()  # set on SIGTERM: long behaviours end early


class Stats:
    """Counters since the last /_reset, under one lock.

    A reset starts a new generation. Requests and connections remember the
    generation they were counted in, so work that began before a reset never
    touches the counters after it (no negative in-flight, no stale peaks).
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.generation = 0
        self.attempts = {}
        self.inflight = {}
        self.peak = {}
        self.connections = 0

    def begin(self, path):
        """Count one request on path; returns (attempt number, token for end)."""
        with self.lock:
            n = self.attempts.get(path, 0) + 1
            self.attempts[path] = n
            cur = self.inflight.get(path, 0) + 1
            self.inflight[path] = cur
            self.peak[path] = max(self.peak.get(path, 0), cur)
            return n, self.generation

    def end(self, path, generation):
        with self.lock:
            if generation == self.generation:
                self.inflight[path] -= 1

    def count_connection(self):
        with self.lock:
            self.connections += 1
            return self.generation

    def current_generation(self):
        with self.lock:
            return self.generation

    def reset(self):
        with self.lock:
            self.generation += 1
            self.attempts.clear()
            self.inflight.clear()
            self.peak.clear()
            self.connections = 0

    def snapshot(self, path):
        with self.lock:
            return {"attempts": self.attempts.get(path, 0),
                    "peak": self.peak.get(path, 0),
                    "connections": self.connections}


stats = Stats()


class ClientGone(Exception):
    """The peer closed or reset the connection."""


class Request:
    def __init__(self, method, target, version, headers, body):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # list of (name, value), as received
        self.body = body
        split = urllib.parse.urlsplit(target)
        self.path = split.path
        self.query = split.query
        self.args = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        self.attempt = 0  # set once counted
        self.generation = None  # the stats generation it was counted in
        self.ended = False  # stats.end already called (see b_slot)

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def wants_keep_alive(self):
        conn = (self.header("Connection") or "").lower()
        if self.version == "HTTP/1.1":
            return "close" not in conn
        return "keep-alive" in conn

    def int_arg(self, name, default, lo, hi):
        """Query parameter as an int clamped to [lo, hi]; default if absent or bad."""
        try:
            value = int(self.args.get(name, default))
        except ValueError:
            value = default
        return min(max(value, lo), hi)


class Connection:
    """One accepted socket: buffered reads, exact writes, request parsing."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except OSError as e:
            raise ClientGone() from e
        if not data:
            raise ClientGone()
        self.buf += data

    def read_line(self, limit):
        while b"\r\n" not in self.buf:
            if len(self.buf) > limit:
                raise ValueError("line too long")
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ClientGone() from e

    def read_request(self):
        """Next request, or None when the client closed between requests."""
        try:
            line = self.read_line(MAX_HEAD_BYTES)
            while line == b"":  # tolerate stray CRLF between requests
                line = self.read_line(MAX_HEAD_BYTES)
        except ClientGone:
            return None
        method, target, version = line.decode("latin-1").split(" ", 2)
        headers, size = [], len(line)
        while True:
            line = self.read_line(MAX_HEAD_BYTES)
            size += len(line)
            if size > MAX_HEAD_BYTES:
                raise ValueError("request headers too large")
            if line == b"":
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        req = Request(method, target, version, headers, b"")
        if req.path in UNREAD_BODY:
            return req  # the behaviour decides what becomes of the body
        if (req.header("Expect") or "").lower() == "100-continue":
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        req.body = self._read_body(req)
        return req

    def read_body(self, req):
        """The body of req, if the behaviour wants it after all (UNREAD_BODY)."""
        req.body = self._read_body(req)
        return req.body

    def _read_body(self, req):
        if "chunked" in (req.header("Transfer-Encoding") or "").lower():
            body = b""
            while True:
                size = int(self.read_line(1024).split(b";")[0], 16)
                if size == 0:
                    while self.read_line(MAX_HEAD_BYTES) != b"":  # trailers
                        pass
                    return body
                if len(body) + size > MAX_BODY_BYTES:
                    raise ValueError("request body too large")
                body += self.read_exact(size)
                self.read_line(2)
        length = int(req.header("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise ValueError("request body too large")
        return self.read_exact(length)

    def wait_closed(self, seconds):
        """Hold the connection, discarding input, until the peer closes,
        seconds pass, or the server stops."""
        deadline = time.monotonic() + seconds
        self.sock.settimeout(0.2)
        try:
            while not stopping.is_set() and time.monotonic() < deadline:
                try:
                    if not self.sock.recv(65536):
                        return
                except socket.timeout:
                    continue
                except OSError:
                    return
        finally:
            self.sock.settimeout(None)


def head(status, headers, keep_alive):
    """Status line and headers, ending with the blank line."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = ["HTTP/1.1 %d %s" % (status, reason)]
    lines += ["%s: %s" % kv for kv in headers]
    lines.append("Connection: " + ("keep-alive" if keep_alive else "close"))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(conn, req, status, body=b"", headers=(), content_type="application/json"):
    """A complete response with Content-Length; returns keep-alive."""
    keep = req.wants_keep_alive()
    no_body = status in (204, 304) or 100 <= status < 200
    hdrs = list(headers)
    if not no_body:
        hdrs = [("Content-Type", content_type), ("Content-Length", str(len(body)))] + hdrs
    conn.send(head(status, hdrs, keep) + (b"" if no_body or req.method == "HEAD" else body))
    return keep


def respond_json(conn, req, status, obj, headers=()):
    return respond(conn, req, status, json.dumps(obj).encode() + b"\n", headers)


def sleep(seconds):
    """Sleep, but wake at once when the server stops; False if it stopped."""
    return not stopping.wait(seconds)


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def clean_header_value(value):
    if "\r" in value or "\n" in value:
        raise ValueError("CR/LF in header value")
    return value


# --------------------------------------------------------------- behaviours
# Each takes (conn, req) and returns True to keep the connection for another
# request, False to close it.

def b_ok(conn, req):
    delay = req.int_arg("delay_ms", 0, 0, int(MAX_HOLD_S * 1000))
    if delay and not sleep(delay / 1000):
        return False
    return respond_json(conn, req, 200, {"ok": True, "attempt": req.attempt})


def b_slot(conn, req):
    """As /ok?delay_ms, but the request leaves the in-flight count before its
    reply is sent. A client cannot have read a reply that was not sent, so
    `peak` on this path never counts its next request overlapping this one:
    with /ok the client may start it before this thread gets to stats.end."""
    delay = req.int_arg("delay_ms", 0, 0, int(MAX_HOLD_S * 1000))
    if delay and not sleep(delay / 1000):
        return False
    stats.end(req.path, req.generation)
    req.ended = True
    return respond_json(conn, req, 200, {"ok": True, "attempt": req.attempt})


def b_close(conn, req):
    return False  # request already read: the close is a clean FIN, no reply


def b_reset(conn, req):
    conn.send(head(200, [("Content-Type", "application/octet-stream"),
                         ("Content-Length", "100000")], True) + b"partial")
    # Let the client take the head and the first bytes before the RST, so
    # it sees "reset mid-body" rather than a reset before any reply.
    sleep(0.05)
    # Linger 0 makes close() send RST. Close here: socketserver would first
    # shut down the write side, and the client would see a FIN instead.
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.sock.close()
    return False


def b_trickle(conn, req):
    n = req.int_arg("bytes", 10, 0, 1 << 20)
    interval = req.int_arg("interval_ms", 100, 0, 60000) / 1000
    conn.send(head(200, [("Content-Type", "application/octet-stream"),
                         ("Content-Length", str(n))], req.wants_keep_alive()))
    deadline = time.monotonic() + MAX_HOLD_S
    for _ in range(n):
        if time.monotonic() > deadline or not sleep(interval):
            return False
        conn.send(b"x")
    return req.wants_keep_alive()


def b_stall(conn, req):
    conn.wait_closed(MAX_HOLD_S)
    return False


def b_stall_body(conn, req):
    conn.send(head(200, [("Content-Type", "text/plain"),
                         ("Transfer-Encoding", "chunked")], True) + chunk(b"first chunk\n"))
    conn.wait_closed(MAX_HOLD_S)
    return False


def b_stream(conn, req):
    size = req.int_arg("chunk", 1024, 1, 1 << 20)
    interval = req.int_arg("interval_ms", 10, 0, 60000) / 1000
    conn.send(head(200, [("Content-Type", "application/octet-stream"),
                         ("Transfer-Encoding", "chunked")], req.wants_keep_alive()))
    data = chunk(b"s" * size)
    deadline = time.monotonic() + MAX_HOLD_S
    while time.monotonic() < deadline:
        conn.send(data)
        if interval and not sleep(interval):
            return False
    conn.send(b"0\r\n\r\n")
    return req.wants_keep_alive()


def b_truncated_chunked(conn, req):
    conn.send(head(200, [("Content-Type", "text/plain"),
                         ("Transfer-Encoding", "chunked")], True)
              + chunk(b"first chunk\n") + chunk(b"second chunk\n"))
    sleep(0.05)  # the close must not overtake the chunks in a client's read
    return False


def b_short_length(conn, req):
    conn.send(head(200, [("Content-Type", "text/plain"),
                         ("Content-Length", "100")], True) + b"0123456789")
    sleep(0.05)
    return False


def b_429(conn, req):
    delay = req.int_arg("delay_ms", 0, 0, int(MAX_HOLD_S * 1000))
    if delay and not sleep(delay / 1000):
        return False
    headers = []
    if "retry_after" in req.args:
        headers.append(("Retry-After", clean_header_value(req.args["retry_after"])))
    return respond_json(conn, req, 429, {"status": 429, "attempt": req.attempt}, headers)


def b_429_date(conn, req):
    when = time.time() + req.int_arg("in_s", 0, -10**9, 10**9)
    date = email.utils.formatdate(when, usegmt=True)
    return respond_json(conn, req, 429, {"status": 429, "retry_after": date},
                        [("Retry-After", date)])


def b_flaky(conn, req):
    if req.attempt <= req.int_arg("fail", 1, 0, 10**6):
        status = req.int_arg("status", 503, 100, 999)
        headers = []
        if "retry_after" in req.args:
            headers.append(("Retry-After", clean_header_value(req.args["retry_after"])))
        return respond_json(conn, req, status, {"status": status, "attempt": req.attempt},
                            headers)
    return respond_json(conn, req, 200, {"attempt": req.attempt})


def b_flaky_echo(conn, req):
    """As /flaky, but every reply echoes the request body it received, so a
    test sees what each attempt sent (multipart parts on a retry)."""
    status = req.int_arg("status", 503, 100, 999)
    if req.attempt > req.int_arg("fail", 1, 0, 10**6):
        status = 200
    return respond_json(conn, req, status, {
        "attempt": req.attempt, "content_type": req.header("Content-Type"),
        "body": req.body.decode("utf-8", errors="replace"),
        "body_length": len(req.body)})


def b_redirect_loop(conn, req):
    return respond_json(conn, req, 302, {"location": req.path}, [("Location", req.path)])


def b_redirect(conn, req):
    to = clean_header_value(req.args.get("to", "/ok"))
    code = req.int_arg("code", 302, 300, 399)
    return respond_json(conn, req, code, {"location": to}, [("Location", to)])


def b_big_headers(conn, req):
    kb = req.int_arg("kb", 400, 0, 16 << 10)
    value = "h" * 1000  # with name and CRLF, each line is just over 1 KiB
    headers = [("X-Big-%05d" % i, value) for i in range(kb)]
    return respond_json(conn, req, 200, {"kb": kb}, headers)


def b_status(conn, req):
    code = req.int_arg("code", 200, 100, 999)
    return respond_json(conn, req, code, {"status": code})


def b_echo(conn, req):
    merged = {}
    for k, v in req.headers:
        merged[k] = merged[k] + ", " + v if k in merged else v
    return respond_json(conn, req, 200, {
        "method": req.method, "path": req.path, "query": req.query,
        "args": req.args, "headers": merged,
        "body": req.body.decode("utf-8", errors="replace"),
        "body_length": len(req.body), "attempt": req.attempt})


cookie_serial = 0                 # names handed out by /cookies, never reused
cookie_serial_lock = threading.Lock()


def b_cookies(conn, req):
    """Sets n cookies never set before, named prefix + a serial number (a
    later response's numbers are higher), Path=/, value 1; and optionally
    one chosen cookie name=value (max_age=0 deletes it). Echoes the Cookie
    header it received, and its "name=value" pairs."""
    global cookie_serial
    delay = req.int_arg("delay_ms", 0, 0, int(MAX_HOLD_S * 1000))
    if delay and not sleep(delay / 1000):
        return False
    n = req.int_arg("n", 0, 0, 1000)
    prefix = req.args.get("prefix", "c")
    if not prefix or not all(c.isalnum() or c in "_-" for c in prefix):
        raise ValueError("prefix must be letters, digits, _ or -")
    with cookie_serial_lock:
        first = cookie_serial
        cookie_serial += n
    names = ["%s%d" % (prefix, first + i) for i in range(n)]
    headers = [("Set-Cookie", "%s=1; Path=/" % name) for name in names]
    if "name" in req.args:
        name = clean_header_value(req.args["name"])
        cookie = "%s=%s; Path=/" % (name, clean_header_value(req.args.get("value", "")))
        if "max_age" in req.args:
            cookie += "; Max-Age=%d" % req.int_arg("max_age", 0, -1, 10**9)
        headers.append(("Set-Cookie", cookie))
        names.append(name)
    received = req.header("Cookie")
    pairs = [p.strip() for p in received.split(";")] if received else []
    return respond_json(conn, req, 200, {
        "cookie": received, "received": [p for p in pairs if p], "set": names,
        "attempt": req.attempt}, headers)


def b_gzip(conn, req):
    # ?zeros=N: N zero bytes, gzipped (a small body that decompresses large).
    zeros = int(req.args.get("zeros", "0"))
    if zeros > 0:
        body = gzip.compress(bytes(min(zeros, 1 << 30)))
        return respond(conn, req, 200, body, [("Content-Encoding", "gzip")],
                       content_type="application/octet-stream")
    body = gzip.compress(json.dumps({"gzipped": True, "method": req.method}).encode())
    return respond(conn, req, 200, body, [("Content-Encoding", "gzip")])


# ------------------------------------------------- out of step on purpose
# Each of these leaves bytes on the connection that belong to no request the
# client made, or takes bytes of the client's request as a request of its
# own: a client that reuses such a connection as it is gets the answer meant
# for another request. Each first answers with its own path, so a test can
# tell which answer it got.

def injected_response():
    """A complete response no request asked for."""
    body = json.dumps({"path": "/injected"}).encode() + b"\n"
    return head(200, [("Content-Type", "application/json"),
                      ("Content-Length", str(len(body)))], True) + body


def b_extra(conn, req):
    """Answer, then (after delay_ms; 0: in the same write) a second complete
    response nobody asked for, and keep the connection."""
    body = json.dumps({"path": req.path, "attempt": req.attempt}).encode() + b"\n"
    first = head(200, [("Content-Type", "application/json"),
                       ("Content-Length", str(len(body)))], True) + body
    delay = req.int_arg("delay_ms", 0, 0, 10000)
    if delay == 0:
        conn.send(first + injected_response())
        return True
    conn.send(first)
    if not sleep(delay / 1000):
        return False
    conn.send(injected_response())
    return True


def b_head_body(conn, req):
    """Answer any method (HEAD too) with a Content-Length and that many body
    bytes, the body being a complete response; after delay_ms between the
    head and the body (0: one write). Keeps the connection."""
    body = injected_response()
    first = head(200, [("Content-Type", "application/octet-stream"),
                       ("Content-Length", str(len(body)))], True)
    delay = req.int_arg("delay_ms", 0, 0, 10000)
    if delay == 0:
        conn.send(first + body)
        return True
    conn.send(first)
    if not sleep(delay / 1000):
        return False
    conn.send(body)
    return True


def b_early(conn, req):
    """Answer status at once, before reading the request body (no 100
    Continue either), and keep the connection. drain=1: then read and
    discard the body, as RFC 9112 asks of a server that keeps the
    connection. drain=0 (the default): leave it, so the next request is
    parsed from the body's bytes (a naive server or a smuggling front)."""
    status = req.int_arg("status", 200, 200, 599)
    respond_json(conn, req, status, {"path": req.path, "status": status})
    if req.int_arg("drain", 0, 0, 1):
        conn.read_body(req)
    return True


def b_informational(conn, req):
    """count interim responses of code (1xx, 101 included, whatever was
    asked), then the final response; the request body is read after the
    interim ones."""
    code = req.int_arg("code", 103, 100, 199)
    count = req.int_arg("count", 1, 0, 100)
    for _ in range(count):
        conn.send(("HTTP/1.1 %d %s\r\n\r\n" % (code, "Informational")).encode())
    conn.read_body(req)
    return respond_json(conn, req, 200, {"path": req.path, "code": code})


# Paths whose request body the reader leaves alone (no 100 Continue either).
UNREAD_BODY = {"/early", "/informational"}


BEHAVIOURS = {
    "/ok": b_ok,                          # ?delay_ms=N
    "/slot": b_slot,                      # ?delay_ms=N, exact peak
    "/slot2": b_slot,                     # the same, counted apart (a 2nd host)
    "/close": b_close,                    # no reply at all
    "/reset": b_reset,                    # CL 100000, 7 bytes, RST
    "/trickle": b_trickle,                # ?bytes=N&interval_ms=M
    "/stall": b_stall,                    # silence up to 60 s
    "/stall_body": b_stall_body,          # one chunk, then silence
    "/stream": b_stream,                  # ?chunk=N&interval_ms=M, 60 s
    "/truncated_chunked": b_truncated_chunked,
    "/short_length": b_short_length,      # CL 100, 10 bytes, close
    "/429": b_429,                        # ?retry_after=X (verbatim)&delay_ms=N
    "/429_date": b_429_date,              # ?in_s=N
    "/flaky": b_flaky,                    # ?fail=N&status=S&retry_after=X
    "/flaky_echo": b_flaky_echo,          # ?fail=N&status=S, body echoed
    "/redirect_loop": b_redirect_loop,
    "/redirect": b_redirect,              # ?to=URL&code=3xx
    "/big_headers": b_big_headers,        # ?kb=N
    "/status": b_status,                  # ?code=N
    "/echo": b_echo,
    "/gzip": b_gzip,
    "/extra": b_extra,                    # ?delay_ms=N, then an unasked response
    "/head_body": b_head_body,            # a body (a response) even for HEAD
    "/early": b_early,                    # ?status=S&drain=0|1, body unread
    "/informational": b_informational,    # ?code=1xx&count=N, then 200
    "/cookies": b_cookies,                # ?n=N&prefix=P&name=X&value=Y&max_age=S
}


def control(conn, req):
    if req.path == "/_reset":
        stats.reset()
        return respond_json(conn, req, 200, {"reset": True})
    return respond_json(conn, req, 200, stats.snapshot(req.args.get("path", "")))


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = Connection(self.request)
        counted_in = None  # generation this connection was counted in
        try:
            while not stopping.is_set():
                try:
                    req = conn.read_request()
                except ValueError as e:
                    conn.send(head(400, [("Content-Length", "0")], False))
                    print("fault_server: bad request: %s" % e, file=sys.stderr)
                    return
                if req is None:
                    return
                if req.path in ("/_stats", "/_reset"):
                    if not control(conn, req):
                        return
                    continue
                # A connection counts once per generation, when it carries
                # its first counted request: control traffic never counts.
                if counted_in != stats.current_generation():
                    counted_in = stats.count_connection()
                req.attempt, generation = stats.begin(req.path)
                req.generation = generation
                try:
                    behaviour = BEHAVIOURS.get(req.path)
                    if behaviour is None:
                        keep = respond_json(conn, req, 404, {"error": "no such path",
                                                             "path": req.path})
                    else:
                        try:
                            keep = behaviour(conn, req)
                        except ValueError as e:
                            keep = respond_json(conn, req, 400, {"error": str(e)})
                finally:
                    if not req.ended:
                        stats.end(req.path, generation)
                if not keep:
                    return
        except ClientGone:
            return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True        # stalled handlers must not delay exit
    block_on_close = False
    allow_reuse_address = True


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    block_on_close = False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--fd", type=int, help="inherited listening socket")
    where.add_argument("--port", type=int, help="bind 127.0.0.1:PORT (0: any)")
    where.add_argument("--unix", help="bind a Unix domain socket at this path")
    opts = parser.parse_args()

    if opts.unix is not None:
        server = UnixServer(opts.unix, Handler)
        print("unix %s" % opts.unix, flush=True)
    elif opts.fd is not None:
        server = Server(None, Handler, bind_and_activate=False)
        server.socket.close()
        server.socket = socket.socket(fileno=opts.fd)
        server.server_address = server.socket.getsockname()
    else:
        server = Server(("127.0.0.1", opts.port), Handler)
    if opts.unix is None:
        print("port %d" % server.server_address[1], flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    while not done.wait(1.0):  # wake now and then: signal handlers run here
        pass
    stopping.set()
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
