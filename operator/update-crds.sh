#!/usr/bin/env bash
# Regenerates the CRDs from the Java API classes (fabric8 crd-generator, then CrdPostProcessor)
# and copies them to every place that ships them: crds/, the chart and kustomize (whose
# config/crd/kustomization.yaml it rewrites to list them).
# Extra arguments go to Maven, e.g. `operator/update-crds.sh -o` to build offline.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

./mvnw -q -B -ntp -pl operator -am process-test-classes "$@"

generated="operator/target/classes/META-INF/fabric8"
shopt -s nullglob
files=("$generated"/*.cvmfs.ephemeral.io-v1.yml)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no CRD was generated in $generated" >&2
  exit 1
fi

for dest in crds charts/cvmfs-ephemeral/crds config/crd/bases; do
  mkdir -p "$dest"
  # A CRD whose class was removed must not linger in a copy.
  rm -f "$dest"/*.cvmfs.ephemeral.io-v1.yml
  cp "${files[@]}" "$dest"/
done
{
  echo "# Generated from the Java API classes; refresh with operator/update-crds.sh."
  echo "resources:"
  for f in "${files[@]}"; do echo "- bases/${f##*/}"; done
} > config/crd/kustomization.yaml
echo "updated: crds/ charts/cvmfs-ephemeral/crds/ config/crd/bases/ (${#files[@]} CRDs)"
