#!/bin/bash
# tests/integration/console.sh: the web console (DESIGN §5, §9) in headless Chromium, and the
# rules that protect it, with curl.
#
# One intaked; one Chromium at a time (console_browser.py, python3-selenium + chromedriver).
# The browser holds the Parties' certificates in an NSS database under a temporary HOME (the
# dev CA trusted there too: no certificate error is ignored) and each profile auto-selects
# one of them by subject CN. ALPHA's page greets "Alpha Energy Ltd", uploads a 60 MB text as
# `evidence` with an advancing <progress>, and shows the file's SHA-256, which the API lists
# as ALPHA's; SECAS's page lists every Party by name and links each stored file; the
# auditor's second visit verifies, in the page, the consistency proof from the checkpoint it
# saw first. With curl: SECAS downloads the stored file byte for byte as an attachment with
# nosniff, BETA and the auditor get 404; hostile file names are encoded safely; the console's
# CSP has no unsafe-* and forbids framing; an Origin other than the gateway's is 403 before
# the body, and a cross-origin text/plain POST records nothing. The browser's console logs no
# error. Screenshots stay in the scratch directory (printed; INTAKE_KEEP=1 keeps it).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for b in /usr/bin/chromium /usr/bin/chromedriver certutil pk12util; do
	command -v $b >/dev/null || { echo "SKIP: $b is missing (scripts/deps installs chromium," \
		"chromium-driver, python3-selenium and libnss3-tools)" >&2; exit 77; }
done
$PY -c 'import selenium' 2>/dev/null || { echo "SKIP: python3-selenium is missing" >&2; exit 77; }

# GAMMA, a Shared Resource Provider for ALPHA: whoami tells its page the one kind it sends
console_parties() {
	printf '[party GAMMA]\nname = Gamma Utilities Ltd\nmatch = urn:sec:party:GAMMA\nrole = provider\nacts_for = ALPHA\n' \
		>>"$RUN/parties.conf"
}
IT_AFTER_CONFIG=console_parties it_start console
U=https://localhost:$PORT
SHOTS=$T/screenshots
mkdir -p $SHOTS
echo "# screenshots: $SHOTS"

# ---------------------------------------------------------------- the browser's certificates
export HOME=$T/home
NSS=sql:$HOME/.pki/nssdb
mkdir -p $HOME/.pki/nssdb
certutil -N -d $NSS --empty-password >$T/nss.log 2>&1 || bail "certutil -N: $(tail -n 2 $T/nss.log)"
certutil -A -d $NSS -n "intake dev CA" -t "C,," -i $PKI/ca.crt >>$T/nss.log 2>&1 ||
	bail "certutil -A: $(tail -n 2 $T/nss.log)"
for c in alpha secas audit; do
	openssl pkcs12 -export -in $PKI/$c.crt -inkey $PKI/$c.key -name $c -passout pass: \
		-out $T/$c.p12 >>$T/nss.log 2>&1 &&
		pk12util -i $T/$c.p12 -d $NSS -W '' >>$T/nss.log 2>&1 || bail "pk12util $c: $(tail -n 2 $T/nss.log)"
done

# browser SESSION CN [FILE]: console_browser.py's JSON into $T/SESSION.json
browser() {
	timeout 150 $PY "$SRCDIR/tests/integration/console_browser.py" "$U/" $T/profiles $SHOTS "$@" \
		>$T/$1.out 2>$T/$1.err
	tail -n 1 $T/$1.out >$T/$1.json
	[ -s $T/$1.json ] || echo "{\"error\": \"no answer: $(tail -n 2 $T/$1.err | tr -d '\"\\')\"}" >$T/$1.json
}
pj() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"; }
no_console_errors() {
	pj $T/$1.json '"\n".join(m["message"] for m in d.get("console", []) if m["level"] in ("SEVERE", "WARNING")) or ""' >$T/$1.errors
	! grep -q . $T/$1.errors || { cat $T/$1.errors; return 1; }
}
no_error() { [ "$(pj $T/$1.json 'd.get("error", "")')" = "" ] || { pj $T/$1.json 'd["error"]'; tail -n 5 $T/$1.err; return 1; }; }

# ---------------------------------------------------------------- the auditor's first visit
# (after a few entries, so that the proof its second visit checks is not a trivial one)
printf 'first\n' >$T/s.txt
for i in 1 2 3; do iput beta evidence "early-$i.txt" $T/s.txt /dev/null >/dev/null; done
browser auditor AUDIT
check "the auditor's page answers" no_error auditor
check_eq "the auditor is greeted by name" "$(pj $T/auditor.json 'd.get("name")')" "Northgate Assurance LLP"
check "it remembers the first checkpoint it saw" \
	grep -q "First checkpoint this browser has seen" <(pj $T/auditor.json 'd.get("consistency")')
