import SluiceYAML
/// `releases/<name>.yaml`: which add-ons, at which version and images, make a release.
public struct AddonRelease: Sendable {
    public struct Entry: Sendable {
        public var addon: Located<String>
        public var version: Located<String>
        public var images: [String: Located<String>]
        /// A chart add-on's values for this release (its image tags and digests, say), over
        /// the chart's `values.yaml`; nil when the entry gives none.
        public var values: Located<Value>? = nil
        /// Where the entry's value starts (its `{` or first field), for errors about it.
        public var mark: Mark? = nil
    }

    public var header: ObjectHeader
    public var version: Located<String>
    /// In the order written.
    public let entries: [Entry]
    /// Where each add-on's entry is in `entries`: rendering asks once per (cluster, add-on).
    private let index: [String: Int]

    public init(header: ObjectHeader, version: Located<String>, entries: [Entry]) {
        self.header = header
        self.version = version
        self.entries = entries
        var index: [String: Int] = [:]
        for (position, entry) in entries.enumerated() where index[entry.addon.value] == nil {
            index[entry.addon.value] = position
        }
        self.index = index
    }

    public var name: String { header.name.value }

    public func entry(for addon: String) -> Entry? { index[addon].map { entries[$0] } }

    static func read(_ node: YAMLNode, file: String, sink: DiagnosticSink) -> AddonRelease? {
        guard let (header, spec) = ObjectHeader.read(node, file: file, sink: sink, kind: "AddonRelease",
                                                     specFields: ["version", "addons", "description"]),
              let spec else { return nil }
        let version = spec.string("version", required: true) ?? Located("", at: spec.node.mark)
        var entries: [Entry] = []
        if let addons = spec["addons"] {
            guard let pairs = addons.mapping else {
                sink.error(file, addons.mark, "spec.addons must be a mapping of add-on name to {version, images}")
                return AddonRelease(header: header, version: version, entries: [])
            }
            for pair in pairs {
                guard let name = pair.key.scalar?.text else { continue }
                let path = "spec.addons.\(name)"
                guard let entry = NodeReader(pair.value, file: file, sink: sink, path: path, fields: ["version", "images", "values"])
                else { continue }
                let entryVersion = entry.string("version", required: true) ?? Located("", at: pair.value.mark)
                let images = entry.stringMap("images")
                // A chart add-on takes its images from values; a native one needs `images`
                // (checked with the add-ons, `FleetValidator`).
                var values: Located<Value>?
                if let node = entry["values"], !node.isNull {
                    if node.mapping == nil {
                        sink.error(file, node.mark, "\(path).values must be a mapping, found \(node.kindDescription)")
                    } else {
                        values = Located(Value(node), at: node.mark)
                    }
                }
                for (imageName, image) in images.sorted(by: { $0.key < $1.key }) {
                    if let problem = ImageReference.problem(image.value) {
                        sink.error(file, image.mark, "\(path).images.\(imageName): \(problem)")
                    }
                }
                entries.append(Entry(addon: Located(name, at: pair.key.mark), version: entryVersion, images: images, values: values,
                                     mark: pair.value.mark))
            }
        } else {
            spec.missing("addons")
        }
        return AddonRelease(header: header, version: version, entries: entries)
    }
}

/// Container image references: `registry/repo:tag` or `registry/repo@sha256:<64 hex>`.
public enum ImageReference {
    public static func problem(_ image: String) -> String? {
        if image.isEmpty { return "image reference is empty" }
        if image.contains(where: { $0 == " " || $0 == "\t" }) { return "image reference \"\(image)\" contains whitespace" }
        if let at = image.firstIndex(of: "@") {
            let digest = image[image.index(after: at)...]
            guard digest.hasPrefix("sha256:"), digest.count == 71,
                  digest.dropFirst(7).allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                return "image digest in \"\(image)\" must be sha256: followed by 64 lowercase hex digits"
            }
            return nil
        }
        guard tag(of: image) != nil else {
            return "image \"\(image)\" has no tag; pin a version (repo:tag) or a digest (repo@sha256:...)"
        }
        return nil
    }

    /// The tag of `repo:tag` (a registry port such as `host:5000/repo` is not a tag).
    public static func tag(of image: String) -> String? {
        // Scan the bytes from the end: the rule checker asks for every container of every object.
        let bytes = image.utf8
        if bytes.contains(UInt8(ascii: "@")) { return nil }
        var index = bytes.endIndex
        while index > bytes.startIndex {
            let previous = bytes.index(before: index)
            switch bytes[previous] {
            case UInt8(ascii: "/"): return nil
            case UInt8(ascii: ":"): return index == bytes.endIndex ? nil : String(image[index...])
            default: index = previous
            }
        }
        return nil
    }
}
