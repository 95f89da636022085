apiVersion: v1
kind: ConfigMap
metadata:
  name: node-local-dns
data:
  Corefile: |
    cluster.local:53 {
        errors
        cache {
            success 9984 30
            denial 9984 5
        }
        bind {{ .Values.localIP }}
        forward . {{ .Values.upstreamIP }} {
            force_tcp
        }
        health {{ .Values.localIP }}:8080
    }
---
apiVersion: apps.kruise.io/v1alpha1
kind: DaemonSet
metadata:
  name: node-local-dns
spec:
  selector:
    matchLabels:
      k8s-app: node-local-dns
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      type: Standard
      maxUnavailable: {{ .Values.maxUnavailable | quote }}
      # Sluice lowers the partition step by step (addon.yaml spec.rollout.partitions).
      partition: 0
  template:
    metadata:
      labels:
        k8s-app: node-local-dns
    spec:
      hostNetwork: true
      dnsPolicy: Default
      priorityClassName: system-node-critical
      tolerations:
        - operator: Exists
      containers:
        - name: node-cache
          image: {{ .Images.main }}
          args: ["-localip", {{ .Values.localIP | quote }}, "-conf", "/etc/Corefile", "-upstreamsvc", "kube-dns-upstream"]
          securityContext:
            capabilities:
              add: [NET_ADMIN]
          ports:
            - {name: dns, containerPort: 53, protocol: UDP}
          livenessProbe:
            httpGet:
              host: {{ .Values.localIP }}
              path: /health
              port: 8080
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          volumeMounts:
            - {name: config-volume, mountPath: /etc/coredns}
      volumes:
        - name: config-volume
          configMap:
            name: node-local-dns
            items:
              - {key: Corefile, path: Corefile.base}
