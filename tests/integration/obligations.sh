#!/bin/bash
# tests/integration/obligations.sh: the SEC obligations surface with real curl (DESIGN §5, §8).
# GAMMA is a Shared Resource Provider for ALPHA (shared_resource = yes): its ?for=ALPHA return is
# ALPHA's receipt with 'agent: GAMMA'; for BETA, for another kind, or ?for= from a Party, 403
# before the body. Its returns are checked as CSV and as one-sheet .xlsx (openpyxl): the wrong
# Party, a missing column, a negative count, 30 February, two sheets, an empty sheet and a
# formula are 422 with the reason; 65536 rows (the limit) are accepted. A director's letter names its Party's accepted remediation plan (plan: N), and
# another Party's plan is refused before the body, nothing recorded. GAMMA lists and reads the
# receipts it made for ALPHA (each with party and agent), not ALPHA's others. Facts come from
# SECAS only, strict JSON with a real date, and are signed entries Go's x/mod verifies.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

obl_parties() {
	$PY - "$RUN/parties.conf" <<-'PY'
	import sys
	p = sys.argv[1]; s = open(p).read()
	s = s.replace("match = urn:sec:party:ALPHA\nrole  = party\n",
	              "match = urn:sec:party:ALPHA\nrole  = party\nshared_resource = yes\n")
	s += "[party GAMMA]\nname = Gamma SRP\nmatch = urn:sec:party:GAMMA\nrole = provider\nacts_for = ALPHA\n"
	open(p, "w").write(s)
	PY
}
IT_AFTER_CONFIG=obl_parties it_start obligations
U=https://localhost:$PORT
fact() { icurl "$1" -o "$T/fact.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data "$3" "$U/v1/parties/$2/facts"; }
n0=$(log_size)

# facts
check_eq "a Party cannot record a fact" "$(fact alpha ALPHA '{"fact":"cio-fieldwork","date":"2025-01-10"}')" 403
check_eq "the provider cannot either" "$(fact gamma ALPHA '{"fact":"cio-fieldwork","date":"2025-01-10"}')" 403
check_eq "29 February of a common year -> 400" "$(fact secas ALPHA '{"fact":"cio-fieldwork","date":"2025-02-29"}')" 400
check_eq "an unknown fact -> 400" "$(fact secas ALPHA '{"fact":"cio-visit","date":"2025-01-10"}')" 400
check_eq "an extra key -> 400" "$(fact secas ALPHA '{"fact":"cio-fieldwork","date":"2025-01-10","x":1}')" 400
check_eq "a duplicate key -> 400" "$(fact secas ALPHA '{"fact":"cio-fieldwork","fact":"cio-fieldwork","date":"2025-01-10"}')" 400
check_eq "a date with a time -> 400" "$(fact secas ALPHA '{"fact":"cio-fieldwork","date":"2025-01-10T00:00:00Z"}')" 400
check_eq "an unknown Party -> 404" "$(fact secas NOSUCH '{"fact":"cio-fieldwork","date":"2025-01-10"}')" 404
check_eq "GET on facts -> 405" "$(icurl secas -o /dev/null -w '%{http_code}' "$U/v1/parties/ALPHA/facts")" 405
check_eq "nothing refused was logged" "$(log_size)" "$n0"
check_eq "SECAS records a leap-day fieldwork -> 201" "$(fact secas ALPHA '{"fact":"cio-fieldwork","date":"2024-02-29"}')" 201
check "the fact's receipt verifies with Go x/mod" goverify receipt "$VKEY" $T/fact.json
check "and with intake verify" "$INTAKE" verify --vkey "$(cat $VKEY)" $T/fact.json
check "its entry says the fact" entry_has $T/fact.json "fact: cio-fieldwork"
check "and who recorded it" entry_has $T/fact.json "recorded-by: SECAS"

# G5.27 returns as one-sheet workbooks, made by openpyxl, sent by GAMMA for ALPHA
$PY - $T <<-'PY'
	import sys, os, datetime, openpyxl
	D = sys.argv[1]; H = ['Party', 'Period End', 'Critical Capable SMS']
	def wb(name, rows, sheets=1):
	    w = openpyxl.Workbook(); ws = w.active; ws.title = 'G5.27'
	    for r in rows: ws.append(r)
	    for i in range(1, sheets): w.create_sheet('Sheet%d' % (i + 1)).append(H)
	    w.save(os.path.join(D, name + '.xlsx'))
	wb('x_ok', [H, ['ALPHA', '2026-09-30', 18250], ['ALPHA', datetime.date(2026, 3, 31), 18000]])
	wb('x_party', [H, ['BETA', '2026-09-30', 18250]])
	wb('x_column', [['party', 'period_end'], ['ALPHA', '2026-09-30']])
	wb('x_negative', [H, ['ALPHA', '2026-09-30', -3]])
	wb('x_date', [H, ['ALPHA', '2026-02-30', 1]])
	wb('x_sheets', [H, ['ALPHA', '2026-09-30', 1]], sheets=2)
	wb('x_empty', [])
	wb('x_formula', [H, ['ALPHA', '2026-09-30', '=18000+250']])
	w = openpyxl.Workbook(write_only=True); ws = w.create_sheet('G5.27'); ws.append(H)
	for i in range(65536): ws.append(['ALPHA', datetime.date(2026, 9, 30), i])
	w.save(os.path.join(D, 'x_huge.xlsx'))
	PY
# xput NAME WANT REASON: GAMMA sends $T/NAME.xlsx for ALPHA; the status, and for a 422 the reason
xput() {
	local code
	code=$(iput gamma shared-resource-return "$1.xlsx?for=ALPHA" $T/$1.xlsx $T/$1.json)
	if [ "$2" = 201 ]; then
		check_eq "xlsx return $1" "$code" 201
	else
		check "xlsx return $1 is 422, g527-return: $3 ($code)" \
			bash -c "[ $code = 422 ] && grep -qF 'g527-return' $T/$1.json && grep -qF '$3' $T/$1.json"
	fi
}
xput x_ok 201
check "its receipt verifies with the workbook" goverify receipt "$VKEY" $T/x_ok.json $T/x_ok.xlsx
xput x_party 422 "row 2 is for another Party, not ALPHA"
xput x_column 422 "no critical_capable_sms column"
xput x_negative 422 "critical_capable_sms is not a non-negative integer"
xput x_date 422 "row 2: period_end is not a date"
xput x_sheets 422 "the workbook has 2 sheets, not one"
xput x_empty 422 "no header row"
xput x_formula 422 "cell C2 is a formula"
xput x_huge 201

# ?for= (Shared Resource Provider)
printf 'party,period_end,critical_capable_sms\nALPHA,2026-09-30,18250\n' >$T/g527.csv
check_eq "GAMMA sends ALPHA's G5.27 return" "$(iput gamma shared-resource-return 'g527.csv?for=ALPHA' $T/g527.csv $T/g527.json)" 201
check_eq "the receipt is ALPHA's" "$(jget $T/g527.json party)" ALPHA
check "its entry names the agent" entry_has $T/g527.json "agent: GAMMA"
check "and verifies with the file" goverify receipt "$VKEY" $T/g527.json $T/g527.csv
printf 'party,period_end,critical_capable_sms\nBETA,2026-09-30,18250\n' >$T/g527b.csv
check_eq "a return naming another Party is rejected" "$(iput gamma shared-resource-return 'b.csv?for=ALPHA' $T/g527b.csv $T/x.json)" 422
check "with the reason" grep -q 'g527-return' $T/x.json
printf 'party,period_end,critical_capable_sms\nALPHA,2026-02-30,-3\n' >$T/g527c.csv
check_eq "a return with an impossible date is rejected" "$(iput gamma shared-resource-return 'c.csv?for=ALPHA' $T/g527c.csv $T/x.json)" 422
n1=$(log_size)
check_eq "GAMMA for BETA -> 403" "$(iput gamma shared-resource-return 'g.csv?for=BETA' $T/g527.csv $T/x.json)" 403
mkpdf $T/ev.pdf
check_eq "GAMMA sending another kind for ALPHA -> 403" "$(iput gamma evidence 'ev.pdf?for=ALPHA' $T/ev.pdf $T/x.json)" 403
check_eq "GAMMA without ?for= -> 403" "$(iput gamma shared-resource-return g.csv $T/g527.csv $T/x.json)" 403
check_eq "a Party using ?for= -> 403" "$(iput beta shared-resource-return 'g.csv?for=ALPHA' $T/g527.csv $T/x.json)" 403
check_eq "none of them was logged" "$(log_size)" "$n1"

# ?plan= (director's letter)
mkpdf $T/plan.pdf
check_eq "ALPHA's remediation plan" "$(iput alpha remediation-plan plan.pdf $T/plan.pdf $T/plan.json)" 201
plan=$(jget $T/plan.json index)
check_eq "BETA's remediation plan" "$(iput beta remediation-plan plan.pdf $T/plan.pdf $T/bplan.json)" 201
bplan=$(jget $T/bplan.json index)
mkpdf $T/letter.pdf
n2=$(log_size)
check_eq "a letter naming BETA's plan -> 403" "$(iput alpha director-letter "l.pdf?plan=$bplan" $T/letter.pdf $T/x.json)" 403
check_eq "a letter naming a fact -> 403" "$(iput alpha director-letter "l.pdf?plan=$n0" $T/letter.pdf $T/x.json)" 403
check_eq "a letter naming no receipt -> 403" "$(iput alpha director-letter 'l.pdf?plan=999999' $T/letter.pdf $T/x.json)" 403
check_eq "plan=01 -> 400" "$(iput alpha director-letter 'l.pdf?plan=01' $T/letter.pdf $T/x.json)" 400
check_eq "?plan= on another kind -> 400" "$(iput alpha evidence "l.pdf?plan=$plan" $T/letter.pdf $T/x.json)" 400
check_eq "none of them was logged" "$(log_size)" "$n2"
check_eq "the letter naming ALPHA's plan -> 201" "$(iput alpha director-letter "l.pdf?plan=$plan" $T/letter.pdf $T/letter.json)" 201
check "its entry says plan: $plan" entry_has $T/letter.json "plan: $plan"

# a provider lists the receipts it made, each with its party and agent
# lists CERT QUERY -> "index:party:agent ..." of GET /v1/receipts?QUERY in CERT's view
lists() {
	icurl "$1" -o $T/list.json "$U/v1/receipts?$2"
	$PY -c 'import json,sys
print(" ".join("%d:%s:%s" % (r["index"], r["party"], r.get("agent", "-")) for r in json.load(open(sys.argv[1]))["receipts"]))' $T/list.json
}
g=$(jget $T/g527.json index)
check "GAMMA's list has ALPHA's return it made, marked party ALPHA, agent GAMMA" \
	bash -c "[[ ' $(lists gamma limit=1000) ' == *' $g:ALPHA:GAMMA '* ]]"
check "and not ALPHA's own receipts (ALPHA's plan $plan)" bash -c "[[ ' $(lists gamma limit=1000) ' != *' $plan:'* ]]"
check "?party=ALPHA narrows it to the returns it made (all ALPHA's, by GAMMA)" \
	bash -c "l='$(lists gamma party=ALPHA)'; [ -n \"\$l\" ] && [ -z \"\$(tr ' ' '\n' <<<\"\$l\" | grep -v ':ALPHA:GAMMA\$')\" ]"
check_eq "?party=BETA gives nothing" "$(lists gamma party=BETA)" ""
check_eq "GAMMA gets that receipt by its index" "$(iget gamma /v1/receipts/$g $T/x.json)" 200
check_eq "whose answer names the agent" "$(jget $T/x.json agent)" GAMMA
check_eq "but not ALPHA's plan" "$(iget gamma /v1/receipts/$plan $T/x.json)" 404
check "ALPHA lists the return as its own, agent GAMMA" bash -c "[[ ' $(lists alpha limit=1000) ' == *' $g:ALPHA:GAMMA '* ]]"
check "BETA does not see it" bash -c "[[ ' $(lists beta limit=1000) ' != *' $g:'* ]]"
check_eq "a letter's receipt names its plan" "$(iget alpha /v1/receipts/$(jget $T/letter.json index) $T/x.json; jget $T/x.json plan)" "200$plan"

# the register
# obl CERT PARTY NAME [PLAN] -> "status due receipts" of that obligation in CERT's view
obl() {
	icurl "$1" -o $T/obl.json "$U/v1/obligations${2:+?party=$2}"
	$PY - $T/obl.json "$2" "$3" "${4:-}" <<-'PY'
	import json, sys
	d = json.load(open(sys.argv[1])); party, name, plan = sys.argv[2:5]
	for o in d["obligations"]:
	    if o["party"] == party and o["obligation"] == name and (not plan or str(o.get("plan")) == plan):
	        print(o["status"], o["due"] or "-", " ".join(map(str, o["receipts"])) or "-"); break
	else:
	    print("absent - -")
	PY
}
check_eq "ALPHA's SSA from a leap-day fieldwork: due 2025-02-28, overdue" "$(obl secas ALPHA ssa)" "overdue 2025-02-28 -"
fact secas ALPHA "{\"fact\":\"cio-fieldwork\",\"date\":\"$(date -u +%F)\"}" >/dev/null
check_eq "a later fieldwork fact supersedes it" "$(obl secas ALPHA ssa)" "due $(date -u -d '+1 year' +%F) -"
check_eq "no remediation fact: no remediation-plan obligation" "$(obl secas ALPHA remediation-plan)" "absent - -"
fact secas ALPHA "{\"fact\":\"remediation-required\",\"date\":\"$(date -u +%F)\"}" >/dev/null
check_eq "ALPHA's plan of today meets today's remediation fact" "$(obl secas ALPHA remediation-plan)" "met - $plan"
check_eq "the plan's director's letter is met" "$(obl secas ALPHA director-letter $plan)" "met - $(jget $T/letter.json index)"
check_eq "BETA's plan awaits its letter" "$(obl secas BETA director-letter $bplan)" "due - -"
check_eq "ALPHA's G5.27 return is met for six months" "$(obl secas ALPHA g5.27)" "met $(date -u -d '+6 months' +%F) $(jget $T/g527.json index)"
check_eq "BETA has no G5.27 obligation" "$(obl secas BETA g5.27)" "absent - -"
check_eq "BETA's notification agreement is due" "$(obl audit BETA notification-agreement)" "due - -"
check_eq "ALPHA cannot read BETA's register" "$(obl alpha BETA notification-agreement)" "absent - -"
check_eq "ALPHA reads its own" "$(obl alpha ALPHA g5.27 | cut -d' ' -f1)" met
"$INTAKE" obligations --url "$U" --cacert $PKI/ca.crt --cert $PKI/secas.crt --key $PKI/secas.key --csv >$T/obl.csv 2>$T/obl.err
check "intake obligations --csv has a header and ALPHA's lines" bash -c "head -1 $T/obl.csv | grep -qx 'party,obligation,status,due,plan,receipts,basis' && grep -q '^ALPHA,g5.27,met,' $T/obl.csv"
check "the daemon is alive" it_alive
summary
