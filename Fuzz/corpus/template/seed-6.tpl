apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns
data:
  Corefile: |
    .:53 {
        errors
        health {
            lameduck 5s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
        }
        {{- if .Values.autopath }}
        autopath @kubernetes
        {{- end }}
        prometheus :9153
        forward . {{ join " " .Values.forwarders }}
        cache {{ .Values.cacheSeconds }}
        loop
        reload
        loadbalance
    }
