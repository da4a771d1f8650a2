#!/usr/bin/env bash
# Installs on a fresh Debian machine what the integration test servers need and is missing:
# Java 17 and Maven (the Kafka broker runs from Maven Central jars), PostgreSQL (initdb and
# pg_ctl for a throwaway cluster), Python's venv (schemathesis, for the OpenAPI contract
# suite). Then pre-fetches the Kafka jars and the S3 test server (Adobe S3Mock's executable
# jar, also from Maven Central) into ~/.cache/sluice, and builds helm (for the Helm chart's
# tests) from the Go module proxy with the machine's Go.
# Idempotent: present tools are skipped, so a second run installs nothing. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

has_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

missing=()
# Python's venv (with ensurepip) for schemathesis, which tools/schemathesis.cjs installs from PyPI.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
has_postgres || missing+=(postgresql)

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-prereqs: missing ${missing[*]}; run as root or: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "install-prereqs: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The postgresql package would start a system cluster; tests start their own, so keep it off.
  if [[ " ${missing[*]} " == *" postgresql "* ]] && [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-prereqs: java, mvn, initdb, pg_ctl and python3-venv already present"
fi

# Needs only Node's built-ins and @swc-node/register when present; before `npm ci` it is
# not, so the jars are fetched with mvn directly into the same cache folders the tests use.
# fetch_with_mvn NAME POM VERSION_TAG CACHE_PREFIX: the fallback for one pom.
fetch_with_mvn() {
  local name=$1 pom=$2 tag=$3 prefix=$4 version hash libs partial
  version=$(sed -n "s:.*<${tag}>\(.*\)</${tag}>.*:\1:p" "$pom")
  hash=$(sha256sum "$pom" | cut -c1-10)
  libs="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/${prefix}-${version}-${hash}/libs"
  if [[ -d "$libs" ]]; then
    echo "install-prereqs: ${name} ${version} already cached: $libs"
  else
    partial="${libs}.partial-$$"
    mvn -B -q -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=${partial}"
    mv "$partial" "$libs"
    echo "install-prereqs: ${name} ${version} downloaded: $libs"
  fi
}

if [[ -d node_modules/@swc-node/register ]]; then
  node -r ./tools/register.cjs libs/testing/src/kafka/fetch-kafka.cli.ts
  # S3Mock: the S3-compatible server the blob store's integration suite runs against.
  node -r ./tools/register.cjs libs/testing/src/s3/fetch-s3-server.cli.ts
else
  fetch_with_mvn 'Apache Kafka jars' libs/testing/kafka/pom.xml kafka.version kafka
  fetch_with_mvn 'S3Mock' libs/testing/s3/pom.xml s3mock.version s3mock
fi

# helm: built with `go install` into the cache folder libs/testing/src/helm/helm-binary.ts reads
# (same version); a few minutes the first time. The chart tests need Go for this.
helm_version=$(sed -n "s/^export const HELM_VERSION = '\(.*\)';/\1/p" libs/testing/src/helm/helm-binary.ts)
helm_dir="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/helm-${helm_version}"
if [[ -x "$helm_dir/helm" ]]; then
  echo "install-prereqs: helm ${helm_version} already built: $helm_dir/helm"
elif ! command -v go >/dev/null 2>&1; then
  echo "install-prereqs: helm ${helm_version} needs Go 1.24+ to build (the Helm chart tests run it); install Go and re-run" >&2
  exit 1
else
  started=$SECONDS
  rm -rf "${helm_dir}.partial-$$" && mkdir -p "${helm_dir}.partial-$$"
  GOBIN="${helm_dir}.partial-$$" CGO_ENABLED=0 go install "helm.sh/helm/v3/cmd/helm@${helm_version}"
  rm -rf "$helm_dir" && mv "${helm_dir}.partial-$$" "$helm_dir"
  echo "install-prereqs: helm ${helm_version} built in $((SECONDS - started)) s: $helm_dir/helm"
fi
