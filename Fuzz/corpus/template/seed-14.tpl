apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-proxy
data:
  config.conf: |-
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    mode: {{ .Values.mode | quote }}
    metricsBindAddress: {{ .Values.metricsBindAddress }}
    clusterCIDR: {{ .Values.clusterCIDR | default "10.244.0.0/16" }}
    conntrack:
      maxPerCore: {{ .Values.conntrack.maxPerCore }}
      min: {{ .Values.conntrack.min }}
