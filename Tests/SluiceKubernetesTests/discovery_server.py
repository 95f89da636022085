# Serves the captured discovery documents (Fixtures/) as a kube-apiserver would: /api and
# /apis as aggregated discovery when the client asks for it (Accept: ...as=APIGroupDiscoveryList),
# else 406 for aggregated-only mode, and the legacy group-version lists. Counts requests per
# path (GET /_requests) so tests can see what was fetched. Prints "listening <port>".
import http.server, json, os, sys

fixtures = sys.argv[1]
aggregated = len(sys.argv) < 3 or sys.argv[2] != "--legacy-only"
requests = {}

class Discovery(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, status, body, content_type="application/json"):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        if self.path == "/_requests":
            return self.reply(200, requests)
        requests[self.path] = requests.get(self.path, 0) + 1
        if self.headers.get("Authorization") != "Bearer t0ken":
            return self.reply(401, {"kind": "Status", "code": 401, "reason": "Unauthorized", "message": "Unauthorized"})
        wants_aggregated = "as=APIGroupDiscoveryList" in self.headers.get("Accept", "")
        if self.path in ("/api", "/apis") and aggregated and wants_aggregated:
            name = "aggregated-api.json" if self.path == "/api" else "aggregated-apis.json"
            return self.reply(200, json.load(open(os.path.join(fixtures, name))),
                              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList")
        legacy = {"/api": "api.json", "/apis": "apis.json", "/api/v1": "api-v1.json", "/apis/apps/v1": "apis-apps-v1.json"}
        if self.path in legacy:
            body = json.load(open(os.path.join(fixtures, legacy[self.path])))
            if self.path == "/apis":
                # Only the groups whose version documents were captured.
                body["groups"] = [g for g in body["groups"] if g["name"] == "apps"]
            return self.reply(200, body)
        self.reply(404, {"kind": "Status", "code": 404, "reason": "NotFound", "message": "the server could not find the requested resource"})
    def log_message(self, *args): pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Discovery)
print("listening", server.server_address[1], flush=True)
server.serve_forever()
