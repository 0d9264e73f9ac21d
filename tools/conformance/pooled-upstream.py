#!/usr/bin/env python3
"""Pooled upstream connections and bytes after a response (issue 16, item 2), compared.

A misbehaving origin on loopback answers client A's request with a response followed by
bytes nobody asked for (a body on HEAD/204/304, more than Content-Length, bytes after the
last chunk, a second response, a partial head carrying Set-Cookie, at once or 100 ms
later). Then client B, on a new client connection, asks for /real through the same proxy.
For each proxy and case this prints what B got: its status, whether it carries the
attacker's Set-Cookie, and which backend connection answered (1: A's, reused; 2: a new one).

Proxies (arguments; default: portico):
  portico            the runtime jar (PORTICO_JAR, default proxy-runtime/target/proxy-runtime.jar),
                     one worker, so A and B share one upstream pool
  nginx              nginx, 1 worker, upstream keepalive, proxy_buffering on
  nginx-unbuffered   the same with proxy_buffering off
  haproxy-always     HAProxy, 1 thread, http-reuse always (B may get A's connection)
  haproxy-safe       HAProxy's default http-reuse safe (a session's first request never does)

Knobs (environment): GAP seconds between A's response and B's request (0.4: the delayed
bytes have landed; 0 shows the in-flight race no proxy can see), ONLY="case;case;..."
Exit status 1 when Portico gave B the attacker's bytes or A's connection after a
misbehaving answer (with GAP >= 0.2). Loopback only; each run starts and stops its proxy.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BACKEND_PORT, PROXY_PORT, ADMIN_PORT = 18481, 18482, 18483

PARTIAL = "HTTP/1.1 200 OK\r\nSet-Cookie: session=attacker\r\nX-Swallow: "
WHOLE = "HTTP/1.1 200 OK\r\nSet-Cookie: session=attacker\r\nContent-Length: 5\r\n\r\nevil!"
OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
# case -> (method, [(delay seconds, bytes)])
CASES = {
    "well-behaved": ("GET", [(0, OK)]),
    "body on HEAD": ("HEAD", [(0, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(PARTIAL), PARTIAL))]),
    "70,000-byte body on HEAD": ("HEAD", [(0, "HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n" + "x" * 70000)]),
    "last chunk on a chunked HEAD": ("HEAD", [(0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")]),
    "body on 204": ("GET", [(0, "HTTP/1.1 204 No Content\r\n\r\n" + PARTIAL)]),
    "body on 304": ("GET", [(0, "HTTP/1.1 304 Not Modified\r\nContent-Length: 2\r\n\r\n" + PARTIAL)]),
    "more than Content-Length": ("GET", [(0, OK + ", and a tail the length did not count")]),
    "bytes after the last chunk": ("GET", [
        (0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" + PARTIAL)]),
    "a whole second response": ("GET", [(0, OK + WHOLE)]),
    "a partial head, same write": ("GET", [(0, OK + PARTIAL)]),
    "a partial head 100 ms later": ("GET", [(0, OK), (0.1, PARTIAL)]),
    "a whole response 100 ms later": ("GET", [(0, OK), (0.1, WHOLE)]),
    "empty lines, then a partial head": ("GET", [(0, OK + "\r\n\r\n" + PARTIAL)]),
    "an empty line, same write": ("GET", [(0, OK + "\r\n")]),
    "an empty line 100 ms later": ("GET", [(0, OK), (0.1, "\r\n")]),
    "a garbage line, then a partial head": ("GET", [(0, OK + "garbage\r\n" + PARTIAL)]),
    "103, final response, partial head": ("GET", [
        (0, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + OK + PARTIAL)]),
    "a partial head 250 ms later": ("GET", [(0, OK), (0.25, PARTIAL)]),
}

NGINX = """daemon off; worker_processes 1; pid %(d)s/nginx.pid; error_log %(d)s/nginx-error.log info;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %(d)s/cb; proxy_temp_path %(d)s/pt; fastcgi_temp_path %(d)s/ft;
  uwsgi_temp_path %(d)s/ut; scgi_temp_path %(d)s/st;
  upstream app { server 127.0.0.1:%(backend)d; keepalive 4; }
  server {
    listen 127.0.0.1:%(proxy)d;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
                 proxy_read_timeout 3s; proxy_buffering %(buffering)s; }
  }
}
"""
HAPROXY = """global
  maxconn 100
  nbthread 1
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 3s
  http-reuse %(reuse)s
frontend fe
  bind 127.0.0.1:%(proxy)d
  default_backend be
backend be
  server s1 127.0.0.1:%(backend)d
