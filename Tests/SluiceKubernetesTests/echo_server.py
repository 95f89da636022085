# A local API-server stand-in for the transport tests: echoes method, path, headers and
# body as JSON. With --tls CERT KEY [CA] it serves HTTPS (and, given CA, requires a client
# certificate signed by it). Prints "listening <port>" once ready.
import http.server, json, ssl, sys

class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def handle_any(self):
        if self.path.startswith("/huge"):
            # A Content-Length of 10 GB, and then the start of a body.
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(10 * 1024 ** 3))
            self.end_headers()
            self.wfile.write(b"[" * 65536)
            return
        if self.path.startswith("/endless"):
            # A chunked body that never ends (until the client hangs up).
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                while True:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        peer = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        reply = json.dumps({"method": self.command, "path": self.path, "body": body,
                            "authorization": self.headers.get("Authorization", ""),
                            "contentType": self.headers.get("Content-Type", ""),
                            "client": dict(x[0] for x in peer["subject"]).get("commonName", "") if peer else ""}).encode()
        status = 404 if self.path.startswith("/missing") else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = handle_any
    def log_message(self, *args): pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
if len(sys.argv) > 1 and sys.argv[1] == "--tls":
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 4:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(sys.argv[4])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print("listening", server.server_address[1], flush=True)
server.serve_forever()
