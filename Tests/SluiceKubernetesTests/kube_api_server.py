# A Kubernetes API test server for the driver's tests: it behaves as a kube-apiserver (with
# its controllers) does for the calls Sluice makes, modelled on what a real one answered
# (Fixtures/, from ../shared/k8s-api): aggregated and legacy discovery (CRDs added when
# created), resourceVersion, uid and generation, POST/GET/LIST (label selectors, limit and
# continue)/JSON merge PATCH/server-side apply with field managers/DELETE, dryRun=All and
# fieldValidation=Strict against the captured OpenAPI v3 schemas, Status bodies for 401, 404,
# 409, 422, 429 and 500, TLS with client certificates, bearer tokens.
#
# Workloads are rolled by simulated controllers on the server's own virtual clock, which the
# test moves (POST /_test/advance {"seconds": n}): pods move to a new template honouring
# maxUnavailable and the partition, get ready 10 s after they start, and never when their
# image's tag ends in "-broken". Test-only endpoints: /_test/advance, /_test/faults (the next
# requests matching a method and path answer a given status), /_test/requests (the log).
#
# Usage: kube_api_server.py FIXTURES [--token T]... [--tls CERT KEY CA] [--nodes N]
# Prints "listening <port>".
import base64, copy, http.server, json, os, socket, ssl, sys, threading, urllib.parse, uuid

args = sys.argv[1:]
fixtures = args.pop(0)
tokens, tls, nodes = set(), None, 3
while args:
    flag = args.pop(0)
    if flag == "--token": tokens.add(args.pop(0))
    elif flag == "--tls": tls = (args.pop(0), args.pop(0), args.pop(0))
    elif flag == "--nodes": nodes = int(args.pop(0))

lock = threading.RLock()
now = [1_800_000_000.0]
revision = [100]
objects = {}  # (group, plural, namespace, name) -> object
hidden = {}   # same key -> {"pods": [...], "at": time}
faults = []
log = []

def load(name): return json.load(open(os.path.join(fixtures, name)))
aggregated = {"/api": load("aggregated-api.json"), "/apis": load("aggregated-apis.json")}
schemas = {}
# The OpenAPI documents are shared with the offline schema validator's tests (Tests/Fixtures).
openapi = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "openapi")
for name in ("api-v1.json", "apis-apps-v1.json", "apis-batch-v1.json", "apis-rbac.authorization.k8s.io-v1.json"):
    schemas.update(json.load(open(os.path.join(openapi, name)))["components"]["schemas"])
kind_schema = {}
for schema_name, schema in schemas.items():
    for gvk in schema.get("x-kubernetes-group-version-kind", []):
        kind_schema[(gvk["group"], gvk["version"], gvk["kind"])] = schema_name

# (group, version, plural) -> {kind, namespaced, verbs}
resources = {}
def index_discovery():
    resources.clear()
    for path, document in aggregated.items():
        for group in document["items"]:
            for version in group["versions"]:
                for resource in version["resources"]:
                    resources[(group["metadata"].get("name", ""), version["version"], resource["resource"])] = {
                        "kind": resource["responseKind"]["kind"], "namespaced": resource["scope"] == "Namespaced",
                        "verbs": resource["verbs"]}
index_discovery()

def crd_group(group):
    """The aggregated discovery entry of a CRD's group, made when its first CRD arrives."""
    for entry in aggregated["/apis"]["items"]:
        if entry["metadata"].get("name", "") == group: return entry
    entry = {"metadata": {"name": group, "creationTimestamp": None}, "versions": []}
    aggregated["/apis"]["items"].append(entry)
    return entry

def add_crd(crd):
    # Several CRDs share a group (cert-manager.io, crd.projectcalico.org): each adds its
    # resource to the group's versions, as a real API server serves them.
    spec = crd.get("spec", {})
    group, names = spec.get("group", ""), spec.get("names", {})
    remove_crd(crd, reindex=False)
    entry = crd_group(group)
    for v in spec.get("versions", []):
        if not v.get("served", True): continue
        version = next((x for x in entry["versions"] if x["version"] == v["name"]), None)
        if version is None:
            version = {"version": v["name"], "freshness": "Current", "resources": []}
            entry["versions"].append(version)
        version["resources"].append({
            "resource": names.get("plural", ""), "responseKind": {"group": "", "kind": names.get("kind", ""), "version": ""},
            "scope": spec.get("scope", "Namespaced"), "singularResource": names.get("singular", ""),
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]})
    index_discovery()

