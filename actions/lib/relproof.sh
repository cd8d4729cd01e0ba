# shellcheck shell=bash
# Helpers the relproof composite actions source in their run steps:
#   source "$GITHUB_ACTION_PATH/../lib/relproof.sh"
# Inputs reach the steps as environment variables (never as ${{ }} in a
# script); these functions check them and fail closed, naming the input,
# what was expected and what was found.

# rp_fail MESSAGE: report a bad input as an error annotation and exit 2.
rp_fail() {
  echo "::error title=relproof::$(rp_escape "$*")"
  exit 2
}

# rp_escape escapes a workflow command's message, so that an input quoted in
# it cannot end the line and start a command of its own.
rp_escape() {
  local m=$1
  m=${m//'%'/'%25'}
  m=${m//$'\r'/'%0D'}
  m=${m//$'\n'/'%0A'}
  printf '%s' "$m"
}

# rp_need: relproof must be on PATH (the root action puts it there).
rp_need() {
  command -v relproof >/dev/null 2>&1 ||
    rp_fail "relproof is not on PATH: add a step 'uses: relproof/relproof@v1' (set up relproof) before this action"
}

# rp_bool NAME VALUE: VALUE must be "true" or "false".
rp_bool() {
  case "$2" in
    true | false) ;;
    *) rp_fail "input $1: expected \"true\" or \"false\", found \"$2\"" ;;
  esac
}

# rp_pinned NAME VALUE: print the relproof SUBJECT for a subject pinned to a
# digest, or fail. Accepted:
#   HOST/REPO@sha256:HEX and oci://HOST/REPO@sha256:HEX  an image (oci://…)
#   NAME@sha256:HEX (NAME without "/"), sha256:HEX       a file's digest (sha256:HEX)
# A tag, or anything else, is refused before any evidence is read.
rp_pinned() {
  local name=$1 v=$2 hex='[0-9a-f]{64}'
  if [[ "$v" =~ ^oci://([^@[:space:]]+)@sha256:($hex)$ ]]; then
    echo "$v"
  elif [[ "$v" =~ ^([^@[:space:]]+/[^@[:space:]]+)@sha256:($hex)$ ]]; then
    echo "oci://$v"
  elif [[ "$v" =~ ^([^@/[:space:]]+@)?sha256:($hex)$ ]]; then
    echo "sha256:${BASH_REMATCH[2]}"
  else
    rp_fail "input $name: expected a subject pinned to a digest, NAME@sha256:<64 hex> (e.g. ghcr.io/acme/app@sha256:…), found \"$v\"; a tag can move after it is approved: resolve it once and pass the digest"
  fi
}

# rp_is_digest VALUE: VALUE is a digest, sha256:<64 hex>.
rp_is_digest() {
  [[ "$1" =~ ^sha256:[0-9a-f]{64}$ ]]
}

# rp_digest_of SUBJECT: print the sha256:HEX of a pinned subject.
rp_digest_of() {
  [[ "$1" =~ (sha256:[0-9a-f]{64})$ ]] && echo "${BASH_REMATCH[1]}"
}

# rp_signing_args: fill the array RP_SIGN with relproof's signing flags from
# RP_KEY, RP_SIGSTORE, RP_FULCIO_URL, RP_REKOR_URL and RP_TSA_URL. Without
# RP_KEY the signature is keyless (the job needs id-token: write).
rp_signing_args() {
  RP_SIGN=()
  if [ -n "${RP_KEY:-}" ]; then
    RP_SIGN+=(--key "$RP_KEY")
  else
    RP_SIGN+=(--keyless)
    case "${RP_SIGSTORE:-}" in
      "") ;;
      public-good | github) RP_SIGN+=(--sigstore "$RP_SIGSTORE") ;;
      *) rp_fail "input sigstore: expected \"public-good\" or \"github\", found \"$RP_SIGSTORE\"" ;;
    esac
  fi
  if [ -n "${RP_FULCIO_URL:-}" ]; then RP_SIGN+=(--fulcio-url "$RP_FULCIO_URL"); fi
  if [ -n "${RP_REKOR_URL:-}" ]; then RP_SIGN+=(--rekor-url "$RP_REKOR_URL"); fi
  if [ -n "${RP_TSA_URL:-}" ]; then RP_SIGN+=(--tsa-url "$RP_TSA_URL"); fi
}

# rp_output NAME VALUE: set a step output (single line).
rp_output() {
  case "$2" in
    *$'\n'*) rp_fail "output $1: a value with a newline cannot be set" ;;
  esac
  echo "$1=$2" >>"$GITHUB_OUTPUT"
}

# rp_registry_login SUBJECT PASSWORD USER TOKEN: when SUBJECT is an image
# (HOST/REPO@…, oci://…), log in to its registry with PASSWORD, or for
# ghcr.io without one, with the job's TOKEN. The login is a Docker config in
# the job's temp directory (emptied after the job), never in $HOME, readable
# by the job's user only; DOCKER_CONFIG points at it for the later steps.
rp_registry_login() {
  local subject=${1#oci://} password=$2 user=$3 token=$4 host dir
  [[ "$subject" == */* ]] || return 0
  host=${subject%%/*}
  if [ -z "$password" ] && [ "$host" = ghcr.io ]; then password=$token; fi
  [ -n "$password" ] || return 0
  dir="$RUNNER_TEMP/relproof-docker"
  (
    umask 077
    mkdir -p "$dir"
    printf '%s:%s' "$user" "$password" | base64 -w0 |
      jq -R --arg h "$host" '{auths: {($h): {auth: .}}}' >"$dir/config.json"
  )
  export DOCKER_CONFIG="$dir"
  echo "DOCKER_CONFIG=$dir" >>"$GITHUB_ENV"
}

# rp_write_key VALUE: write a PEM signing key given as a secret to the job's
# temp directory (0600) and print its path; print nothing for no key.
rp_write_key() {
  [ -n "$1" ] || return 0
  local key="$RUNNER_TEMP/relproof-signing.key"
  (umask 077 && printf '%s\n' "$1" >"$key")
  echo "$key"
}
