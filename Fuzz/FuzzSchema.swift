// libFuzzer target for the offline schema validator (built by scripts/build-fuzzers.sh into
// the SluiceSchemas module, so it reaches internal types). The input is
// JSON: read as an OpenAPI document, as a CRD whose schemas are compiled, and as an object
// checked against every kind either defines. Any input may be rejected; none may crash or
// hang (the compile and step budgets bound the work).
import SluiceYAML

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSchema(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let value = try? JSONReader.read(text) else { return 0 }
    let documents = try? KubernetesSchemas(documents: [("fuzz.json", text)])
    let (crds, _) = CustomResourceSchemas.from(crd: value)
    let object = value["object"] ?? value
    for kind in crds.roots.keys {
        _ = (documents ?? emptySchemas).violations(of: object, apiVersion: kind.apiVersion, kind: kind.kind,
                                                   customResources: crds, stepBudget: 200_000)
    }
    if let documents {
        for kind in documents.kinds.keys.prefix(8) {
            _ = documents.violations(of: object, apiVersion: kind.apiVersion, kind: kind.kind,
                                     customResources: crds, stepBudget: 200_000)
        }
    }
    return 0
}

private let emptySchemas: KubernetesSchemas = {
    do { return try KubernetesSchemas(documents: []) } catch { fatalError("\(error)") }
}()