def remove_crd(crd, reindex=True):
    spec = crd.get("spec", {})
    group, plural = spec.get("group", ""), spec.get("names", {}).get("plural", "")
    for entry in aggregated["/apis"]["items"]:
        if entry["metadata"].get("name", "") != group: continue
        for version in entry["versions"]:
            version["resources"] = [r for r in version["resources"] if r["resource"] != plural]
        entry["versions"] = [v for v in entry["versions"] if v["resources"]]
    aggregated["/apis"]["items"] = [g for g in aggregated["/apis"]["items"] if g["versions"]]
    if reindex: index_discovery()

def status(code, reason, message, details=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code}
    if details: body["details"] = details
    return code, body

def timestamp():
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now[0]))

# --- Validation -------------------------------------------------------------------------

def resolve(schema):
    while True:
        if "$ref" in schema: schema = schemas[schema["$ref"].split("/")[-1]]
        elif "allOf" in schema and len(schema["allOf"]) == 1 and len(schema) <= 2: schema = schema["allOf"][0]
        else: return schema

def check(value, schema, path, problems):
    schema = resolve(schema)
    if schema.get("x-kubernetes-preserve-unknown-fields"): return
    if schema.get("format") == "int-or-string" or schema.get("x-kubernetes-int-or-string"):
        if not isinstance(value, (int, str)) or isinstance(value, bool):
            problems.append(("type", path, "int-or-string"))
        return
    kind = schema.get("type")
    if value is None: return
    if kind == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        problems.append(("type", path, "int32" if schema.get("format") == "int32" else "int64"))
    elif kind == "number" and (not isinstance(value, (int, float)) or isinstance(value, bool)): problems.append(("type", path, "float64"))
    elif kind == "string" and not isinstance(value, str): problems.append(("type", path, "string"))
    elif kind == "boolean" and not isinstance(value, bool): problems.append(("type", path, "bool"))
    elif kind == "array":
        if not isinstance(value, list): problems.append(("type", path, "array")); return
        for i, item in enumerate(value): check(item, schema.get("items", {}), f"{path}[{i}]", problems)
    elif kind == "object" or "properties" in schema:
        if not isinstance(value, dict): problems.append(("type", path, "object")); return
        properties, extra = schema.get("properties"), schema.get("additionalProperties")
        for key, item in value.items():
            child = f"{path}.{key}" if path else key
            if properties is not None and key in properties: check(item, properties[key], child, problems)
            elif extra is not None and extra is not False: check(item, extra if isinstance(extra, dict) else {}, child, problems)
            elif properties is not None: problems.append(("unknown", child, None))

