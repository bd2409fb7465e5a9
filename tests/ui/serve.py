#!/usr/bin/python3
"""Serves web/dist under /ui/ and passes /api/ to a hone server, on 127.0.0.1 only: what
`hone server` will do itself once it serves the dashboard.

  serve.py --dist web/dist --upstream http://127.0.0.1:PORT --port-file FILE
"""
import argparse
import http.server
import mimetypes
import pathlib
import urllib.error
import urllib.request


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dist", required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    a = ap.parse_args()
    dist = pathlib.Path(a.dist).resolve()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send(self, status, body, ctype):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def proxy(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            req = urllib.request.Request(a.upstream + self.path, data=body, method=self.command)
            for h in ("Authorization", "Content-Type", "Accept"):
                if self.headers.get(h):
                    req.add_header(h, self.headers[h])
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    self.send(r.status, r.read(), r.headers.get("Content-Type", "application/json"))
            except urllib.error.HTTPError as e:
                self.send(e.code, e.read(), e.headers.get("Content-Type", "application/json"))

        def static(self):
            path = self.path.split("?")[0]
            if path in ("/", "/ui"):
                self.send_response(302)
                self.send_header("Location", "/ui/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            rel = path[len("/ui/"):] or "index.html"
            f = (dist / rel).resolve()
            if not str(f).startswith(str(dist)) or not f.is_file():
                self.send(404, b"not found", "text/plain")
                return
            ctype = mimetypes.guess_type(f.name)[0] or "application/octet-stream"
            self.send(200, f.read_bytes(), ctype)

        def handle_any(self):
            if self.path.startswith("/api/"):
                self.proxy()
            else:
                self.static()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    pathlib.Path(a.port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
