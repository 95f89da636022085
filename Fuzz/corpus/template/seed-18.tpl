apiVersion: v1
kind: ConfigMap
metadata:
  name: prometheus-agent
data:
  prometheus.yml: |
    global:
      scrape_interval: {{ .Values.scrapeInterval }}
      external_labels:
        cluster: {{ .Cluster.name }}
        region: {{ .Cluster.labels.region }}
        tier: {{ .Cluster.labels.tier }}
    scrape_configs:
      - job_name: node-exporter
        kubernetes_sd_configs: [{role: node}]
        relabel_configs:
          - source_labels: [__address__]
            regex: (.+):10250
            replacement: $1:9100
            target_label: __address__
    remote_write:
      - url: {{ .Values.remoteWrite.url }}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: prometheus-agent
spec:
  serviceName: prometheus-agent
  replicas: {{ .Values.agent.replicas }}
  selector:
    matchLabels:
      app: prometheus-agent
  template:
    metadata:
      labels:
        app: prometheus-agent
    spec:
      containers:
        - name: prometheus
          image: {{ .Images.agent }}
          args:
            - --enable-feature=agent
            - --config.file=/etc/prometheus/prometheus.yml
            - --storage.agent.retention.max-time={{ .Values.agent.retention }}
          resources:
            limits: {cpu: "1", memory: 2Gi}
          volumeMounts:
            - {name: config, mountPath: /etc/prometheus}
            - {name: data, mountPath: /prometheus}
      volumes:
        - name: config
          configMap: {name: prometheus-agent}
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 10Gi