def validate(obj, group, version, kind, strict):
    """The answer a real server gives for a body it cannot decode or that fails validation."""
    name = kind_schema.get((group, version, kind))
    if name is None: return None
    problems = []
    check(obj, schemas[name], "", problems)
    for problem, path, expected in problems:
        if problem == "type":
            field = path.split(".")[-1]
            return status(400, "BadRequest", f'{kind} in version "{version}" cannot be handled as a {kind}: json: cannot unmarshal '
                          f'into Go struct field {kind}Spec.{path} of type {expected}')
    unknown = [path for problem, path, _ in problems if problem == "unknown" and not path.startswith("status")]
    if unknown and strict:
        return status(400, "BadRequest", f'{kind} in version "{version}" cannot be handled as a {kind}: strict decoding error: '
                      + ", ".join(f'unknown field "{p}"' for p in unknown))
    if kind == "Deployment":
        selector = (obj.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
        labels = (((obj.get("spec", {}).get("template") or {}).get("metadata") or {}).get("labels")) or {}
        if any(labels.get(k) != v for k, v in selector.items()):
            message = f'Deployment.apps "{obj["metadata"].get("name")}" is invalid: spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`'
            return status(422, "Invalid", message, {"name": obj["metadata"].get("name"), "group": "apps", "kind": "Deployment",
                          "causes": [{"reason": "FieldValueInvalid", "field": "spec.template.metadata.labels",
                                      "message": "Invalid value: `selector` does not match template `labels`"}]})
    return None

# --- Controllers --------------------------------------------------------------------------

WORKLOADS = {("apps", "deployments"), ("apps", "statefulsets"), ("apps", "daemonsets"), ("apps.kruise.io", "clonesets"),
             ("apps.kruise.io", "daemonsets"), ("apps.kruise.io", "statefulsets"),
             # KubeNode's MachineComponentSet: node components rolled machine by machine, as
             # its Machine-Operator does (partition and maxUnavailable in spec.updateStrategy).
             ("kubenode.alibabacloud.com", "machinecomponentsets")}

def default(obj, key):
    # What a real API server defaults in, that no manifest says: each StatefulSet
    # volumeClaimTemplate gets apiVersion, kind, volumeMode and a status; a Job's pod template
    # gets the controller's labels and a restart-policy-shaped spec.
    group, plural = key[0], key[1]
    spec = obj.get("spec")
    if not isinstance(spec, dict): return
    if (group, plural) == ("apps", "statefulsets"):
        for claim in spec.get("volumeClaimTemplates") or []:
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")
            claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
            claim.setdefault("status", {"phase": "Pending"})
        spec.setdefault("podManagementPolicy", "OrderedReady")
        spec.setdefault("revisionHistoryLimit", 10)
    if (group, plural) == ("batch", "jobs"):
        template = spec.setdefault("template", {})
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        uid = obj["metadata"].get("uid", "")
        labels.setdefault("batch.kubernetes.io/controller-uid", uid)
        labels.setdefault("batch.kubernetes.io/job-name", obj["metadata"].get("name", ""))
        spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completions", 1)
        spec.setdefault("parallelism", 1)
        template.setdefault("spec", {}).setdefault("dnsPolicy", "ClusterFirst")

def listed(obj):
    # As a real API server lists (../shared/k8s-api/exchanges/21-list-page-1.json): the
    # items of a LIST carry no apiVersion and no kind; the list says them once.
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}

def dig(obj, *path, default=None):
    for key in path:
        if not isinstance(obj, dict) or key not in obj: return default
        obj = obj[key]
    return obj

