#!/usr/bin/env bash
# End to end on a real one-node Kubernetes: the test kit's `k8s up --node` (containerd, kubelet,
# scheduler, kube-proxy, cluster DNS) from ../shared/k8s beside the checkout.
#
# Builds both images, loads them into the node, installs with kustomize by server-side apply,
# creates a repository under the documented default (fqrn = metadata.name, a dotted name) in a
# namespace that enforces the restricted Pod Security level, publishes through the Service,
# publishes a staged upload through a CvmfsPublication, restarts the data-plane pod while a
# subscriber listens to the notification relays (the revision never goes back, the next one is
# pushed on the same connection), verifies the repository over HTTP, mounts it with the stock
# client where a CernVM-FS build exists (compat/stock-client.sh makes one) and compares bytes,
# then uninstalls in the documented order and checks that nothing is left.
#
# Needs root, Debian 12. Takes about 5 minutes once the base image exists.
#
#   e2e/run.sh
#
# Environment:
#   KIT              the kit's script (default ../shared/k8s/k8s beside the checkout)
#   K8S_STATE        the kit's state directory (default the kit's, /var/tmp/k8s-kit); a control plane
#                    of the same state is replaced by the one-node cluster
#   E2E_SKIP_BUILD=1 use the jars and image tarballs already in target/
#   E2E_KEEP=1       leave the cluster running at the end
#   CVMFS_PREFIX     a CernVM-FS build with bin/cvmfs2 (default /opt/cvmfs); the mount is
#                    skipped, and says so, without one
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KIT=${KIT:-$ROOT/../shared/k8s/k8s}
export K8S_STATE=${K8S_STATE:-/var/tmp/k8s-kit}
CVMFS_PREFIX=${CVMFS_PREFIX:-/opt/cvmfs}
# The tag config/ and the chart name by default, so the manifests run as they are.
TAG=0.1.0
NS=e2e
FQRN=e2e.example.org
SYSTEM=cvmfs-ephemeral-system
JAR=$ROOT/data-plane/target/cvmfs-ephemeral-data-plane.jar
WORK=$(mktemp -d /var/tmp/cvmfs-ephemeral-e2e-work.XXXXXX)
LOGS=$WORK/logs
START=$SECONDS
PIDS=()
MNT=""

log() { printf '[e2e %4ds] %s\n' $((SECONDS - START)) "$*"; }
die() {
  printf '[e2e %4ds] FAILED: %s\n' $((SECONDS - START)) "$*" >&2
  print_logs >&2
  exit 1
}

