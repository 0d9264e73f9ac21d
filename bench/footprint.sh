#!/usr/bin/env bash
# Operator footprint benchmark: the operator's live heap and its time to Ready with SITES
# ProxySites among UNRELATED Secrets and as many Services no site refers to, on the real
# control plane of tools/kube-testbed (built on first use), the operator as a JVM of its
# own with the image's heap setting for the Deployment's 512Mi limit. See
# operator/src/test/java/dev/portico/operator/e2e/FootprintBenchmark.java and
# bench/README.md ("Operator footprint"). Loopback only; bounded by SITES and UNRELATED.
set -euo pipefail
cd "$(dirname "$0")/.."

SITES="${SITES:-1000}"
UNRELATED="${UNRELATED:-10000}"
mkdir -p bench/results
out="bench/results/footprint-$(date -u +%Y%m%dT%H%M%SZ).txt"

./mvnw -B -q -o verify -pl crds,proxy-runtime,operator \
  -Dtest=FootprintBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -DargLine="-Dportico.bench=footprint -Dportico.bench.sites=$SITES -Dportico.bench.unrelated=$UNRELATED"

report=operator/target/surefire-reports/dev.portico.operator.e2e.FootprintBenchmark-output.txt
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores, SITES=$SITES UNRELATED=$UNRELATED, commit $(git rev-parse --short HEAD)"
  grep '^FOOTPRINT' "$report"
} | tee "$out"
