{{/* Labels shared by every calico object. */}}
{{- define "calico.labels" -}}
app.kubernetes.io/name: calico
app.kubernetes.io/version: {{ .Addon.version | quote }}
{{- end }}
