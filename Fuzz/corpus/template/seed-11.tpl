apiVersion: v1
kind: Namespace
metadata:
  name: {{ .Addon.namespace }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: fluent-bit
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: fluent-bit
data:
  fluent-bit.conf: |
    [SERVICE]
        Flush        {{ .Values.flushSeconds }}
        Log_Level    {{ .Values.logLevel }}
        Parsers_File parsers.conf
    [INPUT]
        Name             tail
        Path             /var/log/containers/*.log
        multiline.parser docker, cri
        Tag              kube.*
        Mem_Buf_Limit    {{ .Values.memBufLimit }}
    [FILTER]
        Name   record_modifier
        Match  *
        Record cluster {{ .Cluster.name }}
        Record region {{ .Cluster.labels.region }}
    [OUTPUT]
        Name   forward
        Match  *
        Host   {{ .Values.output.host }}
        Port   {{ .Values.output.port }}
        tls    {{ if .Values.output.tls }}on{{ else }}off{{ end }}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluent-bit
spec:
  selector:
    matchLabels:
      app: fluent-bit
  template:
    metadata:
      labels:
        app: fluent-bit
    spec:
      serviceAccountName: fluent-bit
      tolerations:
        - operator: Exists
          effect: NoSchedule
      containers:
        - name: fluent-bit
          image: {{ .Images.main }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          volumeMounts:
            - {name: varlog, mountPath: /var/log, readOnly: true}
            - {name: config, mountPath: /fluent-bit/etc/}
      volumes:
        - name: varlog
          hostPath: {path: /var/log}
        - name: config
          configMap:
            name: fluent-bit
