#!/bin/bash
# tests/integration/core.sh: core intake (issue 2) against the real daemon on loopback.
#
# An accepted PDF whose receipt, proof and hash Go's x/mod verifies and `intake verify` accepts
# (and a tampered file it refuses); every bad certificate refused in the handshake; unknown
# Party 403, unknown kind 404, bad file names 400, over-size 413 (all unlogged); type mismatches
# answered 422 with a logged, verifiable receipt; chunked bodies; the checkpoint counting
# exactly the logged uploads; the admin listener apart; `intaked -t` naming bad settings.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# raw_put PORT CERT PATH HEADERS: sends only a PUT's head over mutual TLS; prints the status
raw_put() {
	$PY - "$1" "$PKI" "$2" "$3" "$4" <<-'PY'
	import socket, ssl, sys
	port, pki, cert, path, headers = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
	ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
	ctx.load_cert_chain(pki + "/" + cert + ".crt", pki + "/" + cert + ".key")
	s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20), server_hostname="localhost")
	s.sendall(("PUT %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n" % (path, headers.replace("|", "\r\n"))).encode())
	resp = b""
	try:
	    while b"\r\n" not in resp and len(resp) < 65536:
	        d = s.recv(4096)
	        if not d:
	            break
	        resp += d
	except OSError:
	    pass
	f = resp.split(b" ")
	print(f[1].decode() if len(f) > 1 and resp.startswith(b"HTTP/1.") else "000")
	PY
}

it_start core
N=0                                     # uploads the log must hold
check_eq "checkpoint of the empty log verifies with Go" "$(log_size)" 0

# ---------------------------------------------------------------- an accepted upload
mkpdf $T/letter.pdf
code=$(iput alpha director-letter letter.pdf $T/letter.pdf $T/r1.json)
check_eq "clean PDF as ALPHA to director-letter -> 201" "$code" 201
[ "$code" = 201 ] && N=$((N + 1))
check_eq "answer: verdict" "$(jget $T/r1.json verdict)" accepted
check_eq "answer: party" "$(jget $T/r1.json party)" ALPHA
check_eq "answer: kind" "$(jget $T/r1.json kind)" director-letter
check_eq "answer: filename" "$(jget $T/r1.json filename)" letter.pdf
check_eq "answer: size" "$(jget $T/r1.json size)" "$(stat -c %s $T/letter.pdf)"
check_eq "answer: sha256 is the file's" "$(jget $T/r1.json sha256)" "$(sha256 $T/letter.pdf)"
check_eq "answer: type" "$(jget $T/r1.json type)" application/pdf
check "Go x/mod verifies receipt, DESIGN §6 entry, proof and file hash" \
	goverify receipt $VKEY $T/r1.json $T/letter.pdf
CERTSHA=$(openssl x509 -in $PKI/alpha.crt -outform DER | sha256sum | cut -d' ' -f1)
check "entry's cert is the SHA-256 of ALPHA's certificate" entry_has $T/r1.json "cert: $CERTSHA"
check "intake verify accepts the receipt and the file" \
	"$INTAKE" verify --vkey "$(cat $VKEY)" $T/r1.json $T/letter.pdf
check "intake verify accepts the receipt alone" "$INTAKE" verify --vkey "$(cat $VKEY)" $T/r1.json
cp $T/letter.pdf $T/tampered.pdf
printf '%% one more byte\n' >>$T/tampered.pdf
check "intake verify refuses a tampered file" \
	refuses "$INTAKE" verify --vkey "$(cat $VKEY)" $T/r1.json $T/tampered.pdf
check "Go verifier refuses the tampered file" refuses goverify receipt $VKEY $T/r1.json $T/tampered.pdf
"$INTAKE" keygen "$ORIGIN" -o $T/other.key >$T/other.out 2>&1
OTHER=$(grep -Eo "^$ORIGIN\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+\$" $T/other.out | head -n 1)
check "intake verify refuses the receipt under another key of the same name" \
	refuses "$INTAKE" verify --vkey "$OTHER" $T/r1.json $T/letter.pdf
$PY - $T/r1.json $T/forged.json <<-'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["receipt"] = d.get("receipt", "").replace("party: ALPHA\n", "party: BETA\n", 1)
d["party"] = "BETA"
json.dump(d, open(sys.argv[2], "w"))
PY
check "intake verify refuses a receipt whose entry was altered" \
	refuses "$INTAKE" verify --vkey "$(cat $VKEY)" $T/forged.json $T/letter.pdf