def amount(raw, total, up):
    if isinstance(raw, str) and raw.endswith("%"):
        percent = int(raw[:-1])
        return -(-total * percent // 100) if up else total * percent // 100
    return int(raw) if raw is not None else None

def advance(key, obj):
    group, plural = key[0], key[1]
    if (group, plural) not in WORKLOADS:
        if (group, plural) == ("batch", "jobs"):
            # The job controller: one pod, active at once, ended 10 s later; an image ending
            # in -broken fails it past its backoff limit, as a real Job reports it.
            start = hidden.setdefault(key, {"at": now[0]})["at"]
            images = [c.get("image", "") for c in dig(obj, "spec", "template", "spec", "containers", default=[]) or []]
            if now[0] - start < 10:
                obj["status"] = {"active": 1, "startTime": timestamp()}
            elif any(image.endswith("-broken") for image in images):
                obj["status"] = {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                                                              "message": "Job has reached the specified backoff limit"}]}
            else:
                obj["status"] = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
        return
    spec = obj.get("spec", {})
    machines = plural == "machinecomponentsets"
    per_node = plural == "daemonsets" or machines
    desired = nodes if per_node else int(spec.get("replicas", 1))
    rolling = dig(spec, "updateStrategy", "rollingUpdate", default={}) or {}
    if plural == "deployments":
        rolling = dig(spec, "strategy", "rollingUpdate", default={}) or {}
    budget_raw = rolling.get("maxUnavailable", dig(spec, "updateStrategy", "maxUnavailable") if plural in ("clonesets", "machinecomponentsets") else None)
    budget = max(1, amount(budget_raw if budget_raw is not None else ("25%" if plural == "deployments" else 1), desired, False))
    partition_raw = dig(spec, "updateStrategy", "partition") if plural in ("clonesets", "machinecomponentsets") else rolling.get("partition")
    partition = min(desired, max(0, amount(partition_raw, desired, True) or 0)) if plural != "deployments" else 0
    template = json.dumps(spec.get("template", {}) if not machines else {k: v for k, v in spec.items() if k != "updateStrategy"}, sort_keys=True)
    rev = "r" + str(abs(hash(template)) % 10**10)
    images = [c.get("image", "") for c in dig(spec, "template", "spec", "containers", default=[]) or []] + ([spec.get("version", "")] if machines else [])
    faulty = any(image.endswith("-broken") for image in images)
    state = hidden.setdefault(key, {"pods": [], "at": now[0]})
    pods, time = state["pods"], state["at"]
    def start(t): return {"rev": rev, "ready": None if faulty else t + 10}
    def ready(p, t): return p["ready"] is not None and p["ready"] <= t
    while True:
        del pods[desired:]
        while len(pods) < desired: pods.append(start(time))
        candidates = [i for i in reversed(range(len(pods))) if i >= partition and pods[i]["rev"] != rev]
        for i in candidates:
            if not ready(pods[i], time): pods[i] = start(time)
        unavailable = sum(1 for p in pods if not ready(p, time))
        for i in candidates:
            if pods[i]["rev"] != rev and unavailable < budget:
                pods[i] = start(time); unavailable += 1
        upcoming = [p["ready"] for p in pods if p["ready"] is not None and p["ready"] > time]
        if not upcoming or min(upcoming) > now[0]: break
        time = min(upcoming)
    state["at"] = max(time, now[0])
    t = state["at"]
    updated = [p for p in pods if p["rev"] == rev]
    n_ready = sum(1 for p in pods if ready(p, t))
    n_updated_ready = sum(1 for p in updated if ready(p, t))
    generation = obj["metadata"].get("generation", 1)
    if machines:
        s = {"observedGeneration": generation, "desiredNumber": desired, "updatedNumber": len(updated), "readyNumber": n_ready,
             "updatedReadyNumber": n_updated_ready}
    elif per_node:
        s = {"observedGeneration": generation, "desiredNumberScheduled": desired, "currentNumberScheduled": len(pods),
             "updatedNumberScheduled": len(updated), "numberReady": n_ready, "numberAvailable": n_ready,
             "numberUnavailable": len(pods) - n_ready, "numberMisscheduled": 0}
        if group == "apps.kruise.io": s["updatedNumberReady"] = n_updated_ready
    elif plural == "deployments":
        s = {"observedGeneration": generation, "replicas": len(pods), "updatedReplicas": len(updated), "readyReplicas": n_ready,
             "availableReplicas": n_ready, "unavailableReplicas": len(pods) - n_ready,
             "conditions": [{"type": "Available", "status": "True" if n_ready >= desired else "False"},
                            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable" if len(updated) == desired else "ReplicaSetUpdated"}]}
    else:
        old = [p for p in pods if p["rev"] != rev]
        s = {"observedGeneration": generation, "replicas": len(pods), "updatedReplicas": len(updated), "readyReplicas": n_ready,
             "availableReplicas": n_ready, "updateRevision": rev, "currentRevision": rev if not old else state.setdefault("current", rev)}
        if group == "apps.kruise.io": s["updatedReadyReplicas"] = n_updated_ready
        if not old: state["current"] = rev
    obj["status"] = s

# --- Patches ------------------------------------------------------------------------------

def merge(patch, target):
    if not isinstance(patch, dict): return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None: result.pop(key, None)
        else: result[key] = merge(value, result.get(key))
    return result

def leaves(value, path=()):
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, path + (key,))
    else:
        yield path, value

def owned_paths(obj):
    return {path: value for path, value in leaves({k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "status")})
            if path[:2] not in (("metadata", "name"), ("metadata", "namespace"))}

# --- HTTP ---------------------------------------------------------------------------------

