#!/bin/sh
# Builds the coverage-guided fuzz targets (libFuzzer, `swiftc -sanitize=fuzzer`) into
# .build/fuzz: fuzz-yaml (SluiceYAML's readers), fuzz-regex (Go's regular expressions), fuzz-values-schema (a chart's
# values.schema.json), fuzz-template (SluiceRender's template
# parser and evaluator) fuzz-schema (SluiceSchemas, the offline schema validator) and fuzz-webhook
# (SluiceServer's webhook deliveries). Each target is compiled into the module it tests, so that it
# reaches internal types; the modules it imports are built instrumented first.
set -eu
out=.build/fuzz
mkdir -p "$out"
flags="-sanitize=fuzzer -parse-as-library -O -g -swift-version 6 -package-name Sluice"
# Lower modules, instrumented, as static libraries.
swiftc $flags -emit-library -static -emit-module -module-name SluiceGit -I Sources/CGit2 \
  -emit-module-path "$out/SluiceGit.swiftmodule" -o "$out/libSluiceGit.a" Sources/SluiceGit/*.swift
swiftc $flags -emit-library -static -emit-module -module-name SluiceYAML -I Sources/CYAML \
  -emit-module-path "$out/SluiceYAML.swiftmodule" -o "$out/libSluiceYAML.a" Sources/SluiceYAML/*.swift
swiftc $flags -emit-library -static -emit-module -module-name SluiceModel -I Sources/CYAML -I Sources/CGit2 -I Sources/CZlib -I "$out" \
  -emit-module-path "$out/SluiceModel.swiftmodule" -o "$out/libSluiceModel.a" Sources/SluiceModel/*.swift
# The targets.
swiftc $flags -module-name SluiceModel -I Sources/CYAML -I Sources/CGit2 -I Sources/CZlib -I "$out" -L "$out" \
  -lSluiceYAML -lSluiceGit -lyaml -lgit2 -lz -o "$out/fuzz-regex" Sources/SluiceModel/*.swift Fuzz/FuzzRegex.swift
swiftc $flags -module-name SluiceModel -I Sources/CYAML -I Sources/CGit2 -I Sources/CZlib -I "$out" -L "$out" \
  -lSluiceYAML -lSluiceGit -lyaml -lgit2 -lz -o "$out/fuzz-values-schema" Sources/SluiceModel/*.swift Fuzz/FuzzValuesSchema.swift
swiftc $flags -module-name SluiceYAML -I Sources/CYAML -lyaml -o "$out/fuzz-yaml" Sources/SluiceYAML/*.swift Fuzz/FuzzYAML.swift
swiftc $flags -module-name SluiceRender -I Sources/CYAML -I Sources/CGit2 -I Sources/CCrypto -I Sources/CZlib -I "$out" -L "$out" \
  -lSluiceModel -lSluiceYAML -lSluiceGit -lyaml -lgit2 -lcrypto -lz -o "$out/fuzz-template" Sources/SluiceRender/*.swift Fuzz/FuzzTemplate.swift
swiftc $flags -module-name SluiceSchemas -I Sources/CYAML -I "$out" -L "$out" -lSluiceYAML -lyaml -o "$out/fuzz-schema" \
  Sources/SluiceSchemas/*.swift Fuzz/FuzzSchema.swift
swiftc $flags -module-name SluiceServer -I Sources/CCrypto -lcrypto -o "$out/fuzz-webhook" \
  Sources/SluiceServer/WebhookDelivery.swift Sources/SluiceServer/Digests.swift Fuzz/FuzzWebhook.swift
echo "built $out/fuzz-yaml, $out/fuzz-regex, $out/fuzz-values-schema, $out/fuzz-template, $out/fuzz-schema and $out/fuzz-webhook"
