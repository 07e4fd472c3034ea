#!/usr/bin/env bash
# Generates a development CA and TLS server certificates signed by it, with the openssl CLI only.
# Nothing it writes is meant to be committed: the default output, certs/dev/, is git-ignored.
# See certs/README.md for what each file is and how to make curl trust the CA.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: certs/make-dev-certs.sh [OUT_DIR] [options]

Writes a dev CA (ca.crt, ca.key) and a server certificate signed by it (server.crt = leaf only,
server.key, server-chain.crt = leaf + CA) into OUT_DIR (default: certs/dev/ in the repository,
whatever the current directory). Existing files are reused: the CA always, the leaf unless --force.

Options:
  --out DIR        output directory (same as the positional OUT_DIR)
  --name NAME      extra DNS name in the leaf's subjectAltName (repeatable); always present:
                   DNS:localhost, IP:127.0.0.1, IP:::1
  --days N         leaf validity in days (default 825, the most that Apple clients accept; max 825)
  --rsa            RSA 2048 keys instead of ECDSA P-256 (for the leaf, and for the CA if this run
                   creates it)
  --expired        a leaf whose validity already ended (written as expired.* unless --prefix is given,
                   so it never replaces a good server.crt)
  --prefix P       leaf file names P.crt, P.key, P-chain.crt instead of server.*
  --ca-dir DIR     sign with the existing CA in DIR (ca.crt, ca.key) instead of OUT_DIR's own
  --force          regenerate the leaf even when it exists (never the CA: delete it to replace it)
  -h, --help       this text
EOF
}

die() { echo "make-dev-certs: $*" >&2; exit 1; }

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$script_dir/.." && pwd)

out_dir=""
ca_dir=""
prefix=""
days=825
key_type=ec
expired=0
force=0
extra_names=()

need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --out)     need_arg "$@"; out_dir=$2; shift 2 ;;
        --out=*)   out_dir=${1#*=}; shift ;;
        --name)    need_arg "$@"; extra_names+=("$2"); shift 2 ;;
        --name=*)  extra_names+=("${1#*=}"); shift ;;
        --days)    need_arg "$@"; days=$2; shift 2 ;;
        --days=*)  days=${1#*=}; shift ;;
        --prefix)  need_arg "$@"; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#*=}; shift ;;
        --ca-dir)  need_arg "$@"; ca_dir=$2; shift 2 ;;
        --ca-dir=*) ca_dir=${1#*=}; shift ;;
        --rsa)     key_type=rsa; shift ;;
        --expired) expired=1; shift ;;
        --force)   force=1; shift ;;
        -h|--help) usage; exit 0 ;;
        -*)        die "unknown option $1 (see --help)" ;;
        *)
            [[ -z "$out_dir" ]] || die "more than one output directory given ($out_dir, $1)"
            out_dir=$1; shift ;;
    esac
done

[[ "$days" =~ ^[0-9]+$ ]] && (( days >= 1 && days <= 825 )) \
    || die "--days must be a whole number from 1 to 825 (TLS clients such as Apple's refuse longer server certificates)"