class API(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes: without this, Nagle and delayed ACKs add 40 ms to each.
    disable_nagle_algorithm = True

    def reply(self, code, body, content_type="application/json", headers=None):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items(): self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def authenticated(self):
        header = self.headers.get("Authorization", "")
        if header.startswith("Bearer ") and header[7:] in tokens: return True
        try:
            return bool(self.connection.getpeercert())
        except AttributeError:
            return False

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if url.path.startswith("/_test/"): return self.test_endpoint(method, url.path, raw)
        with lock:
            log.append({"method": method, "path": url.path, "query": query, "contentType": self.headers.get("Content-Type"),
                        "body": raw.decode(errors="replace")})
            for fault in faults:
                if fault["method"] == method and fault["path"] in url.path and fault["count"] > 0:
                    if fault.get("writesOnly") and "dryRun" in query: continue
                    fault["count"] -= 1
                    if fault["status"] == 0:
                        # An outage: the connection drops with no answer, as when the API server
                        # stops; "processed": it had done the request first (the answer is lost).
                        if fault.get("processed") and self.authenticated():
                            try: self.route(method, url.path, query, raw)
                            except Exception: pass
                        self.close_connection = True
                        try: self.connection.shutdown(socket.SHUT_RDWR)
                        except OSError: pass
                        return
                    code, body = status(fault["status"], {429: "TooManyRequests", 500: "InternalError", 409: "Conflict", 403: "Forbidden", 503: "ServiceUnavailable"}.get(fault["status"], "Unknown"),
                                        fault.get("message", "injected"))
                    headers = {"Retry-After": str(fault["retryAfter"])} if "retryAfter" in fault else {}
                    return self.reply(code, body, headers=headers)
            if not self.authenticated():
                return self.reply(*status(401, "Unauthorized", "Unauthorized"))
            try:
                answer = self.route(method, url.path, query, raw)
            except Exception as error:  # a bug here must show in the test, not hang it
                answer = status(500, "InternalError", f"test server: {error!r}")
        self.reply(*answer[:2], **({"content_type": answer[2]} if len(answer) > 2 else {}))

    def test_endpoint(self, method, path, raw):
        with lock:
            if path == "/_test/advance":
                target = now[0] + json.loads(raw)["seconds"]
                # Controllers run at every event time up to the target, as they would live.
                now[0] = target
                for key, obj in objects.items(): advance(key, obj)
                return self.reply(200, {"now": now[0]})
            if path == "/_test/time":
                # The test's virtual clock: the cluster's controllers catch up to it.
                now[0] = max(now[0], json.loads(raw)["now"])
                for key, obj in objects.items(): advance(key, obj)
                return self.reply(200, {"now": now[0]})
            if path == "/_test/faults":
                faults.extend(json.loads(raw))
                return self.reply(200, {})
            if path == "/_test/requests":
                return self.reply(200, log)
            if path == "/_test/objects":
                return self.reply(200, [{"key": list(k), "object": v} for k, v in objects.items()])
        self.reply(404, {})

    def route(self, method, path, query, raw):
        if path in ("/api", "/apis") and method == "GET":
            if "as=APIGroupDiscoveryList" in self.headers.get("Accept", ""):
                return 200, aggregated[path], "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
            return status(406, "NotAcceptable", "only aggregated discovery is served")
        if path == "/version": return 200, load("version.json")["body"]
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["api"] and len(parts) >= 2: group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3: group, version, rest = parts[1], parts[2], parts[3:]
        else: return 404, "404 page not found\n", "text/plain; charset=utf-8"
        namespace = None
        if len(rest) >= 2 and rest[0] == "namespaces" and (len(rest) >= 3):
            namespace, rest = rest[1], rest[2:]
        if not rest or (group, version, rest[0]) not in resources:
            return 404, "404 page not found\n", "text/plain; charset=utf-8"
        plural, name = rest[0], (urllib.parse.unquote(rest[1]) if len(rest) > 1 else None)
        info = resources[(group, version, plural)]
        if not info["namespaced"]: namespace = None
        ns = namespace or ""
        key = (group, plural, ns, name)
        dry = query.get("dryRun") == "All"
        strict = query.get("fieldValidation") == "Strict"
        if name is None and method == "GET": return self.list(group, version, plural, info, namespace, query)
        if name is None and method == "POST":
            obj = json.loads(raw)
            name = dig(obj, "metadata", "name")
            key = (group, plural, ns, name)
            if namespace and ("", "namespaces", "", namespace) not in objects:
                return status(404, "NotFound", f'namespaces "{namespace}" not found', {"name": namespace, "kind": "namespaces"})
            if obj.get("apiVersion") != (f"{group}/{version}" if group else version):
                return status(400, "BadRequest", f'the API version in the data ({obj.get("apiVersion")}) does not match the expected API version ({group}/{version})')
            problem = validate(obj, group, version, info["kind"], strict)
            if problem: return problem
            if key in objects:
                return status(409, "AlreadyExists", f'{plural} "{name}" already exists', {"name": name, "kind": plural})
            return self.store(key, obj, info, group, version, dry, manager=query.get("fieldManager", "unknown"), created=True)
        if name is None: return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if method == "GET":
            if key not in objects: return status(404, "NotFound", f'{plural} "{name}" not found', {"name": name, "kind": plural})
            advance(key, objects[key])
            return 200, self.public(objects[key])
        if method == "DELETE":
            if key not in objects: return status(404, "NotFound", f'{plural} "{name}" not found', {"name": name, "kind": plural})
            options = json.loads(raw) if raw else {}
            wanted = options.get("preconditions") or {}
            live_meta = objects[key]["metadata"]
            for field in ("uid", "resourceVersion"):
                if wanted.get(field) and wanted[field] != live_meta.get(field):
                    return status(409, "Conflict", f'Operation cannot be fulfilled on {plural} "{name}": Precondition failed: {field}: {wanted[field]}, object {field}: {live_meta.get(field)}',
                                  {"name": name, "kind": plural})
            gone = objects.pop(key)
            hidden.pop(key, None)
            if (group, plural) == ("apiextensions.k8s.io", "customresourcedefinitions"): remove_crd(gone)
            return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                         "details": {"name": name, "kind": plural, "uid": gone["metadata"]["uid"]}}
        if method == "PATCH":
            content_type = self.headers.get("Content-Type", "")
            patch = json.loads(raw)
            manager = query.get("fieldManager", "unknown")
            if content_type.startswith("application/apply-patch+yaml"):
                if namespace and ("", "namespaces", "", namespace) not in objects:
                    return status(404, "NotFound", f'namespaces "{namespace}" not found', {"name": namespace, "kind": "namespaces"})
                return self.apply(key, patch, info, group, version, dry, strict, manager, query.get("force") == "true")
            if not content_type.startswith("application/merge-patch+json"):
                return status(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/apply-patch+yaml")
            if key not in objects: return status(404, "NotFound", f'{plural} "{name}" not found', {"name": name, "kind": plural})
            live = self.public(objects[key])
            wanted = dig(patch, "metadata", "resourceVersion")
            if wanted and wanted != live["metadata"]["resourceVersion"]:
                return status(409, "Conflict", f'Operation cannot be fulfilled on {plural} "{name}": the object has been modified; please apply your changes to the latest version and try again',
                              {"name": name, "kind": plural})
            patched = merge(patch, live)
            patched["status"] = live.get("status")
            if patched["status"] is None: patched.pop("status")
            if plural == "deployments" and dig(patched, "spec", "selector") != dig(live, "spec", "selector"):
                return status(422, "Invalid", f'Deployment.apps "{name}" is invalid: spec.selector: Invalid value: field is immutable',
                              {"name": name, "group": "apps", "kind": "Deployment",
                               "causes": [{"reason": "FieldValueInvalid", "field": "spec.selector", "message": "field is immutable"}]})
            problem = validate(patched, group, version, info["kind"], strict)
            if problem: return problem
            return self.store(key, patched, info, group, version, dry, manager=manager, created=False)
        return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def store(self, key, obj, info, group, version, dry, manager, created, owned=None):
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        live = objects.get(key)
        if live is None:
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = timestamp()
            if "spec" in obj: meta["generation"] = 1
        else:
            meta["uid"] = live["metadata"]["uid"]
            meta["creationTimestamp"] = live["metadata"]["creationTimestamp"]
            if "spec" in obj:
                generation = live["metadata"].get("generation", 1)
                meta["generation"] = generation + 1 if obj.get("spec") != live.get("spec") else generation
        if key[2]: meta["namespace"] = key[2]
        obj["apiVersion"] = f"{group}/{version}" if group else version
        obj["kind"] = info["kind"]
        default(obj, key)
        if dry:
            meta["resourceVersion"] = live["metadata"]["resourceVersion"] if live else ""
            return (201 if live is None else 200), obj
        revision[0] += 1
        meta["resourceVersion"] = str(revision[0])
        managers = dict(live.get("_managers", {})) if live else {}
        if owned is not None: managers[manager] = owned
        obj["_managers"] = managers
        meta["managedFields"] = [{"manager": m, "operation": "Apply", "apiVersion": obj["apiVersion"], "fieldsType": "FieldsV1",
                                  "fieldsV1": {}} for m in sorted(managers)] or [{"manager": manager, "operation": "Update",
                                  "apiVersion": obj["apiVersion"], "fieldsType": "FieldsV1", "fieldsV1": {}}]
        objects[key] = obj
        if key[:2] == ("apiextensions.k8s.io", "customresourcedefinitions"):
            obj["status"] = {"conditions": [{"type": "NamesAccepted", "status": "True"}, {"type": "Established", "status": "True"}]}
            add_crd(obj)
        advance(key, obj)
        return (201 if live is None else 200), self.public(obj)

    def public(self, obj):
        return {k: v for k, v in obj.items() if k != "_managers"}

    def apply(self, key, patch, info, group, version, dry, strict, manager, force):
        problem = validate(patch, group, version, info["kind"], strict)
        if problem: return problem
        live = objects.get(key)
        mine = owned_paths(patch)
        if live is not None:
            conflicts = []
            for other, paths in live.get("_managers", {}).items():
                if other == manager: continue
                for path, value in paths.items():
                    if path in mine and mine[path] != value: conflicts.append((other, path))
            if conflicts and not force:
                shown = ", ".join(f'conflict with "{o}": .{".".join(p)}' for o, p in conflicts)
                return status(409, "Conflict", f"Apply failed with {len(conflicts)} conflict{'s' if len(conflicts) > 1 else ''}: {shown}",
                              {"causes": [{"reason": "FieldManagerConflict", "message": f'conflict with "{o}"', "field": "." + ".".join(p)}
                                          for o, p in conflicts]})
            if force and not dry:
                for other in list(live.get("_managers", {})):
                    if other != manager:
                        live["_managers"][other] = {p: v for p, v in live["_managers"][other].items() if p not in mine}
            # Fields this manager applied before and no longer applies are removed.
            base = copy.deepcopy(self.public(live))  # without the server's bookkeeping
            previous = live.get("_managers", {}).get(manager, {})
            others = set().union(*[set(p) for m, p in live.get("_managers", {}).items() if m != manager]) if live.get("_managers") else set()
            for path in previous:
                if path not in mine and path not in others:
                    parent = base
                    for part in path[:-1]: parent = parent.get(part, {}) if isinstance(parent, dict) else {}
                    if isinstance(parent, dict): parent.pop(path[-1], None)
            merged = merge(patch, base)
        else:
            merged = patch
        return self.store(key, merged, info, group, version, dry, manager=manager, created=live is None, owned=mine)

    def list(self, group, version, plural, info, namespace, query):
        selector = {}
        for term in filter(None, query.get("labelSelector", "").split(",")):
            name, _, value = term.partition("=")
            selector[name] = value
        found = sorted((k, v) for k, v in objects.items() if k[0] == group and k[1] == plural and (namespace is None or k[2] == namespace)
                       and all(dig(v, "metadata", "labels", n) == value for n, value in selector.items()))
        start = int(base64.b64decode(query["continue"]).decode()) if query.get("continue") else 0
        limit = int(query.get("limit", 0)) or len(found)
        page = found[start:start + limit]
        for k, v in page: advance(k, v)
        meta = {"resourceVersion": str(revision[0])}
        if start + limit < len(found):
            meta["continue"] = base64.b64encode(str(start + limit).encode()).decode()
            meta["remainingItemCount"] = len(found) - start - limit
        return 200, {"kind": info["kind"] + "List", "apiVersion": f"{group}/{version}" if group else version,
                     "metadata": meta, "items": [listed(self.public(v)) for _, v in page]}

    def do_GET(self): self.handle_any("GET")
    def do_POST(self): self.handle_any("POST")
    def do_PATCH(self): self.handle_any("PATCH")
    def do_DELETE(self): self.handle_any("DELETE")
    def do_PUT(self): self.handle_any("PUT")
    def log_message(self, *args): pass

for namespace in ("default", "kube-system", "kube-public"):
    objects[("", "namespaces", "", namespace)] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": namespace, "uid": str(uuid.uuid4()), "resourceVersion": "1", "creationTimestamp": timestamp()}, "spec": {}, "_managers": {}}

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), API)
if tls:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls[0], tls[1])
    context.load_verify_locations(tls[2])
    context.verify_mode = ssl.CERT_OPTIONAL
    server.socket = context.wrap_socket(server.socket, server_side=True)
print("listening", server.server_address[1], flush=True)
server.serve_forever()
