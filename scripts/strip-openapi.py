#!/usr/bin/env python3
"""Copies the OpenAPI v3 documents a real kube-apiserver served (../shared/k8s-api/openapi,
v1.28) into Tests/Fixtures/openapi for the tests, smaller: descriptions and paths removed,
only the group-version documents (api-v1.json, apis-<group>-<version>.json). What a
validator reads (components.schemas with $refs and x-kubernetes-* extensions) is unchanged.

usage: scripts/strip-openapi.py SOURCE_DIR DEST_DIR"""
import json, os, re, sys

def strip(value):
    """A schema without its descriptions; a field named `description` stays."""
    if isinstance(value, dict):
        return {k: ({name: strip(p) for name, p in v.items()} if k == "properties" and isinstance(v, dict) else strip(v))
                for k, v in value.items() if k != "description"}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value

source, dest = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(source)):
    if not re.fullmatch(r"(api-v1|apis-.+-v\d+((alpha|beta)\d+)?)\.json", name):
        continue
    document = json.load(open(os.path.join(source, name)))
    kept = {"openapi": document["openapi"], "info": document.get("info", {}),
            "components": {"schemas": strip(document["components"]["schemas"])}}
    with open(os.path.join(dest, name), "w") as out:
        json.dump(kept, out, separators=(",", ":"), sort_keys=True)
        out.write("\n")