check "Go verifier refuses a receipt whose entry was altered" refuses goverify receipt $VKEY $T/forged.json

# ---------------------------------------------------------------- certificates and TLS
for c in none rogue expired revoked servereku; do
	code=$(iput $c director-letter letter.pdf $T/letter.pdf $T/neg.json)
	check "certificate '$c' refused (got $code)" bash -c '[ "$1" = 000 ] || { [ "$1" -ge 400 ] && [ "$1" != 422 ]; }' _ "$code"
done
REQ='GET /v1/log/checkpoint HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
sclient() { printf "$REQ" | timeout 15 openssl s_client -connect 127.0.0.1:$PORT -servername localhost \
	-CAfile $PKI/ca.crt -quiet "$@" 2>&1; }
out=$(sclient -cert $PKI/alpha.crt -key $PKI/alpha.key)
check "openssl s_client with ALPHA's certificate gets an HTTP answer" grep -q '^HTTP/1.1 200' <<<"$out"
out=$(sclient)
check "openssl s_client without a certificate: handshake refused, no HTTP byte" \
	bash -c '! grep -q "^HTTP/" <<<"$1" && grep -qiE "alert|handshake|certificate" <<<"$1"' _ "$out"
code=$(icurl alpha --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256 -o /dev/null \
	-w '%{http_code}' https://localhost:$PORT/v1/log/checkpoint)
check_eq "TLS 1.2 with an AEAD suite is allowed" "$code" 200
code=$(icurl alpha --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-SHA256 -o /dev/null \
	-w '%{http_code}' https://localhost:$PORT/v1/log/checkpoint)
check_eq "TLS 1.2 with a CBC suite is refused" "$code" 000
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/v1/log/checkpoint)
check "plain HTTP on the intake listener gets no answer (got $code)" [ "$code" != 200 ]

# ---------------------------------------------------------------- refused before the body
code=$(iput gamma director-letter letter.pdf $T/letter.pdf $T/neg.json)
check_eq "valid certificate of an unknown Party -> 403" "$code" 403
code=$(iput alpha no-such-kind letter.pdf $T/letter.pdf $T/neg.json)
check_eq "unknown kind -> 404" "$code" 404
long=$(printf 'a%.0s' $(seq 1 252))      # ${long}.pdf: 256 bytes, ${long:1}.pdf: 255
for bad in 'a%0Ab.pdf:newline' 'a%00b.pdf:NUL' '.hidden.pdf:leading dot' 'a%2Fb.pdf:slash' \
	'a%0Db.pdf:carriage return' 'a%7Fb.pdf:DEL' '%2E%2E%2Fup.pdf:encoded ../' 'a%FFb.pdf:invalid UTF-8' \
	'a%C0%AFb.pdf:overlong UTF-8' "${long}.pdf:256 bytes"; do
	code=$(iput alpha director-letter "${bad%%:*}" $T/letter.pdf $T/neg.json)
	check_eq "file name with ${bad#*:} -> 400" "$code" 400
done
code=$(raw_put $PORT alpha /v1/submissions/evidence/huge.txt 'Content-Length: 5368709120|')
check_eq "declared Content-Length 5 GiB over the default 4G max_upload -> 413" "$code" 413
check_eq "no refused request was logged" "$(log_size)" $N

# ---------------------------------------------------------------- accepted variants
code=$(iput alpha director-letter "${long:1}.pdf" $T/letter.pdf $T/r-long.json)
check_eq "file name of 255 bytes -> 201" "$code" 201
[ "$code" = 201 ] && N=$((N + 1))
code=$(iput alpha director-letter 'r%C3%A9sum%C3%A9.pdf' $T/letter.pdf $T/r-utf8.json)
check_eq "UTF-8 file name -> 201" "$code" 201
[ "$code" = 201 ] && N=$((N + 1))
check_eq "UTF-8 file name percent-decoded in the answer" "$(jget $T/r-utf8.json filename)" 'résumé.pdf'
cp $T/letter.pdf $T/named.pdf
code=$(icurl alpha -o $T/r-slash.json -w '%{http_code}' -T $T/named.pdf "https://localhost:$PORT/v1/submissions/director-letter/")
check_eq "curl -T FILE URL/ (curl appends the name) -> 201" "$code" 201
[ "$code" = 201 ] && N=$((N + 1))
check_eq "curl -T FILE URL/: the name is the file's" "$(jget $T/r-slash.json filename)" named.pdf
code=$(icurl alpha -o $T/r-chunk.json -w '%{http_code}' -H 'Transfer-Encoding: chunked' -T - \
	"https://localhost:$PORT/v1/submissions/director-letter/chunked.pdf" <$T/letter.pdf)
check_eq "chunked upload (curl -T -) -> 201" "$code" 201
[ "$code" = 201 ] && N=$((N + 1))
check "chunked upload: Go verifies receipt and file hash" goverify receipt $VKEY $T/r-chunk.json $T/letter.pdf
printf 'Evidence reference EV-001: access control policy review, 2026.\n' >$T/policy.txt
code=$(iput alpha evidence 'policy.txt?ref=EV-001' $T/policy.txt $T/r-ref.json)
check_eq "text evidence with ?ref=EV-001 -> 201" "$code" 201
[ "$code" = 201 ] && N=$((N + 1))
check "?ref=EV-001 is in the signed entry" entry_has $T/r-ref.json "ref: EV-001"
DIG=$(openssl dgst -sha256 -binary $T/policy.txt | base64)
code=$(iput alpha evidence policy.txt $T/policy.txt $T/r-dig.json -H "Content-Digest: sha-256=:$DIG:")
check_eq "matching Content-Digest -> 201" "$code" 201
[ "$code" = 201 ] && N=$((N + 1))
BAD=$(printf 'something else' | openssl dgst -sha256 -binary | base64)
code=$(iput alpha evidence policy.txt $T/policy.txt $T/r-baddig.json -H "Content-Digest: sha-256=:$BAD:")
check_eq "mismatching Content-Digest -> 422" "$code" 422
[ "$code" = 422 ] && N=$((N + 1))
check_eq "mismatching Content-Digest: verdict" "$(jget $T/r-baddig.json verdict)" rejected

# ---------------------------------------------------------------- rejected, logged and signed
mkexe $T/fake.pdf
code=$(iput alpha director-letter fake.pdf $T/fake.pdf $T/r-exe.json)
check_eq "EXE named .pdf -> 422" "$code" 422
[ "$code" = 422 ] && N=$((N + 1))
check_eq "EXE named .pdf: verdict" "$(jget $T/r-exe.json verdict)" rejected
check "EXE named .pdf: findings say why" has_findings $T/r-exe.json
check "EXE named .pdf: Go verifies the rejection's receipt and hash" goverify receipt $VKEY $T/r-exe.json $T/fake.pdf
check "EXE named .pdf: intake verify accepts the rejection's receipt" \
	"$INTAKE" verify --vkey "$(cat $VKEY)" $T/r-exe.json $T/fake.pdf
printf 'Dear SECAS,\nthis is not a PDF.\n' >$T/note.txt
code=$(iput alpha director-letter note.txt $T/note.txt $T/r-txt.json)
check_eq "text file as director-letter -> 422" "$code" 422
[ "$code" = 422 ] && N=$((N + 1))
check "text as director-letter: Go verifies the receipt" goverify receipt $VKEY $T/r-txt.json $T/note.txt
code=$(iput alpha director-letter note.pdf $T/note.txt $T/r-txtpdf.json)
check_eq "text file named .pdf -> 422" "$code" 422
[ "$code" = 422 ] && N=$((N + 1))
code=$(iput alpha evidence letter.txt $T/letter.pdf $T/r-ext.json)
check_eq "PDF named .txt as evidence (extension disagrees) -> 422" "$code" 422
[ "$code" = 422 ] && N=$((N + 1))

# ---------------------------------------------------------------- the log
iget audit /v1/log/checkpoint $T/cp >/dev/null
check "GET /v1/log/checkpoint verifies with Go" goverify checkpoint $VKEY $T/cp
check_eq "the checkpoint counts exactly the logged uploads" "$(log_size)" $N
check_eq "the latest receipt's index is the last in the tree" "$(jget $T/r-ext.json index)" $((N - 1))

# ---------------------------------------------------------------- admin listener
check_eq "admin GET /healthz over plain HTTP -> 200" "$(admin_get /healthz)" 200
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' --cacert $PKI/ca.crt --cert $PKI/alpha.crt \
	--key $PKI/alpha.key --resolve localhost:$APORT:127.0.0.1 https://localhost:$APORT/healthz)
check_eq "admin listener does not speak TLS" "$code" 000
code=$(iget alpha /healthz /dev/null)
check "GET /healthz on the intake listener is not the admin surface (got $code)" [ "$code" != 200 ]
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X PUT --data-binary @$T/letter.pdf \
	http://127.0.0.1:$APORT/v1/submissions/director-letter/letter.pdf)
check "admin listener takes no uploads (got $code)" bash -c '[ "$1" != 201 ] && [ "$1" != 422 ]' _ "$code"
check_eq "nothing logged by the admin listener" "$(log_size)" $N

# ---------------------------------------------------------------- intaked -t
check "intaked -t accepts the running configuration" "$INTAKED" -t -c $RUN/intaked.conf
sed 's/^listen = .*/listen = not-an-address/' $RUN/intaked.conf >$T/bad-listen.conf
out=$("$INTAKED" -t -c $T/bad-listen.conf 2>&1)
rc=$?
check "intaked -t refuses a bad listen and names it" bash -c '[ "$1" != 0 ] && grep -q listen <<<"$2"' _ $rc "$out"
sed 's/^\[server\]$/[server]\nfrobnicate = 1/' $RUN/intaked.conf >$T/bad-key.conf
out=$("$INTAKED" -t -c $T/bad-key.conf 2>&1)
rc=$?
check "intaked -t refuses an unknown key and names the key, its file and line" \
	bash -c '[ "$1" != 0 ] && grep -q frobnicate <<<"$2" && grep -q "bad-key.conf:2" <<<"$2"' _ $rc "$out"
sed 's/^\(\[party BETA\]\)$/\1\nwibble = 2/' $RUN/parties.conf >$T/bad-parties.conf
sed "s|^parties .*|parties = $T/bad-parties.conf|" $RUN/intaked.conf >$T/bad-parties-ref.conf
out=$("$INTAKED" -t -c $T/bad-parties-ref.conf 2>&1)
rc=$?
check "intaked -t refuses an unknown key in the parties file and names it" \
	bash -c '[ "$1" != 0 ] && grep -q wibble <<<"$2"' _ $rc "$out"
check "daemon alive throughout" it_alive
it_stop

# ---------------------------------------------------------------- a small max_upload
sed -E 's/^([[:space:]]*max_upload[[:space:]]*=).*/\1 1M/' "$SRCDIR/policy/intake.policy" >$T/small.policy
grep -q '^\[limits\]' $T/small.policy || printf '[limits]\nmax_upload = 1M\n' >>$T/small.policy
it_start small $T/small.policy
yes 'evidence line' | head -c 2097152 >$T/2m.txt
head -c 524288 $T/2m.txt >$T/half.txt
code=$(iput alpha evidence 2m.txt $T/2m.txt $T/s1.json)
check_eq "max_upload 1M: declared 2 MiB -> 413" "$code" 413
check_eq "max_upload 1M: the 413 is not logged" "$(log_size)" 0
code=$(icurl alpha -o $T/s2.json -w '%{http_code}' -H 'Transfer-Encoding: chunked' -T - \
	"https://localhost:$PORT/v1/submissions/evidence/2m.txt" <$T/2m.txt)
check_eq "max_upload 1M: chunked 2 MiB -> 422" "$code" 422
check_eq "max_upload 1M: chunked 2 MiB verdict" "$(jget $T/s2.json verdict)" rejected
check "max_upload 1M: the rejection's receipt verifies with Go" goverify receipt $VKEY $T/s2.json
check_eq "max_upload 1M: the rejection is logged" "$(log_size)" 1
code=$(iput alpha evidence half.txt $T/half.txt $T/s3.json)
check_eq "max_upload 1M: 512 KiB -> 201" "$code" 201
check "max_upload 1M: 512 KiB receipt and hash verify with Go" goverify receipt $VKEY $T/s3.json $T/half.txt
check "daemon alive throughout" it_alive
it_stop
summary