"""
PORTICO = """apiVersion: portico.dev/v1alpha1
kind: ProxySite
metadata: {name: pooled-upstream, generation: 1}
spec:
  hosts: ["*"]
  routes:
    - match: {path: {value: /}}
      backend: {service: 127.0.0.1, port: %(backend)d}
      timeouts: {response: 3s}
"""


class Backend:
    """The misbehaving origin: /case/<n> gets CASES' bytes, anything else the real answer."""

    def __init__(self):
        self.script = []
        self.connections = 0
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", BACKEND_PORT))
        self.server.listen(64)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.serve, args=(conn, self.connections), daemon=True).start()

    def serve(self, conn, cid):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                if target == "/evil":
                    for delay, text in self.script:
                        time.sleep(delay)
                        conn.sendall(text.encode("latin-1"))
                    continue
                body = "real answer to %s %s on connection %d" % (method, target, cid)
                out = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
                conn.sendall((out if method == "HEAD" else out + body).encode("latin-1"))
        except OSError:
            pass
        finally:
            conn.close()

    def reset(self, script):
        """A new case: its script, and connections counted from 1 again."""
        self.script = script
        self.connections = 0


def wait_for_port(port, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on %d" % port)


def start_proxy(kind, work):
    if kind == "portico":
        jar = os.environ.get("PORTICO_JAR", os.path.join(REPO, "proxy-runtime/target/proxy-runtime.jar"))
        site = os.path.join(work, "site.yaml")
        open(site, "w").write(PORTICO % dict(backend=BACKEND_PORT))
        cmd = ["java", "-jar", jar, "--site", site, "--http-port", str(PROXY_PORT), "--admin-port",
               str(ADMIN_PORT), "--workers", "1", "--bind", "127.0.0.1"]
    elif kind.startswith("nginx"):
        for d in ("cb", "pt", "ft", "ut", "st"):
            os.makedirs(os.path.join(work, d), exist_ok=True)
        conf = os.path.join(work, "nginx.conf")
        buffering = "off" if kind == "nginx-unbuffered" else "on"
        open(conf, "w").write(NGINX % dict(d=work, backend=BACKEND_PORT, proxy=PROXY_PORT, buffering=buffering))
        cmd = ["nginx", "-c", conf, "-p", work]
    else:
        conf = os.path.join(work, "haproxy.cfg")
        open(conf, "w").write(HAPROXY % dict(backend=BACKEND_PORT, proxy=PROXY_PORT, reuse=kind.split("-", 1)[1]))
        cmd = ["haproxy", "-f", conf, "-db"]
    proxy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(PROXY_PORT)
    return proxy


def request(method, target):
    s = socket.create_connection(("127.0.0.1", PROXY_PORT), timeout=5)
    s.sendall(("%s %s HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n" % (method, target)).encode())
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    finally:
        s.close()
    return data.decode("latin-1")


def run(kind, gap, cases, backend):
    print("\n%s (B %.1f s after A)\n" % (kind, gap))
    print("| case | A got | B got | B's Set-Cookie | B answered on backend connection |")
    print("|---|---|---|---|---|")
    leaks = 0
    for name in cases:
        method, script = CASES[name]
        backend.reset(script)
        work = tempfile.mkdtemp(prefix="pooled-upstream.")
        proxy = start_proxy(kind, work)
        try:
            a = request(method, "/evil")
            time.sleep(gap)
            b = request("GET", "/real")
            a_statuses = "/".join(re.findall(r"(?m)^HTTP/1\.\d (\d+)", a)) or "nothing"
            status = re.match(r"HTTP/1\.\d (\d+)", b)
            cookie = bool(re.search(r"(?im)^set-cookie: session=attacker", b))
            where = re.search(r"on connection (\d+)", b)
            print("| %s | %s | %s | %s | %s |" % (name, a_statuses, status.group(1) if status else "nothing",
                                                  "**attacker's**" if cookie else "none",
                                                  where.group(1) if where else "-"))
            misbehaved = name != "well-behaved"
            if kind == "portico" and misbehaved and gap >= 0.2 and (cookie or not where or where.group(1) != "2"):
                leaks += 1
        finally:
            proxy.send_signal(signal.SIGTERM)
            try:
                proxy.wait(10)
            except subprocess.TimeoutExpired:
                proxy.kill()
            shutil.rmtree(work, ignore_errors=True)
    return leaks


def main():
    kinds = sys.argv[1:] or ["portico"]
    gap = float(os.environ.get("GAP", "0.4"))
    cases = os.environ["ONLY"].split(";") if os.environ.get("ONLY") else list(CASES)
    backend = Backend()
    leaks = sum(run(kind, gap, cases, backend) for kind in kinds)
    sys.exit(1 if leaks else 0)


if __name__ == "__main__":
    main()
