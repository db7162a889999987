#!/bin/bash
# tests/integration/metrics.sh: /metrics as Prometheus reads it, from the real daemon after an
# accepted and a rejected upload. The text parses with python3-prometheus-client's parser;
# every family has HELP and TYPE; the upload duration histogram has one series per kind and
# verdict seen, cumulative buckets ending in +Inf = count; inspections, the waits for them and
# records are timed; the log's size is the checkpoint's; the daemon logs one line per upload
# with Party, kind, size, SHA-256, verdict and duration, and nothing of the file's contents.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

$PY -c 'import prometheus_client.parser' 2>/dev/null || bail "python3-prometheus-client is missing (scripts/deps installs it)"
it_start metrics
printf 'SECRET-CONTENT-7f3a access policy\n' >$T/ok.txt
mkexe $T/bad.pdf
check_eq "a text upload is accepted" "$(iput alpha evidence ok.txt $T/ok.txt $T/ok.json)" 201
check_eq "an executable named .pdf is rejected" "$(iput alpha evidence bad.pdf $T/bad.pdf $T/bad.json)" 422
iget audit /v1/log/checkpoint $T/cp >/dev/null
curl -s --max-time 10 "http://127.0.0.1:$APORT/metrics" >$T/prom.txt
check "GET /metrics answers" test -f $T/prom.txt -a -s $T/prom.txt

$PY - $T/prom.txt "$(sed -n 2p $T/cp)" >$T/prom.out 2>&1 <<'PY'
import re, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
want_size = int(sys.argv[2])
fams = {f.name: f for f in text_string_to_metric_families(text)}
helps = set(re.findall(r"^# HELP (\S+) \S", text, re.M))
types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
samples = re.findall(r"^([a-z_]+)(?:\{[^}]*\})? ", text, re.M)
bad = []
for s in samples:
    fam = re.sub(r"_(bucket|sum|count)$", "", s) if s not in types else s
    if fam not in helps or fam not in types:
        bad.append(s)
print("families:", len(fams), "without HELP or TYPE:", sorted(set(bad)))
assert not bad

h = fams["intake_upload_duration_seconds"]
assert types["intake_upload_duration_seconds"] == "histogram"
series = {}
for s in h.samples:
    key = (s.labels.get("kind"), s.labels.get("verdict"))
    series.setdefault(key, []).append(s)
print("upload series:", sorted(series))
for verdict in ("accepted", "rejected"):
    ss = series[("evidence", verdict)]
    buckets = [(s.labels["le"], s.value) for s in ss if s.name.endswith("_bucket")]
    count = [s.value for s in ss if s.name.endswith("_count")][0]
    vals = [v for _, v in buckets]
    assert vals == sorted(vals), "buckets are cumulative"
    assert buckets[-1][0] == "+Inf" and buckets[-1][1] == count == 1, (buckets[-1], count)
    assert [s.value for s in ss if s.name.endswith("_sum")][0] > 0

ins = fams["intake_inspection_duration_seconds"]
count = [s.value for s in ins.samples if s.name.endswith("_count")][0]
print("inspections timed:", count)
assert count >= 2

def histogram(name):
    """An unlabelled histogram's count, sum and +Inf bucket."""
    assert types[name] == "histogram", (name, types.get(name))
    ss = fams[name].samples
    return ([s.value for s in ss if s.name.endswith("_count")][0],
            [s.value for s in ss if s.name.endswith("_sum")][0],
            [s.value for s in ss if s.name.endswith("_bucket") and s.labels["le"] == "+Inf"][0])

# every inspection began after a wait for its inspector, timed (zero or more)
waits, wsum, winf = histogram("intake_inspection_wait_seconds")
print("waits for an inspector timed:", waits, "seconds in all:", wsum)
assert waits == winf == count and 0 <= wsum < 60, (waits, winf, count, wsum)

# both uploads went to the notary and were answered; the time is real
count, total, inf = histogram("intake_record_duration_seconds")
print("records timed:", count, "seconds in all:", total)
assert count == inf == 2 and 0 < total < 60, (count, inf, total)

size = [s.value for s in fams["intake_log_size"].samples][0]
print("intake_log_size:", size, "checkpoint size:", want_size)
assert size == want_size == 2
acc = [s.value for s in fams["intake_uploads"].samples if s.labels.get("verdict") == "accepted"]
assert acc == [1.0], acc
print("ok")
PY
rc=$?
sed 's/^/# /' $T/prom.out
check "the text parses, every family has HELP and TYPE, the histograms and log size add up" [ $rc = 0 ]
check "the daemon logs each upload with Party, kind, size, SHA-256, verdict and duration" \
	grep -qE "accepted index=0 party=ALPHA kind=evidence size=[0-9]+ sha256=[0-9a-f]{64} .*duration=[0-9.]+s" "$RUN/daemon.log"
check "nothing of the file's contents is logged" bash -c '! grep -q SECRET-CONTENT "$1"' _ "$RUN/daemon.log"
it_stop
summary
