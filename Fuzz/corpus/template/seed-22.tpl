apiVersion: v1
kind: Namespace
metadata:
  name: {{ .Addon.namespace }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: kruise-manager
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kruise-manager
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: kruise-manager-role
subjects:
  - kind: ServiceAccount
    name: kruise-manager
    namespace: {{ .Addon.namespace }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kruise-controller-manager
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      control-plane: controller-manager
  template:
    metadata:
      labels:
        control-plane: controller-manager
    spec:
      serviceAccountName: kruise-manager
      containers:
        - name: manager
          image: {{ .Images.manager }}
          args:
            - --enable-leader-election
            - --feature-gates={{ .Values.featureGates }}
          ports:
            - {name: webhook-server, containerPort: 9876}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
---
apiVersion: v1
kind: Service
metadata:
  name: kruise-webhook-service
spec:
  selector:
    control-plane: controller-manager
  ports:
    - port: 443
      targetPort: 9876
