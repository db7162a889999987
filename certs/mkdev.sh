#!/bin/sh
# certs/mkdev.sh [--force] [DIR]: the development PKI for intaked (never for production).
#
# Makes, with the openssl CLI, in DIR (default certs/dev beside this script):
#   ca.crt ca.key          dev CA (EC P-256)
#   server.crt server.key  localhost (SAN DNS:localhost, IP:127.0.0.1), serverAuth
#   alpha beta secas audit valid client certs of the Parties in policy/parties.conf
#                          (SAN URI urn:sec:party:<ID>, CN=<ID>, clientAuth)
#   gamma                  a valid client cert of a Party the parties file does not know
#   revoked                ALPHA identity, listed in ca.crl
#   expired                ALPHA identity, validity entirely in the past
#   servereku              ALPHA identity, serverAuth EKU only (not a client cert)
#   rogue                  ALPHA identity signed by another CA with the same name
#   ca.crl                 the CA's CRL (from an `openssl ca` database)
#   rogue-ca.crt           the rogue CA's certificate (its key is thrown away)
#   NAME.pem               certificate + key of each client, for `ab -E` and `curl -E`
# Private keys (and the .pem files holding them) are mode 0600.
#
# Idempotent: when DIR/ca.crt exists nothing is done; --force makes everything anew.
# Needs only POSIX sh, GNU date and openssl 3.0 (Debian 12).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
FORCE=0
DIR=
for a in "$@"; do
	case "$a" in
	--force) FORCE=1 ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	-*) echo "mkdev: unknown option $a" >&2; exit 2 ;;
	*) [ -z "$DIR" ] || { echo "mkdev: one DIR only" >&2; exit 2; }; DIR=$a ;;
	esac
done
DIR=${DIR:-$HERE/dev}

if [ -e "$DIR/ca.crt" ] && [ "$FORCE" = 0 ]; then
	echo "mkdev: $DIR/ca.crt exists, nothing to do (--force remakes the dev PKI)"
	exit 0
fi

DAYS=3650              # dev certificates and CRL: ten years, remake with --force
CA_NAME="/O=Evidence Intake Development/CN=Evidence Intake Dev CA"

