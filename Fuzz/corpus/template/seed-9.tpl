apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata:
  name: {{ .Values.driverName }}
spec:
  attachRequired: true
  podInfoOnMount: false
  fsGroupPolicy: File
