#!/bin/sh
# A command check (DESIGN §5): sluice sets SLUICE_CLUSTER, SLUICE_STAGE, SLUICE_ENVIRONMENT
# and SLUICE_COMMIT; exit 0 passes. Here: resolve a name through the cluster's DNS.
# On a simulated cluster there is no DNS to ask: sluice also sets SLUICE_SIMULATED=true and
# SLUICE_SIMULATED_HEALTHY (whether every pod the cluster runs for sluice is ready), and the
# probe answers from that.
set -eu
echo "probing DNS on ${SLUICE_CLUSTER:-unknown} ($*)"
if [ "${SLUICE_SIMULATED:-false}" = true ]; then
  if [ "${SLUICE_SIMULATED_HEALTHY:-false}" = true ]; then
    echo "simulated cluster: DNS answers"
    exit 0
  fi
  echo "simulated cluster: DNS pods are not ready"
  exit 1
fi
getent hosts "kubernetes.default.svc.${SLUICE_CLUSTER:-cluster}.example.com" >/dev/null
