{5Ž{-{{ range $i, $e0o= .Values.list }}{{ printf "%%d" (toYaml $e) }}{{ end }}{{ include "h" . }}€{ int .Ralues.ivf }}
