#!/bin/bash
# tests/integration/hostile_names.sh: names a hostile Party chooses (issue 14), against the real
# daemon on loopback, started once.
#
# A certificate of the dev CA with CN=urn:sec:party:BETA (BETA's URI match value) and a SAN URI
# of its own is not BETA: 403 (match values are typed by their form). File names and refs with
# U+2028, U+2029, a noncharacter or a BOM are refused 400 and not logged, never signed as '?'.
# ?ref=EV%2541 is the ref "EV%41", decoded once, signed as such. A Content-Digest claim with a
# byte no receipt can hold is refused before the body. CSV evidence with signed numbers is
# accepted, a formula injection is not. `intaked -t` refuses a parties file whose match value
# reads two ways, naming its file, line and key.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_start names
N=0                                     # uploads the log must hold
printf 'access policy, version 2\n' >$T/policy.txt

# ---------------------------------------------------------------- certificate names
# mkcert NAME SUBJECT [SAN]: a client certificate signed by the harness's dev CA, into $PKI.
mkcert() {
	local name=$1 subj=$2 san=${3:-}
	{
		echo '[client]'
		echo 'basicConstraints = critical, CA:FALSE'
		echo 'keyUsage = critical, digitalSignature'
		echo 'extendedKeyUsage = clientAuth'
		[ -z "$san" ] || echo "subjectAltName = $san"
	} >$T/$name.ext
	openssl ecparam -name prime256v1 -genkey -noout -out $PKI/$name.key 2>/dev/null &&
		openssl req -new -key $PKI/$name.key -subj "$subj" -out $T/$name.csr 2>/dev/null &&
		openssl x509 -req -in $T/$name.csr -CA $PKI/ca.crt -CAkey $PKI/ca.key \
			-set_serial "0x$(openssl rand -hex 16)" -days 2 -extfile $T/$name.ext \
			-extensions client -out $PKI/$name.crt 2>/dev/null ||
		bail "openssl could not make $name.crt"
}
mkcert mallory '/O=Mallory Ltd/CN=urn:sec:party:BETA' URI:urn:sec:party:MALLORY
mkcert mallory2 '/O=Mallory Ltd/CN=urn:sec:party:BETA'
check "the forged certificates chain to the dev CA" \
	openssl verify -CAfile $PKI/ca.crt $PKI/mallory.crt $PKI/mallory2.crt

code=$(iput mallory evidence policy.txt $T/policy.txt $T/neg.json)
check_eq "CN=urn:sec:party:BETA with a SAN URI of its own is not BETA -> 403" "$code" 403
code=$(iget mallory /v1/log/checkpoint /dev/null)
check_eq "nor may it read as BETA -> 403" "$code" 403
code=$(iput mallory2 evidence policy.txt $T/policy.txt $T/neg.json)
check_eq "CN=urn:sec:party:BETA and no SAN at all -> 403" "$code" 403
code=$(iput beta evidence policy.txt $T/policy.txt $T/beta.json)
check_eq "BETA's own certificate (SAN URI urn:sec:party:BETA) -> 201" "$code" 201
[ "$code" = 201 ] && N=$((N + 1))
check_eq "and it is BETA" "$(jget $T/beta.json party)" BETA

# ---------------------------------------------------------------- names the entry would rewrite
for bad in 'a%E2%80%A8b.txt:U+2028 LINE SEPARATOR' 'a%E2%80%A9b.txt:U+2029 PARAGRAPH SEPARATOR' \
	'a%EF%BF%BEb.txt:noncharacter U+FFFE' 'a%EF%B7%90b.txt:noncharacter U+FDD0' \
	'%EF%BB%BFa.txt:BOM' 'a%E2%81%A6b.txt:U+2066 bidi isolate' 'a%C2%85b.txt:U+0085 NEL'; do
	code=$(iput alpha evidence "${bad%%:*}" $T/policy.txt $T/neg.json)
	check_eq "file name with ${bad#*:} -> 400" "$code" 400
