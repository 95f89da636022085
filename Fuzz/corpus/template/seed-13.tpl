apiVersion: v1
kind: Namespace
metadata:
  name: {{ .Addon.namespace }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ingress-nginx
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ingress-nginx-controller
data:
  {{- range $key, $value := .Values.config }}
  {{ $key }}: {{ $value | quote }}
  {{- end }}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: {{ .Values.ingressClass }}
spec:
  controller: k8s.io/ingress-nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress-nginx-controller
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      {{- include "ingress.selector" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "ingress.selector" . | nindent 8 }}
    spec:
      serviceAccountName: ingress-nginx
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: controller
          image: {{ .Images.controller }}
          args:
            - /nginx-ingress-controller
            - --ingress-class={{ .Values.ingressClass }}
            - --configmap=$(POD_NAMESPACE)/ingress-nginx-controller
            - --publish-service=$(POD_NAMESPACE)/ingress-nginx-controller
          env:
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef: {fieldPath: metadata.namespace}
          ports:
            - {name: http, containerPort: 80}
            - {name: https, containerPort: 443}
          readinessProbe:
            httpGet: {path: /healthz, port: 10254}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
---
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  annotations:
    service.beta.kubernetes.io/region: {{ .Cluster.labels.region | quote }}
spec:
  type: {{ .Values.service.type }}
  externalTrafficPolicy: {{ .Values.service.externalTrafficPolicy }}
  selector:
    {{- include "ingress.selector" . | nindent 4 }}
  ports:
    - {name: http, port: 80, targetPort: http}
    - {name: https, port: 443, targetPort: https}
