{{/* The labels every object of the release carries. */}}
{{- define "event-exporter.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The exporter's configuration: the running exporter and the pre-upgrade check read the same text. */}}
{{- define "event-exporter.config" -}}
logLevel: info
logFormat: json
maxEventAgeSeconds: {{ .Values.maxEventAgeSeconds }}
route:
  routes:
    - match:
        - receiver: log-pipeline
receivers:
  - name: log-pipeline
    tcp:
      address: {{ printf "%s:%d" .Values.sink.host (int .Values.sink.port) | quote }}
{{- end }}

{{- define "event-exporter.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end }}
