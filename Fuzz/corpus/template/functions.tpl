{{ range $i, $e := .Values.list }}{{ printf "%5d" $i }}{{ indent 2 (toYaml $e) }}{{ end }}{{ include "h" . }}{{ int .Values.inf }}
