apiVersion: v1
kind: ConfigMap
metadata:
  name: calico-config
  labels:
    {{- include "calico.labels" . | nindent 4 }}
data:
  veth_mtu: {{ .Values.mtu | quote }}
  typha_service_name: {{ if gt (int .Values.typhaReplicas) 0 }}calico-typha{{ else }}none{{ end }}
  cni_network_config: |-
    {
      "name": "k8s-pod-network",
      "cniVersion": "0.3.1",
      "plugins": [
        {"type": "calico", "log_level": {{ .Values.logSeverity | quote }}, "mtu": __CNI_MTU__,
         "ipam": {"type": "calico-ipam"}, "policy": {"type": "k8s"}},
        {"type": "portmap", "snat": true, "capabilities": {"portMappings": true}}
      ]
    }
