#!/usr/bin/env bash
# Config propagation benchmark: time from a ProxySite update to Programmed=True on its
# 3 pods, median and p99 over CHANGES edits, with 1, 100 and 1,000 ProxySites in the
# cluster (SITES). The operator runs as shipped against the real control plane of
# tools/kube-testbed (built on first use); the real controllers make the pods, the testbed's
# kubelet runs the measured site's 3 as real proxy runtimes, the others as stand-ins. See
# operator/src/test/java/dev/portico/operator/e2e/PropagationBenchmark.java and
# bench/README.md ("Config propagation"). Loopback only; bounded by CHANGES and SITES.
set -euo pipefail
cd "$(dirname "$0")/.."

CHANGES="${CHANGES:-100}"
SITES="${SITES:-1,100,1000}"
mkdir -p bench/results
out="bench/results/propagation-$(date -u +%Y%m%dT%H%M%SZ).txt"

./mvnw -B -q -o verify -pl operator -am \
  -Dtest=PropagationBenchmark -Dsurefire.failIfNoSpecifiedTests=false \
  -Dportico.bench=propagation -Dportico.bench.changes="$CHANGES" -Dportico.bench.sites="$SITES" \
  -DargLine="-Dportico.bench=propagation -Dportico.bench.changes=$CHANGES -Dportico.bench.sites=$SITES"

report=operator/target/surefire-reports/dev.portico.operator.e2e.PropagationBenchmark-output.txt
{
  echo "# $(date -u +%FT%TZ) $(nproc) cores, CHANGES=$CHANGES SITES=$SITES, commit $(git rev-parse --short HEAD)"
  grep -E '^(PROPAGATION|ENDPOINTS)' "$report"
} | tee "$out"
