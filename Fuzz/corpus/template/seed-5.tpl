apiVersion: v1
kind: Namespace
metadata:
  name: {{ .Addon.namespace }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: cert-manager
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cert-manager
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/name: cert-manager
  template:
    metadata:
      labels:
        app.kubernetes.io/name: cert-manager
    spec:
      serviceAccountName: cert-manager
      securityContext:
        runAsNonRoot: true
      containers:
        - name: controller
          image: {{ .Images.controller }}
          args:
            - --v={{ .Values.logLevel }}
            - --cluster-resource-namespace=$(POD_NAMESPACE)
            - --leader-election-namespace=kube-system
          env:
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef: {fieldPath: metadata.namespace}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cert-manager-webhook
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/name: webhook
  template:
    metadata:
      labels:
        app.kubernetes.io/name: webhook
    spec:
      serviceAccountName: cert-manager
      containers:
        - name: webhook
          image: {{ .Images.webhook }}
          args: ["--secure-port=10250"]
          ports:
            - {name: https, containerPort: 10250}
          resources:
            limits: {cpu: 200m, memory: 128Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: cert-manager-webhook
spec:
  selector:
    app.kubernetes.io/name: webhook
  ports:
    - {name: https, port: 443, targetPort: 10250}
{{- if .Values.acme.enabled }}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: letsencrypt
spec:
  acme:
    email: {{ required "acme.email is needed when acme.enabled is true" .Values.acme.email }}
    server: {{ .Values.acme.server }}
    privateKeySecretRef:
      name: letsencrypt-account-key
    solvers:
      - http01:
          ingress:
            ingressClassName: nginx
{{- end }}