# The pods' logs, followed from their start into $LOGS: a deleted pod's are gone from the cluster,
# and the relays' tell when they lost and found the data plane. Printed when a check fails.
follow_logs() { # COMPONENT
  local pod
  mkdir -p "$LOGS"
  for pod in $(kubectl -n $NS get pods -l "$(selector "$1")" --field-selector=status.phase=Running -o name); do
    [ -e "$LOGS/${pod#pod/}.log" ] && continue
    kubectl -n $NS logs -f --timestamps "$pod" >"$LOGS/${pod#pod/}.log" 2>&1 &
    PIDS+=($!)
  done
}
print_logs() {
  local file
  [ -d "$LOGS" ] || return 0
  kubectl -n $NS get pods -o wide 2>&1 || true
  for file in "$LOGS"/*.log; do
    [ -e "$file" ] || continue
    echo "---- $(basename "$file" .log)"
    cat "$file"
  done
}

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$MNT" ] && mountpoint -q "$MNT"; then umount "$MNT" || umount -l "$MNT" || true; fi
  if [ "${E2E_KEEP:-0}" != 1 ] && [ -x "$KIT" ]; then "$KIT" down >/dev/null 2>&1 || true; fi
  [ $status -eq 0 ] || echo "work files kept in $WORK" >&2
  [ $status -ne 0 ] || rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || die "run as root (the kit runs a kubelet)"
[ -x "$KIT" ] || die "no Kubernetes test kit at $KIT (set KIT)"
command -v kubectl >/dev/null || die "kubectl is missing (apt-get install kubernetes-client)"

# ---------------------------------------------------------------------------------------------
if [ "${E2E_SKIP_BUILD:-0}" != 1 ]; then
  # HelmChartTest also writes the chart's default rendering, made by Helm's own library.
  log "building jars and images (tag $TAG), rendering the chart"
  (cd "$ROOT" && ./mvnw -B -q -ntp -Pimages package -Dimage.tag=$TAG -DskipITs \
      -Dtest=HelmChartTest -Dsurefire.failIfNoSpecifiedTests=false) >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log"; die "the build failed"; }
fi
for image in data-plane operator; do
  [ -s "$ROOT/$image/target/jib-image.tar" ] || die "no image tarball $image/target/jib-image.tar"
done
CHART=$ROOT/operator/target/chart/cvmfs-ephemeral.yaml
[ -s "$CHART" ] || die "no rendering of the chart at $CHART (HelmChartTest writes it)"

log "starting the one-node cluster"
"$KIT" up --node --fresh >"$WORK/k8s-up.log" 2>&1 || { tail -20 "$WORK/k8s-up.log"; die "k8s up --node failed"; }
eval "$("$KIT" env)"
for image in data-plane operator; do
  "$KIT" load "$ROOT/$image/target/jib-image.tar" >>"$WORK/k8s-up.log" 2>&1 || die "cannot load the $image image"
done
log "cluster up, images loaded"

# ---------------------------------------------------------------------------------------------
log "installing with kustomize (server-side apply)"
kubectl apply --server-side -k "$ROOT/config/default" >"$WORK/install.log" 2>&1 \
  || { cat "$WORK/install.log"; die "kubectl apply -k config/default failed"; }
kubectl -n $SYSTEM rollout status deploy/cvmfs-ephemeral-operator --timeout=180s >/dev/null \
  || { kubectl -n $SYSTEM describe pod; die "the operator did not become ready"; }
log "operator ready"

kubectl create namespace $NS >/dev/null
kubectl label namespace $NS pod-security.kubernetes.io/enforce=restricted >/dev/null
kubectl apply --server-side -f - >/dev/null <<EOF
apiVersion: cvmfs.ephemeral.io/v1alpha1
kind: CvmfsRepository
metadata:
  name: $FQRN
  namespace: $NS
EOF
kubectl -n $NS wait cvmfsrepository/$FQRN --for=condition=Ready --timeout=180s >/dev/null \
  || { kubectl -n $NS get cvmfsrepository $FQRN -o yaml; kubectl -n $NS get pods; die "the repository did not become Ready"; }
log "repository $FQRN Ready"

selector() { echo "app.kubernetes.io/instance=$FQRN,app.kubernetes.io/component=$1"; }
kubectl -n $NS rollout status deploy -l "$(selector notification-relay)" --timeout=180s >/dev/null \
  || { kubectl -n $NS get pods; die "the notification relays did not become ready"; }
follow_logs notification-relay
follow_logs data-plane
DATA_IP=$(kubectl -n $NS get svc -l "$(selector data-plane)" -o jsonpath='{.items[0].spec.clusterIP}')
RELAY_IP=$(kubectl -n $NS get svc -l "$(selector notification-relay)" -o jsonpath='{.items[0].spec.clusterIP}')
TOKEN_SECRET=$(kubectl -n $NS get secret -o name | grep -- '-token$')
TOKEN=$(kubectl -n $NS get "$TOKEN_SECRET" -o jsonpath='{.data.token}' | base64 -d)
CONFIG_MAP=$(kubectl -n $NS get configmap -l "$(selector client-config)" -o name)
kubectl -n $NS get "$CONFIG_MAP" -o "jsonpath={.data.$(echo $FQRN | sed 's/\./\\./g')\\.pub}" >"$WORK/$FQRN.pub"
[ -s "$WORK/$FQRN.pub" ] || die "the client ConfigMap holds no public key"
BASE=http://$DATA_IP

revision() { curl -fsS "$BASE/api/v1/repos/$FQRN" | sed -n 's/.*"revision":\([0-9]*\).*/\1/p'; }
publish() { # PATH ARCHIVE: prints the new revision
  local answer
  answer=$(curl -fsS -T "$2" -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/repos/$FQRN/paths/$1?ttl=2h") \
    || die "publishing $1 failed"
  echo "$answer" | sed -n 's/.*"revision":\([0-9]*\).*/\1/p'
}

# ---------------------------------------------------------------------------------------------
log "publishing through the Service"
mkdir -p "$WORK/tree/bin" "$WORK/tree/docs"
head -c 3000000 /dev/urandom >"$WORK/tree/bin/tool"
chmod 755 "$WORK/tree/bin/tool"
seq 1 20000 >"$WORK/tree/docs/numbers.txt"
ln -s ../bin/tool "$WORK/tree/docs/link"
tar -C "$WORK/tree" -cf "$WORK/tree.tar" .
R1=$(publish pipelines/1 "$WORK/tree.tar")
[ -n "$R1" ] || die "no revision in the publish answer"
log "published pipelines/1 at revision $R1"

java -jar "$JAR" subscribe "http://$RELAY_IP:4929/api/v1" $FQRN --key "$WORK/$FQRN.pub" \
  --repository-url "$BASE/cvmfs/$FQRN" >"$WORK/subscriber.out" 2>"$WORK/subscriber.err" &
PIDS+=($!)
for _ in $(seq 100); do grep -q "revision $R1 " "$WORK/subscriber.out" 2>/dev/null && break; sleep 0.2; done
grep -q "revision $R1 " "$WORK/subscriber.out" || die "the relay did not announce revision $R1"
log "subscribed to the relays, revision $R1 announced"

if [ -x "$CVMFS_PREFIX/bin/cvmfs2" ]; then
  log "mounting with the stock client, notifications from the relays"
  MNT=$WORK/mnt
  mkdir -p "$MNT" "$WORK/cache" "$WORK/keys"
  cp "$WORK/$FQRN.pub" "$WORK/keys/"
  cat >"$WORK/client.conf" <<EOF
CVMFS_SERVER_URL=$BASE/cvmfs/@fqrn@
CVMFS_KEYS_DIR=$WORK/keys
CVMFS_HTTP_PROXY=DIRECT
CVMFS_CACHE_BASE=$WORK/cache
CVMFS_SHARED_CACHE=no
CVMFS_QUOTA_LIMIT=-1
CVMFS_RELOAD_SOCKETS=$WORK/cache
CVMFS_USER=root
CVMFS_CLAIM_OWNERSHIP=yes
CVMFS_NOTIFICATION_SERVER=http://$RELAY_IP:4929/api/v1
EOF
  PATH=$CVMFS_PREFIX/bin:$PATH LD_LIBRARY_PATH=$CVMFS_PREFIX/lib CVMFS_LIBRARY_PATH=$CVMFS_PREFIX/lib \
    cvmfs2 -o "config=$WORK/client.conf,fsname=cvmfs2,allow_other" $FQRN "$MNT" >"$WORK/mount.log" 2>&1 \
    || { cat "$WORK/mount.log"; MNT=""; die "the stock client did not mount"; }
  # The mount shows each nested catalog as .cvmfscatalog, which the source never had.
  diff -r --no-dereference -x .cvmfscatalog "$WORK/tree" "$MNT/pipelines/1" || die "the mounted tree differs"
  log "mounted; pipelines/1 byte-equal"
else
  log "no CernVM-FS build at $CVMFS_PREFIX: the stock client is left out (compat/stock-client.sh builds one)"
fi

log "publishing a staged upload through a CvmfsPublication"
UPLOAD=$(curl -fsS -X POST --data-binary @"$WORK/tree.tar" -H "Authorization: Bearer $TOKEN" \
  "$BASE/api/v1/repos/$FQRN/uploads" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$UPLOAD" ] || die "staging an upload failed"
kubectl apply --server-side -f - >/dev/null <<EOF
apiVersion: cvmfs.ephemeral.io/v1alpha1
kind: CvmfsPublication
metadata:
  name: staged
  namespace: $NS
spec:
  repository: $FQRN
  path: pipelines/staged
  source: {upload: "$UPLOAD"}
  ttl: 1h
EOF
kubectl -n $NS wait cvmfspublication/staged --for=jsonpath='{.status.phase}'=Published --timeout=120s >/dev/null \
  || { kubectl -n $NS get cvmfspublication staged -o yaml; die "the CvmfsPublication was not Published"; }
kubectl -n $NS get cvmfspublications
R2=$(revision)
log "CvmfsPublication Published, revision $R2"

# ---------------------------------------------------------------------------------------------
log "restarting the data-plane pod (at $(date -u +%T) UTC)"
kubectl -n $NS delete pod -l "$(selector data-plane)" --wait=true >/dev/null
kubectl -n $NS rollout status deploy -l "$(selector data-plane)" --timeout=180s >/dev/null 2>&1 || true
for _ in $(seq 300); do
  R3=$(revision 2>/dev/null || true)
  [ -n "$R3" ] && break
  sleep 0.5
done
[ -n "${R3:-}" ] || die "the data plane did not come back"
[ "$R3" -gt "$R2" ] || die "the revision went back: $R3 after $R2"
log "data plane back at revision $R3 (> $R2: revisions never go back) at $(date -u +%T) UTC"
follow_logs data-plane

R4=$(publish pipelines/after-restart "$WORK/tree.tar")
PUBLISHED_AT=$SECONDS
for _ in $(seq 50); do grep -q "revision $R4 " "$WORK/subscriber.out" && break; sleep 0.1; done
grep -q "revision $R4 " "$WORK/subscriber.out" \
  || die "revision $R4 was not pushed through the relays; the subscriber: $(cat "$WORK/subscriber.err")"
if [ -n "$MNT" ]; then
  # The manifest TTL is 4 minutes: a revision seen within 30 s came by push, through the relays.
  for _ in $(seq 300); do [ -d "$MNT/pipelines/after-restart" ] && break; sleep 0.1; done
  [ -d "$MNT/pipelines/after-restart" ] || die "the stock client did not get revision $R4 pushed"
  log "the stock client's mount shows revision $R4 $((SECONDS - PUBLISHED_AT)) s after the publish"
fi
CONNECTIONS=$(grep -c "^subscribed to" "$WORK/subscriber.err" || true)
[ "$CONNECTIONS" = 1 ] || die "the subscriber had to subscribe $CONNECTIONS times: $(cat "$WORK/subscriber.err")"
log "revision $R4 pushed within $((SECONDS - PUBLISHED_AT)) s, on the subscription made before the restart"

# The stock client's restart-surviving subscriptions are the relays' job: the data plane's own
# notification port went down with the pod, the relay Service's endpoints never did.
READY_RELAYS=$(kubectl -n $NS get deploy -l "$(selector notification-relay)" -o jsonpath='{.items[0].status.readyReplicas}')
[ "$READY_RELAYS" -ge 2 ] || die "fewer than two relays are ready: $READY_RELAYS"

log "verifying the repository over HTTP"
java -jar "$JAR" verify "$BASE/cvmfs/$FQRN" --key "$WORK/$FQRN.pub" --list >"$WORK/verify.out" 2>&1 \
  || { tail -20 "$WORK/verify.out"; die "verify failed"; }
grep -q "pipelines/after-restart/bin/tool" "$WORK/verify.out" || die "the published tree is not listed"

if [ -n "$MNT" ]; then
  diff -r --no-dereference -x .cvmfscatalog "$WORK/tree" "$MNT/pipelines/after-restart" || die "the mounted tree differs"
  log "the stock client's mount holds the published bytes"
fi

# ---------------------------------------------------------------------------------------------
log "uninstalling in the documented order"
kubectl delete cvmfspublications,cvmfsrepositories --all --all-namespaces --cascade=foreground --wait --timeout=120s >/dev/null \
  || die "the custom resources were not deleted"
kubectl delete -k "$ROOT/config/default" --wait --timeout=120s >/dev/null 2>&1 \
  || die "kubectl delete -k config/default did not finish"
LEFT=$(kubectl get all,secrets,configmaps,cronjobs,poddisruptionbudgets -n $NS -o name 2>/dev/null \
  | grep -v -e '^configmap/kube-root-ca.crt$' -e '^configmap/openshift-service-ca.crt$' || true)
[ -z "$LEFT" ] || die "left behind in $NS: $LEFT"
kubectl get crd -o name | grep -q cvmfs.ephemeral.io && die "a CRD is left"
kubectl get namespace $SYSTEM >/dev/null 2>&1 && die "namespace $SYSTEM is left"
log "uninstalled; nothing left"

# ---------------------------------------------------------------------------------------------
log "installing with the chart, as docs/kubernetes.md says (namespace labelled first)"
kubectl create namespace $SYSTEM >/dev/null
kubectl label namespace $SYSTEM pod-security.kubernetes.io/enforce=restricted >/dev/null
kubectl apply --server-side -f "$ROOT/charts/cvmfs-ephemeral/crds/" >/dev/null
kubectl apply --server-side -f "$CHART" >/dev/null || die "the chart's objects were refused"
kubectl -n $SYSTEM rollout status deploy/cvmfs-ephemeral-operator --timeout=180s >/dev/null \
  || { kubectl -n $SYSTEM describe pod; die "the operator installed by the chart did not become ready"; }
kubectl apply --server-side -f - >/dev/null <<EOF
apiVersion: cvmfs.ephemeral.io/v1alpha1
kind: CvmfsRepository
metadata:
  name: charted
  namespace: $NS
spec:
  fqrn: charted.example.org
EOF
kubectl -n $NS wait cvmfsrepository/charted --for=condition=Ready --timeout=180s >/dev/null \
  || { kubectl -n $NS get cvmfsrepository charted -o yaml; die "the repository did not become Ready under the chart"; }
BASE=http://$(kubectl -n $NS get svc charted -o jsonpath='{.spec.clusterIP}')
TOKEN=$(kubectl -n $NS get secret charted-token -o jsonpath='{.data.token}' | base64 -d)
FQRN=charted.example.org
R5=$(publish pipelines/charted "$WORK/tree.tar")
log "operator from the chart: charted.example.org Ready, published at revision $R5"
kubectl delete cvmfspublications,cvmfsrepositories --all --all-namespaces --cascade=foreground --wait --timeout=120s >/dev/null \
  || die "the custom resources were not deleted"
kubectl delete -f "$CHART" --wait --timeout=120s >/dev/null 2>&1 || die "deleting the chart's objects did not finish"
kubectl delete -f "$ROOT/charts/cvmfs-ephemeral/crds/" --wait --timeout=60s >/dev/null 2>&1 || die "the CRDs stuck"
kubectl delete namespace $SYSTEM --wait --timeout=60s >/dev/null 2>&1 || die "namespace $SYSTEM stuck"
LEFT=$(kubectl get all,secrets,configmaps,cronjobs,poddisruptionbudgets -n $NS -o name 2>/dev/null \
  | grep -v -e '^configmap/kube-root-ca.crt$' -e '^configmap/openshift-service-ca.crt$' || true)
[ -z "$LEFT" ] || die "left behind in $NS: $LEFT"
kubectl get clusterrole cvmfs-ephemeral-operator >/dev/null 2>&1 && die "the ClusterRole is left"
log "chart uninstalled; nothing left"
log "passed in $((SECONDS - START)) s"