[[ -z "$prefix" ]] && { if (( expired )); then prefix=expired; else prefix=server; fi; }
[[ "$prefix" =~ ^[A-Za-z0-9._-]+$ ]] || die "--prefix must be a plain file name stem, got '$prefix'"
for n in "${extra_names[@]+"${extra_names[@]}"}"; do
    [[ "$n" =~ ^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || die "--name '$n' is not a DNS name"
done

command -v openssl >/dev/null || die "openssl not found on PATH"

[[ -n "$out_dir" ]] || out_dir="$repo_root/certs/dev"
mkdir -p -- "$out_dir"
out_dir=$(cd -- "$out_dir" && pwd)

own_ca=1
if [[ -n "$ca_dir" ]]; then
    [[ -d "$ca_dir" ]] || die "--ca-dir $ca_dir does not exist"
    ca_dir=$(cd -- "$ca_dir" && pwd)
    [[ -f "$ca_dir/ca.crt" && -f "$ca_dir/ca.key" ]] || die "--ca-dir $ca_dir has no ca.crt and ca.key"
    [[ "$ca_dir" == "$out_dir" ]] || own_ca=0
else
    ca_dir=$out_dir
fi

ca_crt="$ca_dir/ca.crt"
ca_key="$ca_dir/ca.key"
leaf_crt="$out_dir/$prefix.crt"
leaf_key="$out_dir/$prefix.key"
leaf_chain="$out_dir/$prefix-chain.crt"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/make-dev-certs.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

wrote=()
kept=()

# Keys are created under umask 077 so they are never readable by others, not even briefly.
new_key() {
    local path=$1
    (
        umask 077
        if [[ "$key_type" == rsa ]]; then
            openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$path"
        else
            openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
                -pkeyopt ec_param_enc:named_curve -out "$path"
        fi
    )
    chmod 600 "$path"
}

# A random positive 128-bit serial: the top bit of the first byte is cleared so it stays positive.
new_serial() {
    local hex
    hex=$(openssl rand -hex 16)
    printf '0x%x%s' $(( 0x${hex:0:2} & 0x7f )) "${hex:2}"
}

# The extension sections; one file so the CA and the leaves are described in one place.
san="DNS:localhost,IP:127.0.0.1,IP:::1"
for n in "${extra_names[@]+"${extra_names[@]}"}"; do san+=",DNS:$n"; done
leaf_key_usage="critical,digitalSignature"
[[ "$key_type" == rsa ]] && leaf_key_usage+=",keyEncipherment"
cat >"$tmp/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_leaf]
basicConstraints = critical,CA:FALSE
keyUsage = $leaf_key_usage
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
EOF

# --- the CA -------------------------------------------------------------------------------------------
ca_created=0
if [[ -f "$ca_crt" && -f "$ca_key" ]]; then
    kept+=("$ca_crt" "$ca_key")
elif [[ -f "$ca_crt" || -f "$ca_key" ]]; then
    die "$ca_dir has only one of ca.crt and ca.key; delete it to make a new CA"
else
    new_key "$tmp/ca.key"
    openssl req -new -x509 -config "$tmp/openssl.cnf" -extensions v3_ca -key "$tmp/ca.key" \
        -subj "/O=Switchyard development/CN=Switchyard Dev CA $(hostname -s 2>/dev/null || echo local) $(date -u +%Y-%m-%d)" \
        -days 3650 -sha256 -set_serial "$(new_serial)" -out "$tmp/ca.crt"
    mv -- "$tmp/ca.key" "$ca_key"
    mv -- "$tmp/ca.crt" "$ca_crt"
    ca_created=1
    wrote+=("$ca_crt" "$ca_key")
fi

# --- the leaf -----------------------------------------------------------------------------------------
leaf_needed=$force
reason="--force"
if (( ! leaf_needed )); then
    if [[ ! -f "$leaf_crt" || ! -f "$leaf_key" || ! -f "$leaf_chain" ]]; then
        leaf_needed=1; reason="missing"
    elif (( ca_created )); then
        leaf_needed=1; reason="the CA is new"
    elif ! openssl verify -no_check_time -CAfile "$ca_crt" "$leaf_crt" >/dev/null 2>&1; then
        leaf_needed=1; reason="not signed by $ca_crt"
    fi
fi

if (( leaf_needed )); then
    new_key "$tmp/leaf.key"
    openssl req -new -config "$tmp/openssl.cnf" -key "$tmp/leaf.key" \
        -subj "/O=Switchyard development/CN=localhost" -out "$tmp/leaf.csr"
    if (( expired )); then
        # OpenSSL 3.0's `x509 -req` cannot set explicit dates (-not_before/-not_after arrived in 3.4),
        # so an expired leaf is signed by a throwaway `openssl ca` setup with -startdate/-enddate.
        mkdir -p "$tmp/ca-db/new"
        : >"$tmp/ca-db/index.txt"
        new_serial | sed 's/^0x//' | awk '{ if (length($0) % 2) print "0" $0; else print $0 }' >"$tmp/ca-db/serial"
        cat >"$tmp/ca.cnf" <<EOF
[ca]
default_ca = dev
[dev]
dir = $tmp/ca-db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir/new
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
organizationName = optional
commonName = supplied
EOF
        start=$(date -u -d '-60 days' +%Y%m%d%H%M%SZ)
        end=$(date -u -d '-30 days' +%Y%m%d%H%M%SZ)
        openssl ca -batch -notext -config "$tmp/ca.cnf" -cert "$ca_crt" -keyfile "$ca_key" \
            -extfile "$tmp/openssl.cnf" -extensions v3_leaf -startdate "$start" -enddate "$end" \
            -in "$tmp/leaf.csr" -out "$tmp/leaf.crt" 2>"$tmp/ca.log" \
            || { cat "$tmp/ca.log" >&2; die "openssl ca failed"; }
    else
        openssl x509 -req -in "$tmp/leaf.csr" -CA "$ca_crt" -CAkey "$ca_key" -set_serial "$(new_serial)" \
            -days "$days" -sha256 -extfile "$tmp/openssl.cnf" -extensions v3_leaf -out "$tmp/leaf.crt" 2>"$tmp/x509.log" \
            || { cat "$tmp/x509.log" >&2; die "openssl x509 -req failed"; }
    fi
    cat "$tmp/leaf.crt" "$ca_crt" >"$tmp/leaf-chain.crt"
    chmod 644 "$tmp/leaf.crt" "$tmp/leaf-chain.crt"
    mv -- "$tmp/leaf.key" "$leaf_key"
    mv -- "$tmp/leaf.crt" "$leaf_crt"
    mv -- "$tmp/leaf-chain.crt" "$leaf_chain"
    wrote+=("$leaf_crt" "$leaf_key" "$leaf_chain")
else
    kept+=("$leaf_crt" "$leaf_key" "$leaf_chain")
fi
chmod 600 "$ca_key" "$leaf_key" 2>/dev/null || true

# --- report -------------------------------------------------------------------------------------------
describe() {
    local f=$1
    case "$f" in
        *.key) printf '%s (private key, mode %s)' "$f" "$(stat -c %a "$f")" ;;
        *)     printf '%s (%s, until %s)' "$f" \
                   "$(openssl x509 -in "$f" -noout -subject | sed "s/^subject=//")" \
                   "$(openssl x509 -in "$f" -noout -enddate | sed 's/^notAfter=//')" ;;
    esac
}
for f in "${wrote[@]+"${wrote[@]}"}"; do echo "wrote $(describe "$f")"; done
for f in "${kept[@]+"${kept[@]}"}"; do echo "kept  $(describe "$f")"; done
if (( ! leaf_needed )); then
    echo "note: $prefix.crt exists and is signed by this CA; it was left as is (--force regenerates it)"
elif [[ "$reason" != missing && "$reason" != "--force" ]]; then
    echo "note: $prefix.crt was regenerated because $reason"
fi
(( expired )) && echo "note: $prefix.crt is expired on purpose (validity ended 30 days ago)"
(( own_ca )) || echo "note: signed by the CA in $ca_dir"
echo "trust the CA with: curl --cacert $ca_crt https://localhost:8443/..."
