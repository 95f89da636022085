apiVersion: v1
kind: ServiceAccount
metadata:
  name: node-problem-detector
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: node-problem-detector
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:node-problem-detector
subjects:
  - kind: ServiceAccount
    name: node-problem-detector
    namespace: {{ .Addon.namespace }}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-problem-detector
spec:
  selector:
    matchLabels:
      app: node-problem-detector
  template:
    metadata:
      labels:
        app: node-problem-detector
    spec:
      serviceAccountName: node-problem-detector
      tolerations:
        - operator: Exists
          effect: NoSchedule
      containers:
        - name: node-problem-detector
          image: {{ .Images.main }}
          command:
            - /node-problem-detector
            - --logtostderr
            - --config.system-log-monitor={{ range $i, $m := .Values.monitors }}{{ if $i }},{{ end }}/config/{{ $m }}{{ end }}
          securityContext:
            privileged: true
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          volumeMounts:
            - name: log
              mountPath: /var/log
              readOnly: true
      volumes:
        - name: log
          hostPath:
            path: /var/log/
