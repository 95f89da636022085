{{- define "ingress.selector" -}}
app.kubernetes.io/name: ingress-nginx
app.kubernetes.io/component: controller
{{- end }}