done
iput alpha evidence 'a%E2%80%A8b.txt' $T/policy.txt $T/neg.json >/dev/null
check "the 400 names the class" grep -q 'line or paragraph separator' $T/neg.json
for bad in 'EV%E2%80%A8001:U+2028' 'EV%EF%BB%BF001:BOM' 'EV%0A001:newline' 'EV-1%00x:a NUL'; do
	code=$(iput alpha evidence "policy.txt?ref=${bad%%:*}" $T/policy.txt $T/neg.json)
	check_eq "ref with ${bad#*:} -> 400" "$code" 400
done
code=$(iput alpha evidence policy.txt $T/policy.txt $T/neg.json -H $'Content-Digest: sha-256=:\xe2\x80\xa8:')
check_eq "Content-Digest claim with U+2028 -> 400" "$code" 400
check_eq "no refused name was logged" "$(log_size)" $N

# A name that is fine is signed byte for byte as sent.
code=$(iput alpha evidence 'r%C3%A9sum%C3%A9%20%E2%80%94%20v2.txt' $T/policy.txt $T/utf8.json)
check_eq "file name résumé — v2.txt -> 201" "$code" 201
[ "$code" = 201 ] && N=$((N + 1))
check_eq "answered as sent" "$(jget $T/utf8.json filename)" 'résumé — v2.txt'
check "signed as sent" entry_has $T/utf8.json 'filename: résumé — v2.txt'

# ---------------------------------------------------------------- ?ref= decoded once
code=$(iput alpha evidence 'policy.txt?ref=EV%2541' $T/policy.txt $T/ref.json)
check_eq "?ref=EV%2541 -> 201" "$code" 201
[ "$code" = 201 ] && N=$((N + 1))
check_eq "the ref is EV%41, decoded once" "$(jget $T/ref.json ref)" 'EV%41'
check "signed as EV%41, not EVA" entry_has $T/ref.json 'ref: EV%41'
check "EVA appears nowhere" bash -c '! grep -q "EVA" "$1"' _ $T/ref.json

# ---------------------------------------------------------------- CSV: numbers are data
printf 'party,delta,count\r\nALPHA,-12.5,-3\r\nBETA,+7,"-1,234.5"\r\n' >$T/numbers.csv
code=$(iput alpha evidence numbers.csv $T/numbers.csv $T/csv.json)
check_eq "CSV with signed numbers -> 201" "$code" 201
[ "$code" = 201 ] && N=$((N + 1))
printf 'party,note\r\nALPHA,-2+3\r\n' >$T/formula.csv
code=$(iput alpha evidence formula.csv $T/formula.csv $T/csvf.json)
check_eq "CSV with -2+3 (a formula) -> 422" "$code" 422
[ "$code" = 422 ] && N=$((N + 1))
check "its finding is csv-formula" grep -q '"csv-formula"' $T/csvf.json
check_eq "the log holds exactly the uploads with a body" "$(log_size)" $N

# ---------------------------------------------------------------- intaked -t on match values
for bad in 'Alpha: Ops:reads as a URI or a CN' 'URN:sec:party:X:lower case' \
	'urn:sec:party:X Y:reads as a URI or a CN'; do
	val=${bad%:*}
	sed "s|^match = urn:sec:party:AUDIT\$|match = $val|" $RUN/parties.conf >$T/bad-parties.conf
	sed "s|^parties = .*|parties = $T/bad-parties.conf|" $RUN/intaked.conf >$T/bad.conf
	out=$("$INTAKED" -t -c $T/bad.conf 2>&1)
	rc=$?
	line=$(grep -n "^match = $val\$" $T/bad-parties.conf | cut -d: -f1)
	check "intaked -t refuses match = '$val' (exit $rc)" [ $rc != 0 ]
	check "and names the file, line $line and key" grep -qF "$T/bad-parties.conf:$line: key 'match':" <<<"$out"
	check "and says why" grep -qF "${bad##*:}" <<<"$out"
done
check "intaked -t accepts the running configuration" "$INTAKED" -t -c $RUN/intaked.conf

check "daemon alive throughout" it_alive
it_stop
summary