check "the auditor's console logs no error" no_console_errors auditor

# ---------------------------------------------------------------- ALPHA uploads 60 MB
$PY -c '
import sys
line = b"Evidence of the access control review, line %08d: all findings closed.\n"
with open(sys.argv[1], "wb") as f:
    for i in range(60 * 1024 * 1024 // 64 + 1):
        f.write((line % i)[:64])' $T/access-review.txt
# ALPHA's Validation Workbook names the file the page sends (EV-001) and one never sent (EV-002)
$PY - $T/workbook.xlsx <<'PY'
import sys, openpyxl
wb = openpyxl.Workbook(); wb.active.title = "Cover"
t = wb.create_sheet("Evidence References")
t.append(["Description", "SEC Obligation", "File Name", "Evidence Ref", "SHA-256"])
t.append(["Access control review", "G5.14", "access-review.txt", "EV-001", None])
t.append(["Letter of Intent", "G3.17", "loi.pdf", "EV-002", None])
wb.save(sys.argv[1])
PY
check_eq "ALPHA's workbook" "$(iput alpha validation-workbook workbook.xlsx $T/workbook.xlsx /dev/null)" 201
browser party ALPHA $T/access-review.txt
check "ALPHA's page answers" no_error party
check_eq "https://localhost:PORT/ greets Alpha Energy Ltd" "$(pj $T/party.json 'd.get("name")')" "Alpha Energy Ltd"
check "the kind select lists the policy's kinds" \
	[ "$(pj $T/party.json '" ".join(d.get("kinds", []))')" = "$(grep -o '^\[kind [a-z-]*' $SRCDIR/policy/intake.policy | cut -c7- | tr '\n' ' ' | sed 's/ $//')" ]
check "every control has a label" [ "$(pj $T/party.json '",".join(sorted(set(d.get("labels", []))))')" = ok ]
check_eq "keyboard: Tab goes from the file to the kind, the reference and Send" \
	"$(pj $T/party.json '" ".join(d.get("tab_order", []))')" "kind ref send"
check_eq "keyboard: the arrows chose the kind" "$(pj $T/party.json 'd.get("kind")')" evidence
check_eq "the kind's description is the policy's" "$(pj $T/party.json 'd.get("kind_desc")')" \
	"$(sed -n '/^\[kind evidence\]/,/^\[/s/^description = //p' "$SRCDIR/policy/intake.policy")"
check_eq "at 200 % zoom nothing is wider than the window" "$(pj $T/party.json 'd.get("overflow")')" 0
progress=$(pj $T/party.json '" ".join(str(v) for v in d.get("progress", []))')
echo "# progress values seen: $progress"
check "the <progress> advanced through values between 0 and 100" \
	$PY -c 'import sys; v=[float(x) for x in sys.argv[1:]]; sys.exit(0 if len([x for x in v if 0 < x < 100]) >= 2 and v == sorted(v) and v[-1] == 100 else 1)' $progress
check_eq "the page shows the file's SHA-256" "$(pj $T/party.json 'd.get("sha256")')" "$(sha256 $T/access-review.txt)"
check_eq "and the verdict" "$(pj $T/party.json 'd.get("verdict")')" accepted
idx=$(pj $T/party.json 'd.get("index", "")')
check_eq "the API lists that receipt as ALPHA's" \
	"$(icurl alpha "$U/v1/receipts?party=ALPHA&limit=1000" | $PY -c 'import json,sys; print(" ".join(r["party"] + ":" + r["sha256"] for r in json.load(sys.stdin)["receipts"] if r["index"] == int(sys.argv[1])))' "$idx")" \
	"ALPHA:$(sha256 $T/access-review.txt)"
check_eq "the page's link report: EV-001 received, EV-002 missing and marked out" \
	"$(pj $T/party.json '"|".join(r[0] + ":" + r[3] + ":" + r[-1] for r in d.get("links", []))')" \
	"EV-001:received:|EV-002:MISSING:missing"
check_eq "the receipt button saved the receipt as JSON" \
	"$(pj $T/party.json 'd.get("saved", {}).get("sha256", "") + " " + str("receipt" in d.get("saved", {}))')" \
	"$(sha256 $T/access-review.txt) True"
check "ALPHA's console logs no error" no_console_errors party

# ---------------------------------------------------------------- SECAS
# a file name that is markup: the page shows it as text
printf 'markup\n' >$T/m.txt
check_eq "BETA sends a file whose name is markup" \
	"$(iput beta evidence '%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.txt' $T/m.txt /dev/null)" 201
# a rejected upload (an executable named .pdf), and enough receipts for a second page
mkexe $T/x.exe
check_eq "ALPHA sends an executable as a PDF" "$(iput alpha evidence x.pdf $T/x.exe $T/rej.json)" 422
check_eq "BETA sends 20 more" "$(bulk_put beta evidence 20 2 page-)" 20
n2=$(log_size)
browser secas SECAS
check "SECAS's page answers" no_error secas
check "SECAS's page shows every Party by name" [ "$(pj $T/secas.json '"|".join(d.get("parties", []))')" = \
	"Alpha Energy Ltd|Beta Networks plc|Smart Energy Code Administrator and Secretariat|Northgate Assurance LLP|Gamma Utilities Ltd" ]
check "the Parties filter narrows the table" [ "$(pj $T/secas.json '"|".join(d.get("filtered", []))' | cut -c1-4)" = BETA ]
check "SECAS's page links the stored file" \
	grep -qx "$U/v1/receipts/$idx/file" <(pj $T/secas.json '"\n".join(d.get("file_links", []))')
check "the markup name is shown as text" \
	grep -qxF '<img src=x onerror=alert(1)>.txt' <(pj $T/secas.json '"\n".join(d.get("file_names", []))')
check_eq "and made no element" "$(pj $T/secas.json 'd.get("imgs")')" 0
check_eq "SECAS pages through the receipts, 20 at a time" \
	"$(pj $T/secas.json '" ".join(str(len(p)) + ":" + p[0] for p in d.get("pages", []))')" "20:0 $((n2 - 20)):20"
check_eq "SECAS lists the rejected upload" \
	"$(pj $T/secas.json '"|".join(r[2] + ";" + r[4].split(chr(10))[0] + ";" + r[5] for r in d.get("rejected", []))')" \
	"Alpha Energy Ltd (ALPHA);x.pdf;rejected"
check "with its reasons in words" grep -qxF "The file is a program, which is never accepted. (the file is a program (application/x-dosexec))" \
	<(pj $T/secas.json 'd.get("rejected", [[""] * 7])[0][6]')
check "SECAS's console logs no error" no_console_errors secas

# ---------------------------------------------------------------- a cross-site form post
n1=$(log_size)
browser csrf SECAS
check "another site's text/plain form post reached the gateway with SECAS's certificate" no_error csrf
check_eq "and was refused" "$(pj $T/csrf.json 'd.get("answer")')" '{"error":"cross-origin request refused"}'
check_eq "nothing was recorded" "$(log_size)" "$n1"

# ---------------------------------------------------------------- the auditor's second visit
browser auditor AUDIT
check "the auditor's second visit verifies the consistency proof in the page" \
	grep -q "^Consistent: the tree of size" <(pj $T/auditor.json 'd.get("consistency")')
check "and refuses a proof against a root it did not see" \
	grep -q "^NOT CONSISTENT: the proof from size 3 to" <(pj $T/auditor.json 'd.get("forked")')
check "the auditor's page links the tiles" grep -q "/v1/log/tile/0/000.p/" <(pj $T/auditor.json '"\n".join(d.get("tiles", []))')
check "the auditor's console logs no error" no_console_errors auditor

# ---------------------------------------------------------------- the stored file, with curl
code=$(icurl secas -D $T/dl.h -o $T/dl.bin -w '%{http_code}' "$U/v1/receipts/$idx/file")
check_eq "SECAS downloads the stored file" "$code" 200
check "byte for byte" cmp $T/dl.bin $T/access-review.txt
check "as an attachment with the original name" grep -qi '^Content-Disposition: attachment; filename="access-review.txt"; filename\*=UTF-8'"''"'access-review.txt' $T/dl.h
check "with nosniff" grep -qi '^X-Content-Type-Options: nosniff' $T/dl.h
check "as application/octet-stream" grep -qi '^Content-Type: application/octet-stream' $T/dl.h
check_eq "ALPHA downloads its own" "$(icurl alpha -o /dev/null -w '%{http_code}' "$U/v1/receipts/$idx/file")" 200
check_eq "BETA gets 404" "$(icurl beta -o $T/b.json -w '%{http_code}' "$U/v1/receipts/$idx/file")" 404
check_eq "the auditor gets 404 (files are the Party's and SECAS's)" \
	"$(icurl audit -o /dev/null -w '%{http_code}' "$U/v1/receipts/$idx/file")" 404
check_eq "BETA's 404 is that of a receipt that does not exist" \
	"$(cat $T/b.json)" "$(icurl beta "$U/v1/receipts/99999/file")"
check_eq "a rejected upload has no stored file" \
	"$(icurl secas -o /dev/null -w '%{http_code}' "$U/v1/receipts/$(jget $T/rej.json index)/file")" 404
for bad in 01 -1 1x 99999999999999999999 "" ; do
	check_eq "receipt '$bad'/file -> 404" "$(icurl secas -o /dev/null -w '%{http_code}' "$U/v1/receipts/$bad/file")" 404
done
# a second, small download on the same connection: keep-alive survives a download
two_downloads() {
	local out
	out=$(icurl secas -o $T/k1 -o $T/k2 -w '%{http_code}:%{num_connects} ' "$U/v1/receipts/$idx/file" "$U/v1/whoami")
	[ "$out" = "200:1 200:0 " ] || { echo "$out"; return 1; }
	cmp $T/k1 $T/access-review.txt && grep -q '"SECAS"' $T/k2
}
check "a download, then another request on the same connection" two_downloads

# hostile names: quotes, CR/LF (refused at upload), non-ASCII, separators (encoded)
hostile() {
	local enc=$1 want=$2 r
	printf 'hostile\n' >$T/h.txt
	r=$(iput alpha evidence "$enc" $T/h.txt $T/h.json)
	[ "$r" = 201 ] || { echo "upload of $enc: $r $(cat $T/h.json)"; return 1; }
	icurl secas -D $T/h.h -o /dev/null "$U/v1/receipts/$(jget $T/h.json index)/file"
	grep -i '^Content-Disposition:' $T/h.h | tr -d '\r' | grep -qxF "Content-Disposition: $want" ||
		{ grep -i '^Content-Disposition:' $T/h.h; return 1; }
}
check "a name with quotes and a backslash" hostile 'say%22hi%22%5Cthere.txt' \
	"attachment; filename=\"say_hi__there.txt\"; filename*=UTF-8''say%22hi%22_there.txt"
check "a non-ASCII name" hostile '%C3%A9tat%20d%C3%A9taill%C3%A9.txt' \
	"attachment; filename=\"__tat d__taill__.txt\"; filename*=UTF-8''%C3%A9tat%20d%C3%A9taill%C3%A9.txt"
check "a name with a percent sign and a semicolon" hostile '100%25%3B%20done.txt' \
	"attachment; filename=\"100_; done.txt\"; filename*=UTF-8''100%25%3B%20done.txt"
check_eq "a name with CR LF is refused at upload" "$(iput alpha evidence 'a%0D%0ASet-Cookie:%20x.txt' $T/h.txt /dev/null)" 400

# ---------------------------------------------------------------- the console's headers
icurl alpha -D $T/root.h -o $T/root.html "$U/"
csp=$(grep -i '^Content-Security-Policy:' $T/root.h | tr -d '\r')
echo "# $csp"
check "GET / has a CSP with default-src 'self'" grep -q "default-src 'self'" <<<"$csp"
check "and frame-ancestors 'none'" grep -q "frame-ancestors 'none'" <<<"$csp"
check "and nothing unsafe-" bash -c '! grep -qi "unsafe-" <<<"$1"' _ "$csp"
check "GET / has nosniff" grep -qi '^X-Content-Type-Options: nosniff' $T/root.h
check "GET / has Referrer-Policy: no-referrer" grep -qi '^Referrer-Policy: no-referrer' $T/root.h
check "GET / is text/html" grep -qi '^Content-Type: text/html; charset=utf-8' $T/root.h
icurl alpha -o $T/console.js "$U/console.js"
check "the script never parses data as HTML" bash -c '
	! grep -Eq "innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(" "$1"' _ $T/console.js
check "the page has no inline script, style or handler" bash -c '
	! grep -Eqi "<script>|<script [^>]*>[^<]|<style|style=| on[a-z]+=|javascript:" "$1"' _ $T/root.html
etag=$(grep -i '^ETag:' $T/root.h | cut -d' ' -f2 | tr -d '\r')
check_eq "an unchanged page is 304" "$(icurl alpha -H "If-None-Match: $etag" -o /dev/null -w '%{http_code}' "$U/")" 304
check_eq "console.js is a script" "$(icurl alpha -o /dev/null -w '%{content_type}' "$U/console.js")" "text/javascript; charset=utf-8"
check_eq "console.css is a style sheet" "$(icurl alpha -o /dev/null -w '%{content_type}' "$U/console.css")" "text/css; charset=utf-8"
check_eq "/ is the page, not a prefix: GET /index.html is 404" "$(icurl alpha -o /dev/null -w '%{http_code}' "$U/index.html")" 404
check_eq "PUT / is 405" "$(icurl alpha -o /dev/null -w '%{http_code}' -X PUT --data-binary x -H 'Content-Type: application/json' "$U/")" 405
check_eq "no client certificate, no page" "$(icurl none -o /dev/null -w '%{http_code}' "$U/")" 000
check_eq "whoami names the Party" "$(icurl alpha "$U/v1/whoami" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["party"], d["name"], d["role"], "parties" in d)')" \
	"ALPHA Alpha Energy Ltd party False"
check_eq "whoami tells a provider its one kind and whom it acts for" \
	"$(icurl gamma "$U/v1/whoami" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["role"], [k["kind"] for k in d["kinds"]], d["acts_for"], "parties" in d)')" \
	"provider ['shared-resource-return'] ['ALPHA'] False"
check_eq "whoami tells SECAS every Party" \
	"$(icurl secas "$U/v1/whoami" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["role"], " ".join(p["party"] + ":" + p["role"] for p in d["parties"]))')" \
	"secas ALPHA:party BETA:party SECAS:secas AUDIT:auditor GAMMA:provider"

# ---------------------------------------------------------------- the Origin rule
n1=$(log_size)
check_eq "an upload with Origin: https://evil.example is 403" \
	"$(iput alpha evidence evil.txt $T/h.txt /dev/null -H 'Origin: https://evil.example')" 403
check_eq "Origin: null from another site is 403" \
	"$(iput alpha evidence evil.txt $T/h.txt /dev/null -H 'Origin: null' -H 'Sec-Fetch-Site: cross-site')" 403
check_eq "a look-alike origin is 403" \
	"$(iput alpha evidence evil.txt $T/h.txt /dev/null -H "Origin: https://localhost:$PORT.evil.example")" 403
check_eq "plain http:// of our host is 403" \
	"$(iput alpha evidence evil.txt $T/h.txt /dev/null -H "Origin: http://localhost:$PORT")" 403
check_eq "two Origin headers, ours and another, are 403" \
	"$(iput alpha evidence evil.txt $T/h.txt /dev/null -H "Origin: https://localhost:$PORT" -H 'Origin: https://evil.example')" 403
check_eq "a GET with a foreign Origin is 403 too" \
	"$(icurl alpha -o /dev/null -w '%{http_code}' -H 'Origin: https://evil.example' "$U/v1/receipts")" 403
check_eq "a cross-origin text/plain POST of a fact is 403" \
	"$(icurl secas -o /dev/null -w '%{http_code}' -X POST -H 'Origin: https://evil.example' \
		-H 'Content-Type: text/plain' --data '{"fact":"cio-fieldwork","date":"2025-01-10"}' "$U/v1/parties/ALPHA/facts")" 403
check_eq "and without Origin, a text/plain POST is 415" \
	"$(icurl secas -o /dev/null -w '%{http_code}' -X POST \
		-H 'Content-Type: text/plain' --data '{"fact":"cio-fieldwork","date":"2025-01-10"}' "$U/v1/parties/ALPHA/facts")" 415
check_eq "as is a form-encoded one" \
	"$(icurl secas -o /dev/null -w '%{http_code}' -X POST \
		--data 'fact=cio-fieldwork&date=2025-01-10' "$U/v1/parties/ALPHA/facts")" 415
check_eq "nothing was recorded" "$(log_size)" "$n1"
check_eq "Origin: null that the browser says is same-origin passes (Firefox under no-referrer)" \
	"$(iput alpha evidence null.txt $T/h.txt /dev/null -H 'Origin: null' -H 'Sec-Fetch-Site: same-origin')" 201
check_eq "the gateway's own origin is fine" \
	"$(iput alpha evidence own.txt $T/h.txt /dev/null -H "Origin: https://localhost:$PORT")" 201
check_eq "and a JSON POST from it records a fact" \
	"$(icurl secas -o /dev/null -w '%{http_code}' -X POST -H "Origin: https://localhost:$PORT" \
		-H 'Content-Type: application/json' --data '{"fact":"cio-fieldwork","date":"2025-01-10"}' "$U/v1/parties/ALPHA/facts")" 201

it_stop
summary
