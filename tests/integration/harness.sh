#!/bin/bash
# tests/integration/harness.sh: the test tools test themselves, so that a refusal seen by the
# other scripts is a refusal for the reason they claim.
#
# The Go verifier's own tests (it accepts a log made with x/mod and refuses each forgery);
# each certificate of certs/mkdev.sh is good or bad for exactly the reason its name says,
# checked with `openssl verify` alone; `intake keygen` prints a key Go's note package parses.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

check "Go verifier's own tests (go test)" bash -c 'cd "$1" && GOPATH=/usr/share/gocode GO111MODULE=off \
	GOFLAGS= GOCACHE="$2/go-cache" go test . 2>&1' _ "$SRCDIR/tests/go/verify" "$BUILDDIR"

it_pki
# v CERT [OPENSSL VERIFY ARGS...]: verifies a client certificate, prints openssl's verdict
v() {
	local c=$1
	shift
	openssl verify -purpose sslclient "$@" "$PKI/$c.crt" 2>&1
}
for c in alpha beta secas audit gamma; do
	check "$c: a valid client certificate (with the CRL)" \
		grep -q ': OK$' <<<"$(v $c -CAfile $PKI/ca.crt -crl_check -CRLfile $PKI/ca.crl)"
	check "$c: carries urn:sec:party:${c^^}" \
		bash -c 'openssl x509 -in "$1" -noout -ext subjectAltName | grep -q "URI:urn:sec:party:$2"' _ $PKI/$c.crt "${c^^}"
done
check "revoked: valid without the CRL" grep -q ': OK$' <<<"$(v revoked -CAfile $PKI/ca.crt)"
check "revoked: revoked with it" grep -q 'certificate revoked' \
	<<<"$(v revoked -CAfile $PKI/ca.crt -crl_check -CRLfile $PKI/ca.crl)"
check "expired: valid but for the time" grep -q ': OK$' <<<"$(v expired -CAfile $PKI/ca.crt -no_check_time)"
check "expired: expired now" grep -q 'certificate has expired' <<<"$(v expired -CAfile $PKI/ca.crt)"
check "servereku: chains, and is a server certificate" grep -q ': OK$' \
	<<<"$(openssl verify -purpose sslserver -CAfile $PKI/ca.crt $PKI/servereku.crt 2>&1)"
check "servereku: is not a client certificate" grep -q 'unsuitable certificate purpose' \
	<<<"$(v servereku -CAfile $PKI/ca.crt)"
check "rogue: valid under the rogue CA" grep -q ': OK$' <<<"$(v rogue -CAfile $PKI/rogue-ca.crt)"
check "rogue: not under ours, though the issuer names match" bash -c '
	[ "$(openssl x509 -in "$1/rogue.crt" -noout -issuer)" = "$(openssl x509 -in "$1/alpha.crt" -noout -issuer)" ] &&
	! openssl verify -CAfile "$1/ca.crt" "$1/rogue.crt" >/dev/null 2>&1' _ $PKI
check "server: a server certificate for localhost" grep -q ': OK$' \
	<<<"$(openssl verify -purpose sslserver -verify_hostname localhost -CAfile $PKI/ca.crt $PKI/server.crt 2>&1)"

# intake keygen's verifier key, as Go's note package reads it (through the verifier's parser)
if "$INTAKE" keygen intake.test/log -o $T/k.key >$T/k.out 2>&1; then
	vk=$(grep -Eo '^intake\.test/log\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$' $T/k.out | head -n 1)
	printf 'intake.test/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n' >$T/cp.txt
	check "intake keygen: a verifier key Go parses" bash -c '
		out=$("$1/goverify" checkpoint "$2" "$3" 2>&1); grep -q "does not verify" <<<"$out"' _ "$BUILDDIR" "$vk" $T/cp.txt
	check "intake keygen: private key file is mode 0600" [ "$(stat -c %a $T/k.key)" = 600 ]
else
	check "intake keygen runs" false
fi
summary
