apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: calico-node
  labels:
    k8s-app: calico-node
    {{- include "calico.labels" . | nindent 4 }}
spec:
  selector:
    matchLabels:
      k8s-app: calico-node
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: {{ .Values.maxUnavailable }}
  template:
    metadata:
      labels:
        k8s-app: calico-node
    spec:
      hostNetwork: true
      priorityClassName: system-node-critical
      serviceAccountName: calico-node
      terminationGracePeriodSeconds: 0
      tolerations:
        {{- toYaml .Values.tolerations | nindent 8 }}
      initContainers:
        - name: install-cni
          image: {{ .Images.cni }}
          command: ["/opt/cni/bin/install"]
          env:
            - name: CNI_NETWORK_CONFIG
              valueFrom:
                configMapKeyRef: {name: calico-config, key: cni_network_config}
            - name: CNI_MTU
              valueFrom:
                configMapKeyRef: {name: calico-config, key: veth_mtu}
          securityContext:
            privileged: true
          resources:
            limits: {cpu: 100m, memory: 64Mi}
      containers:
        - name: calico-node
          image: {{ .Images.node }}
          env:
            - name: DATASTORE_TYPE
              value: kubernetes
            - name: CLUSTER_TYPE
              value: {{ printf "k8s,bgp,%s" .Cluster.labels.region | quote }}
            - name: CALICO_IPV4POOL_IPIP
              value: {{ .Values.ipipMode | quote }}
            - name: FELIX_LOGSEVERITYSCREEN
              value: {{ .Values.logSeverity | quote }}
            - name: FELIX_PROMETHEUSMETRICSENABLED
              value: {{ .Values.felix.prometheusMetrics | quote }}
            - name: FELIX_HEALTHPORT
              value: {{ .Values.felix.healthPort | quote }}
          securityContext:
            privileged: true
          livenessProbe:
            httpGet:
              path: /liveness
              port: {{ .Values.felix.healthPort }}
              host: localhost
            periodSeconds: 10
          resources:
            {{- toYaml .Values.resources.node | nindent 12 }}
