apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: csi-block-node
spec:
  selector:
    matchLabels:
      app: csi-block-node
  template:
    metadata:
      labels:
        app: csi-block-node
    spec:
      priorityClassName: system-node-critical
      tolerations:
        - operator: Exists
      containers:
        - name: node-driver
          image: {{ .Images.driver }}
          args:
            - --endpoint=unix:/csi/csi.sock
            - --v={{ .Values.logLevel }}
          securityContext:
            privileged: true
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          volumeMounts:
            - {name: kubelet-dir, mountPath: /var/lib/kubelet, mountPropagation: Bidirectional}
            - {name: plugin-dir, mountPath: /csi}
            - {name: device-dir, mountPath: /dev}
        - name: node-driver-registrar
          image: {{ .Images.registrar }}
          args:
            - --csi-address=/csi/csi.sock
            - --kubelet-registration-path=/var/lib/kubelet/plugins/{{ .Values.driverName }}/csi.sock
          resources:
            limits:
              {{- toYaml .Values.registrar.limits | nindent 14 }}
          volumeMounts:
            - {name: plugin-dir, mountPath: /csi}
            - {name: registration-dir, mountPath: /registration}
      volumes:
        - name: kubelet-dir
          hostPath: {path: /var/lib/kubelet, type: Directory}
        - name: plugin-dir
          hostPath: {path: "/var/lib/kubelet/plugins/{{ .Values.driverName }}/", type: DirectoryOrCreate}
        - name: registration-dir
          hostPath: {path: /var/lib/kubelet/plugins_registry/, type: Directory}
        - name: device-dir
          hostPath: {path: /dev, type: Directory}
