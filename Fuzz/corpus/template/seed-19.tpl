apiVersion: v1
kind: Namespace
metadata:
  name: {{ .Addon.namespace }}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-exporter
spec:
  selector:
    matchLabels:
      app: node-exporter
  template:
    metadata:
      labels:
        app: node-exporter
    spec:
      hostPID: true
      tolerations:
        - operator: Exists
      containers:
        - name: node-exporter
          image: {{ .Images.nodeExporter }}
          args:
            - --path.rootfs=/host
            - --web.listen-address=:9100
          ports:
            - {name: metrics, containerPort: 9100}
          resources:
            {{- toYaml .Values.nodeExporter.resources | nindent 12 }}
          volumeMounts:
            - {name: root, mountPath: /host, readOnly: true, mountPropagation: HostToContainer}
      volumes:
        - name: root
          hostPath: {path: /}
