import SluiceModel
import SluiceTestSupport
import SluiceYAML
import Testing

/// `values.schema.json` as Helm v4's validator reads it (the differential test against real
/// Helm is `SchemaDifferentialTests`): the cases its behaviour surprised us with, and bounds.
@Suite struct ValuesSchemaTests {
    func violations(_ schema: String, _ values: String) throws -> [ValuesSchema.Violation]? {
        let parsed = try ValuesSchema(json: Array(schema.utf8), file: "values.schema.json")
        return parsed.violations(of: Value(try YAMLParser().parseSingle(Array(values.utf8), file: "values")))
    }

    @Test func multipleOfIsDecimalNotBinary() throws {
        #expect(try violations(##"{"multipleOf": 0.1}"##, "0.3") == [])
        #expect(try violations(##"{"multipleOf": 0.5}"##, "1.25")?.count == 1)
    }

    @Test func anIntegerIsANumberWithoutFraction() throws {
        #expect(try violations(##"{"type": "integer"}"##, "2.0") == [])
        #expect(try violations(##"{"type": "integer"}"##, "1e20") == [])
        #expect(try violations(##"{"type": "integer"}"##, "1.5")?.first?.message == "got number, want integer")
    }

    @Test func theDraftDecidesWhatAppliesBesideARef() throws {
        let siblings = ##"{"$defs": {"d": true}, "properties": {"v": {"$ref": "#/$defs/d", "enum": [1], "const": 2}}}"##
        // 2020-12: every sibling applies.
        #expect(try violations(siblings, "v: 3")?.count == 2)
        // Draft 7: siblings are ignored, except `const` (Helm's validator, measured).
        let draft7 = siblings.replacingOccurrences(of: ##"{"$defs""##, with: ##"{"$schema": "http://json-schema.org/draft-07/schema##", "$defs""##)
        #expect(try violations(draft7, "v: 3")?.map(\.message) == ["value must be 2"])
    }

    @Test func pathsPointAtTheValueAtFault() throws {
        let found = try violations(##"{"properties": {"a": {"items": {"properties": {"b/c": {"type": "string"}}}}}}"##, "a: [{b/c: 1}]")
        #expect(found?.map(\.pointer) == ["/a/0/b~1c"])
    }

    @Test func referenceCyclesAndDeepValuesAreBounded() throws {
        // A schema that refers to itself forever ends with "too much work", never a hang.
        #expect(try violations(##"{"$ref": "#"}"##, "1") == nil)
        var deep = "1"
        for _ in 0..<220 { deep = "[\(deep)]" }
        #expect(try violations(##"{"$defs": {"l": {"items": {"$ref": "#/$defs/l"}}}, "$ref": "#/$defs/l"}"##, deep) == nil)
    }

    @Test(arguments: [##"{"type": "text"}"##, ##"{"minLength": -1}"##, ##"{"pattern": "("}"##, ##"{"$ref": "#/nowhere"}"##,
                      ##"{"$ref": "other.json"}"##, ##"{"required": ["a", "a"]}"##, ##"{"allOf": []}"##, ##"{"unevaluatedItems": false}"##, "[1]"])
    func aSchemaThatIsNotOneIsRefused(schema: String) {
        #expect(throws: ValuesSchema.SchemaError.self) { try ValuesSchema(json: Array(schema.utf8), file: "values.schema.json") }
    }

    /// Bounded mutation fuzz: a schema using most keywords, bytes flipped, cut and doubled,
    /// against mutated values; each ends with violations, an error, or "too much work".
    @Test func mutatedSchemasEndWithAnAnswer() throws {
        let seed = ##"""
        {"$defs": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
         "type": "object", "required": ["image"],
         "properties": {"image": {"type": "object", "properties": {"tag": {"type": "string", "pattern": "^v[0-9.]+$", "maxLength": 20}},
                                  "additionalProperties": false},
                        "ports": {"type": "array", "items": {"$ref": "#/$defs/port"}, "uniqueItems": true, "minItems": 1},
                        "mode": {"enum": ["a", "b", null]}, "ratio": {"multipleOf": 0.25, "exclusiveMaximum": 1},
                        "extra": {"anyOf": [{"type": "string"}, {"not": {"type": "null"}}], "if": {"const": 1}, "then": {"minimum": 2}}},
         "patternProperties": {"^x-": {"type": "string"}}, "propertyNames": {"maxLength": 10},
         "dependentRequired": {"ports": ["mode"]}}
        """##
        let values = try YAMLParser().parseSingle(Array("image: {tag: v1.2}\nports: [80, 443]\nmode: a\nratio: 0.5\nx-a: b\n".utf8), file: "v")
        let noise = Array("{}[]\":,-0123456789.eE truefalsnul$#/".utf8)
        var random = SeededRandom(seed: 11)
        var answered = 0, refused = 0
        for _ in 0..<2_000 {
            var bytes = Array(seed.utf8)
            for _ in 0..<(1 + random.next(upTo: 3)) {
                let at = random.next(upTo: bytes.count)
                switch random.next(upTo: 3) {
                case 0: bytes[at] = noise[random.next(upTo: noise.count)]
                case 1: bytes.remove(at: at)
                default: bytes.insert(contentsOf: bytes[at...].prefix(12), at: at)
                }
            }
            guard let schema = try? ValuesSchema(json: bytes, file: "s") else { refused += 1; continue }
            answered += 1
            _ = schema.violations(of: Value(values))
        }
        #expect(answered > 200 && refused > 200, "answered \(answered), refused \(refused)")
    }
}
