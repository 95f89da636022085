import SluiceModel
import SluiceYAML
@testable import SluiceRender
import Testing

/// Template behaviour, with expectations taken from Go text/template and Helm's documentation.
@Suite(.timeLimit(.minutes(10))) struct TemplateTests {
    static let data: Value = .map([
        "Values": .map([
            "name": .string("web"), "replicas": .int(3), "enabled": .bool(true), "off": .bool(false),
            "ratio": .double(0.25), "empty": .string(""), "zero": .int(0), "nothing": .null,
            "list": .list([.string("a"), .string("b"), .string("c")]),
            "labels": .map(["tier": .string("front"), "app": .string("web"), "zone": .string("b")]),
            "resources": .map(["limits": .map(["cpu": .string("1"), "memory": .string("1Gi")])]),
            "multi": .string("line1\nline2"),
        ]),
        "Cluster": .map(["name": .string("prod-1"), "labels": .map(["region": .string("eu")])]),
        "Images": .map(["main": .string("reg/app:1.0")]),
    ])

    func render(_ template: String, helpers: String? = nil) throws -> String {
        var sources = [TemplateSource(path: "addons/a/templates/t.yaml", text: template)]
        if let helpers { sources.append(TemplateSource(path: "addons/a/templates/_helpers.tpl", text: helpers)) }
        let library = try TemplateLibrary(folder: "addons/a", sources: sources)
        var evaluator = TemplateEvaluator(library: library, file: "addons/a/templates/t.yaml")
        return try evaluator.render(try #require(library.manifests.first), data: Self.data)
    }

    func failure(_ template: String) -> String {
        do {
            _ = try render(template)
            return "no error"
        } catch let error as TemplateError {
            return error.description
        } catch let error as ValidationFailure {
            return error.description
        } catch {
            return "\(error)"
        }
    }

    @Test func fieldsAndLiterals() throws {
        #expect(try render("{{ .Values.name }}/{{ .Values.replicas }}/{{ .Values.ratio }}/{{ .Values.enabled }}") == "web/3/0.25/true")
        #expect(try render("{{ .Cluster.labels.region }} {{ .Images.main }}") == "eu reg/app:1.0")
        #expect(try render(#"{{ "quoted" }} {{ `raw\n` }} {{ 42 }} {{ -1.5 }} {{ true }}"#) == #"quoted raw\n 42 -1.5 true"#)
        #expect(try render("{{ .Values.list }} {{ .Values.labels }}") == "[a b c] map[app:web tier:front zone:b]")
        #expect(try render("[{{ .Values.nothing }}]") == "[]")
    }

    @Test func whitespaceTrimming() throws {
        #expect(try render("a  \n  {{- .Values.name -}}  \n  b") == "awebb")
        #expect(try render("a {{- 3 }} b") == "a3 b")
        #expect(try render("x\n{{- /* a comment */ -}}\ny") == "xy")
        #expect(try render("{{-3}}") == "-3")  // no space: a negative number, not a trim marker
        #expect(try render("items:\n{{- range .Values.list }}\n- {{ . }}\n{{- end }}\n") == "items:\n- a\n- b\n- c\n")
    }

    @Test func conditionals() throws {
        let t = "{{ if .Values.off }}A{{ else if .Values.zero }}B{{ else if .Values.enabled }}C{{ else }}D{{ end }}"
        #expect(try render(t) == "C")
        #expect(try render("{{ if .Values.missing }}yes{{ else }}no{{ end }}") == "no")
        #expect(try render("{{ if and .Values.enabled (not .Values.off) }}ok{{ end }}") == "ok")
        #expect(try render("{{ or .Values.empty .Values.zero \"fallback\" }}") == "fallback")
        #expect(try render("{{ and .Values.enabled .Values.name }}") == "web")
        // and/or stop at the decisive argument, so a failing call after it never runs.
        #expect(try render("{{ if or .Values.enabled (required \"x\" .Values.missing) }}ok{{ end }}") == "ok")
        #expect(try render("{{ with .Values.labels }}{{ .tier }}{{ end }}{{ with .Values.missing }}x{{ else }}none{{ end }}") == "frontnone")
    }

    @Test func rangeOverListsMapsAndWithVariables() throws {
        #expect(try render("{{ range $i, $v := .Values.list }}{{ $i }}={{ $v }},{{ end }}") == "0=a,1=b,2=c,")
        #expect(try render("{{ range $k, $v := .Values.labels }}{{ $k }}:{{ $v }};{{ end }}") == "app:web;tier:front;zone:b;")
        #expect(try render("{{ range .Values.missing }}x{{ else }}empty{{ end }}") == "empty")
        #expect(try render("{{ range .Values.list }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}") == "a")
        #expect(try render("{{ range .Values.list }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}") == "ac")
        #expect(try render("{{ $x := 1 }}{{ range .Values.list }}{{ $x = . }}{{ end }}{{ $x }}") == "c")
        #expect(try render("{{ range .Values.list }}{{ $.Values.name }}{{ end }}") == "webwebweb")
    }

    @Test func helmFunctions() throws {
        #expect(try render("{{ .Values.missing | default \"d\" }} {{ .Values.empty | default \"e\" }} {{ .Values.zero | default 7 }} {{ .Values.name | default \"x\" }}") == "d e 7 web")
        #expect(try render(#"{{ .Values.name | quote }} {{ .Values.replicas | quote }} {{ "a\"b\n" | quote }} {{ .Values.name | squote }}"#) == #""web" "3" "a\"b\n" 'web'"#)
        #expect(try render("{{ .Values.name | upper }} {{ \"  x  \" | trim }} {{ .Values.name | replace \"w\" \"W\" }} {{ \"ABC\" | lower }}") == "WEB x Web abc")
        #expect(try render("{{ printf \"%s-%d-%05.2f-%v-%q-%x\" .Values.name .Values.replicas 3.14159 .Values.enabled \"q\" 255 }}") == "web-3-03.14-true-\"q\"-ff")
        #expect(try render("{{ .Values.name | b64enc }} {{ \"d2Vi\" | b64dec }}") == "d2Vi web")
        #expect(try render("{{ \"abc\" | sha256sum }}") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try render("{{ toJson .Values.labels }}") == #"{"app":"web","tier":"front","zone":"b"}"#)
        #expect(try render("{{ eq .Values.replicas 3 }} {{ ne .Values.name \"web\" }} {{ lt 1 2 }} {{ gt 1.5 2 }} {{ eq .Values.name \"x\" \"web\" }}") == "true false true false true")
        #expect(try render("{{ len .Values.list }} {{ index .Values.list 1 }} {{ index .Values.labels \"tier\" }} {{ join \",\" .Values.list }}") == "3 b front a,b,c")
    }

    @Test func toYamlIndentAndNindent() throws {
        let template = """
            resources:
              {{- toYaml .Values.resources | nindent 2 }}
            labels:
            {{ toYaml .Values.labels | indent 2 }}
            note: {{ .Values.multi | toYaml | indent 2 | trim }}
            """
        #expect(try render(template) == """
            resources:
              limits:
                cpu: "1"
                memory: 1Gi
            labels:
              app: web
              tier: front
              zone: b
            note: |-
                line1
                line2
            """)
    }

    @Test func defineAndInclude() throws {
        let helpers = """
            {{- define "labels" -}}
            app: {{ .Values.name }}
            cluster: {{ .Cluster.name }}
            {{- end -}}
            {{- define "nested" }}[{{ include "labels" . | replace "\\n" "," }}]{{ end -}}
            """
        #expect(try render("metadata:\n  labels:\n    {{- include \"labels\" . | nindent 4 }}", helpers: helpers)
                == "metadata:\n  labels:\n    app: web\n    cluster: prod-1")
        #expect(try render("{{ template \"nested\" . }}", helpers: helpers) == "[app: web,cluster: prod-1]")
        #expect(try render("{{ include \"templates/_helpers.tpl\" . | trim }}", helpers: helpers) == "")
    }

    @Test func missingKeysAreErrorsNamingFileLineAndKey() {
        #expect(failure("a\nb: {{ .Values.replicaCount }}") ==
                "addons/a/templates/t.yaml:2:7: map has no entry for key .Values.replicaCount; set it in values.yaml or the cluster's meta-config, or use `default`")
        #expect(failure("{{ .Values.nope.deeper | quote }}").contains("map has no entry for key .Values.nope.deeper"))
        #expect(failure("{{ .Values.name.field }}").hasSuffix("can't evaluate field field in type string (at .Values.name.field)"))
    }

    @Test func requiredFailsWithItsMessage() {
        #expect(failure("x\n  {{ required \"set .Values.host\" .Values.host }}") == "addons/a/templates/t.yaml:2:6: set .Values.host")
        #expect(failure("{{ required \"empty!\" .Values.empty }}").hasSuffix("empty!"))
    }

    @Test func syntaxErrorsArePositioned() {
        #expect(failure("ok\n{{ if .Values.enabled }}x") == "addons/a/templates/t.yaml:2:4: {{if}} without {{end}}")
        #expect(failure("{{ end }}") == "addons/a/templates/t.yaml:1:4: unexpected {{end}} with no open block")
        #expect(failure("{{ .Values.name | nosuch }}") == "addons/a/templates/t.yaml:1:19: function \"nosuch\" not defined")
        #expect(failure("{{ .Values.name | uppr }}").hasSuffix("function \"uppr\" not defined; did you mean \"upper\"?"))
        #expect(failure("{{ \"unterminated }}") == "addons/a/templates/t.yaml:1:4: unterminated quoted string")
        #expect(failure("{{ break }}") == "addons/a/templates/t.yaml:1:4: {{break}} outside {{range}}")
        #expect(failure("{{ include \"nope\" . }}").hasSuffix("no template named \"nope\" in this add-on"))
    }

    @Test func includeCannotLeaveTheAddonFolder() {
        #expect(failure("{{ include \"../b/templates/x.yaml\" . }}") ==
                "addons/a/templates/t.yaml:1:4: include \"../b/templates/x.yaml\" reaches outside the add-on folder addons/a; templates can only include their own add-on's files")
        #expect(failure("{{ include \"/etc/passwd\" . }}").contains("reaches outside the add-on folder"))
    }

    @Test func recursionIsBounded() {
        let library = try? TemplateLibrary(folder: "addons/a", sources: [
            TemplateSource(path: "addons/a/templates/t.yaml", text: "{{ define \"loop\" }}{{ include \"loop\" . }}{{ end }}{{ include \"loop\" . }}"),
        ])
        guard let library, let template = library.manifests.first else {
            Issue.record("library did not parse")
            return
        }
        var evaluator = TemplateEvaluator(library: library, file: template.file)
        #expect { try evaluator.render(template, data: Value.null) } throws: { error in
            (error as? TemplateError)?.limit == .includeDepth
        }
    }

    @Test func duplicateDefinesAcrossFilesAreErrors() {
        #expect(throws: ValidationFailure.self) {
            try TemplateLibrary(folder: "addons/a", sources: [
                TemplateSource(path: "addons/a/templates/_a.tpl", text: "{{ define \"x\" }}1{{ end }}"),
                TemplateSource(path: "addons/a/templates/_b.tpl", text: "{{ define \"x\" }}2{{ end }}"),
            ])
        }
    }
}