umask 077
T=$(mktemp -d "${TMPDIR:-/tmp}/mkdev.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM

# ossl ARGS...: openssl with its chatter kept in $T/log, shown only on failure
ossl() {
	if ! openssl "$@" >"$T/log" 2>&1; then
		echo "mkdev: openssl $1 failed:" >&2
		cat "$T/log" >&2
		exit 1
	fi
}

newkey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$1.key"; }

# The CA database `openssl ca` needs for the revocation and the CRL.
mkdir "$T/db" "$T/new"
: > "$T/db/index.txt"
echo 'unique_subject = no' > "$T/db/index.txt.attr"
openssl rand -hex 16 > "$T/db/serial"
echo 01 > "$T/db/crlnumber"

cat > "$T/ca.cnf" <<EOF
[ca]
default_ca = dev_ca

[dev_ca]
dir              = $T
database         = \$dir/db/index.txt
serial           = \$dir/db/serial
crlnumber        = \$dir/db/crlnumber
new_certs_dir    = \$dir/new
certificate      = \$dir/ca.crt
private_key      = \$dir/ca.key
default_md       = sha256
default_days     = $DAYS
default_crl_days = $DAYS
policy           = dev_policy
unique_subject   = no
copy_extensions  = none

[dev_policy]
organizationName = optional
commonName       = supplied

[req]
distinguished_name = req_dn
prompt             = no
[req_dn]
CN = unused

[v3_ca]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[server]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[client]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectAltName         = \$ENV::SAN
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[servereku]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = \$ENV::SAN
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
EOF

# The CA, and a rogue CA that carries the very same name.
export SAN=URI:urn:sec:party:none
newkey ca
ossl req -config "$T/ca.cnf" -new -x509 -key "$T/ca.key" -out "$T/ca.crt" \
	-days "$DAYS" -subj "$CA_NAME" -extensions v3_ca
newkey rogue-ca
ossl req -config "$T/ca.cnf" -new -x509 -key "$T/rogue-ca.key" -out "$T/rogue-ca.crt" \
	-days "$DAYS" -subj "$CA_NAME" -extensions v3_ca

# issue NAME SUBJECT PROFILE [START END]: a key and a CA-signed certificate
issue() {
	newkey "$1"
	ossl req -config "$T/ca.cnf" -new -key "$T/$1.key" -out "$T/$1.csr" -subj "$2"
	if [ $# -ge 5 ]; then
		ossl ca -batch -config "$T/ca.cnf" -in "$T/$1.csr" -out "$T/$1.crt" -notext \
			-extensions "$3" -startdate "$4" -enddate "$5"
	else
		ossl ca -batch -config "$T/ca.cnf" -in "$T/$1.csr" -out "$T/$1.crt" -notext \
			-extensions "$3"
	fi
}

# client NAME ID ORG [PROFILE [START END]]
client() {
	n=$1 id=$2 org=$3
	shift 3
	SAN="URI:urn:sec:party:$id"
	export SAN
	issue "$n" "/O=$org/CN=$id" "${1:-client}" ${2:+"$2"} ${3:+"$3"}
}

issue server "/O=Evidence Intake Development/CN=localhost" server
client alpha   ALPHA "Alpha Energy Ltd"
client beta    BETA  "Beta Networks plc"
client secas   SECAS "Smart Energy Code Administrator and Secretariat"
client audit   AUDIT "Northgate Assurance LLP"
client gamma   GAMMA "Gamma Utilities Ltd"
client revoked ALPHA "Alpha Energy Ltd"
client expired ALPHA "Alpha Energy Ltd" client \
	"$(date -u -d '-60 days' +%Y%m%d%H%M%SZ)" "$(date -u -d '-30 days' +%Y%m%d%H%M%SZ)"
client servereku ALPHA "Alpha Energy Ltd" servereku

# Signed by the rogue CA: same issuer name, wrong key.
SAN=URI:urn:sec:party:ALPHA
newkey rogue
ossl req -config "$T/ca.cnf" -new -key "$T/rogue.key" -out "$T/rogue.csr" \
	-subj "/O=Alpha Energy Ltd/CN=ALPHA"
ossl x509 -req -in "$T/rogue.csr" -CA "$T/rogue-ca.crt" -CAkey "$T/rogue-ca.key" \
	-set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" \
	-extfile "$T/ca.cnf" -extensions client -out "$T/rogue.crt"

ossl ca -config "$T/ca.cnf" -revoke "$T/revoked.crt" -crl_reason keyCompromise
ossl ca -config "$T/ca.cnf" -gencrl -out "$T/ca.crl"

CLIENTS="alpha beta secas audit gamma revoked expired servereku rogue"
for c in $CLIENTS; do
	cat "$T/$c.crt" "$T/$c.key" > "$T/$c.pem"
done

# Install: keys and pems 0600, certificates and the CRL 0644; ca.crt last, so
# that its presence means the set is complete.
(umask 022 && mkdir -p "$DIR")
rm -f "$DIR/ca.crt"
for c in server $CLIENTS; do
	install -m 0600 "$T/$c.key" "$DIR/$c.key"
	install -m 0644 "$T/$c.crt" "$DIR/$c.crt"
done
for c in $CLIENTS; do
	install -m 0600 "$T/$c.pem" "$DIR/$c.pem"
done
install -m 0600 "$T/ca.key" "$DIR/ca.key"
install -m 0644 "$T/ca.crl" "$DIR/ca.crl"
install -m 0644 "$T/rogue-ca.crt" "$DIR/rogue-ca.crt"
install -m 0644 "$T/ca.crt" "$DIR/ca.crt"
echo "mkdev: dev PKI written to $DIR"
