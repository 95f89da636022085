#!/bin/sh
# A command check (DESIGN §5): sluice sets SLUICE_CLUSTER, SLUICE_STAGE, SLUICE_ENVIRONMENT
# and SLUICE_COMMIT; exit 0 passes. Here: resolve a name through the cluster's DNS.
set -eu
echo "probing DNS on ${SLUICE_CLUSTER:-unknown} ($*)"
