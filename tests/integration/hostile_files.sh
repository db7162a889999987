#!/bin/bash
# tests/integration/hostile_files.sh: files a hostile Party uses to hold the inspectors or to
# slip something past them (issue 14), replayed against the real daemon with
# inspect_seconds = 5.
#
# Each file is built here by python3: a PDF whose /OpenAction chain flips between large object
# streams, a PDF with thousands of object headers hidden in comments behind an unclosed
# string, a workbook naming [Content_Types].xml 300 times (60 MiB each, deflated); each must be
# rejected within FAST_MAX seconds. While ALPHA keeps both inspectors busy with slow archives,
# BETA's small text must be answered within OTHER_MAX seconds (a Party holds at most workers - 1
# inspectors). A 1.1 MB zip of 1000 members of 1 MiB of zeros (a bomb no member shows) is
# rejected, and its twin of spaces with archive-ratio (or inspect-timeout, on a machine slower to
# type 1 MiB texts than to reach the ratio); so are a tar with a zip holding an ELF appended, a tar.gz with
# that zip after its gzip stream and a tar with an ELF appended (trailing-data), sent with a
# Content-Length (inspected by a follower as they arrive) and chunked (inspected from the file),
# with the same verdict both ways; a tar padded with zeros stays accepted.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INSPECT_S=5                             # [limits] inspect_seconds of the policy below
FAST_MAX=15                             # seconds an adversarial file may take to be rejected
OTHER_MAX=12                            # seconds another Party's small upload may wait
SLOW=6                                  # ALPHA's slow uploads at once (three rounds of the workers)

POLICY=$T/hostile.policy
sed "s/^inspect_seconds *=.*/inspect_seconds = $INSPECT_S/" "$SRCDIR/policy/intake.policy" >"$POLICY"
grep -q "^inspect_seconds = $INSPECT_S\$" "$POLICY" || bail "could not set inspect_seconds in the policy"
it_start hostile "$POLICY"

BG=""
hf_cleanup() {
	local p
	for p in $BG; do kill -KILL $p 2>/dev/null; done
}
trap 'hf_cleanup; it_cleanup' EXIT

now() { date +%s.%N; }
secs() { $PY -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }
within() { $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; }
# has_code RESPONSE CODE[|CODE...]: the answer has one of the findings
has_code() { $PY -c 'import json,sys; sys.exit(0 if any(f.get("code") in sys.argv[2].split("|") for f in json.load(open(sys.argv[1])).get("findings") or []) else 1)' "$1" "$2"; }
codes() { $PY -c 'import json,sys; print(" ".join(sorted(set(f.get("code") for f in json.load(open(sys.argv[1])).get("findings") or []))))' "$1" 2>/dev/null; }
verdict() {
	$PY -c 'import json,sys; j=json.load(open(sys.argv[1]))
print(j.get("verdict"), j.get("type"), json.dumps(j.get("findings"), sort_keys=True))' "$1"
}

# ---------------------------------------------------------------- the files
$PY - "$T" <<'PY' || bail "the hostile files could not be built"
import gzip, io, os, struct, sys, tarfile, zipfile, zlib
d = sys.argv[1]
MIB = 1 << 20
def save(name, data):
    open(os.path.join(d, name), "wb").write(data)

# -- PDFs
def pdf(objs, header=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"):
    buf = bytearray(header)
    for n, body in objs:
        buf += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    buf += b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    return bytes(buf)
def base(cat=b"", more=()):
    return [(1, b"<< /Type /Catalog /Pages 2 0 R " + cat + b" >>"),
            (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
            (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>")] + list(more)
def objstm(num, objs, pad):
    hdr = b""; data = b""
    for n, body in objs:
        hdr += b"%d %d " % (n, len(pad) + len(data)); data += body + b"\n"
    raw = zlib.compress(hdr + pad + data, 9)
    return (num, b"<< /Type /ObjStm /N %d /First %d /Length %d /Filter /FlateDecode >>\nstream\n"
            % (len(objs), len(hdr), len(raw)) + raw + b"\nendstream")
# an /OpenAction chain of 3000 /GoTo actions, its links in three 20 MiB object streams in turn
chain = [(10 + k, b"<< /S /GoTo /D [3 0 R] /Next %d 0 R >>" % (11 + k)) for k in range(3000)]
save("flip.pdf", pdf(base(b"/OpenAction 10 0 R",
                          [objstm(7 - i, chain[i::3], b" " * (20 * MIB)) for i in range(3)])))
# 4000 object headers in comments, each opening a string nothing closes, before 8 MiB
junk = b"".join(b"%% %d 0 obj (\n" % (1000 + i) for i in range(4000))
save("hidden.pdf", pdf(base(), b"%PDF-1.7\n" + junk + b"%" + b"x" * (8 * MIB) + b"\n"))

# -- a workbook naming [Content_Types].xml 300 times, 60 MiB of XML each, deflated once
def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15); return c.compress(data) + c.flush()
def rawzip(entries):
    body = bytearray(); cd = bytearray()
    for name, data, comp in entries:
        nb = name.encode(); crc = zlib.crc32(data); off = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 8, 0, 0, crc, len(comp), len(data),
                            len(nb), 0) + nb + comp
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 8, 0, 0, crc, len(comp),
                          len(data), len(nb), 0, 0, 0, 0, 0, off) + nb
    return bytes(body + cd + struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(entries), len(entries),
                                         len(cd), len(body), 0))
H = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
CT = (H + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>')
def rels(rid, typ, target):
    return (H + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="%s" Type="%s%s" Target="%s"/></Relationships>' % (rid, RT, typ, target))
parts = [("[Content_Types].xml", CT + "</Types>"),
         ("_rels/.rels", rels("rId1", "officeDocument", "xl/workbook.xml")),
         ("xl/workbook.xml", H + '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="' + RT[:-1] + '"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'),
         ("xl/_rels/workbook.xml.rels", rels("rId1", "worksheet", "worksheets/sheet1.xml")),
         ("xl/worksheets/sheet1.xml", H + '<worksheet xmlns="http://schemas.openxmlformats.org/'
          'spreadsheetml/2006/main"><sheetData/></worksheet>')]
entries = [(n, t.encode(), deflate(t.encode())) for n, t in parts]
big = (CT + " " * (60 * MIB) + "</Types>").encode()
save("types.xlsx", rawzip(entries + [("[Content_Types].xml", big, deflate(big))] * 300))

# -- a bomb no member shows: 1000 members of 1 MiB of zeros (none over archive_ratio_min)
zeros = deflate(b"\0" * MIB)
save("members.zip", rawzip([("z%04d.txt" % i, b"\0" * MIB, zeros) for i in range(1000)]))
# the same of text (spaces): nothing but the ratio of the whole is wrong with it
spaces = deflate(b" " * MIB)
save("members-text.zip", rawzip([("z%04d.txt" % i, b" " * MIB, spaces) for i in range(1000)]))
# slow to inspect, for the fairness check: 1 MiB members of text, each typed afresh
def slow(seed):
    return rawzip([("s%04d.txt" % i, (b"%d %d\n" % (seed, i)) + b" " * (MIB - 20),
                    deflate((b"%d %d\n" % (seed, i)) + b" " * (MIB - 20))) for i in range(400)])
for k in range(3):
    save("slow%d.zip" % k, slow(k))

# -- what follows a tar (all past the 1 MiB where a follower starts)
def noise(n, seed):
    out, x = bytearray(), seed
    while len(out) < n:
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out += x.to_bytes(8, "little")
    return bytes(out[:n]).hex().encode()[:n]
b = io.BytesIO()
with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
    for name, data in [("evidence/log.txt", noise(2 * MIB, 7)), ("evidence/notes.txt", b"Reviewed.\n")]:
        i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o644
        t.addfile(i, io.BytesIO(data))
tar = b.getvalue()
elf = open("/bin/true", "rb").read()
z = io.BytesIO()
with zipfile.ZipFile(z, "w") as zf:
    zf.writestr("update.txt", elf)
hidden = z.getvalue()
save("base.tar", tar)
save("tar-zip.tar", tar + hidden)
save("targz-zip.tar.gz", gzip.compress(tar) + hidden)
save("tar-elf.tar", tar + elf)
save("padded.tar", tar + b"\0" * 20480)
PY

# ---------------------------------------------------------------- adversarial files: quick rejections
# put_timed CERT KIND NAME FILE OUT: prints "STATUS SECONDS"
put_timed() {
	local t0 t1 st
	t0=$(now)
	st=$(iput "$1" "$2" "$3" "$4" "$5")
	t1=$(now)
	echo "$st $(secs $t0 $t1)"
}
for c in "flip.pdf evidence pdf-limits" "hidden.pdf evidence inspect-timeout" \
	"types.xlsx validation-workbook ooxml-duplicate-part" "members-text.zip evidence-bundle archive-ratio|inspect-timeout" \
	"members.zip evidence-bundle -"; do
	set -- $c
	r=$(put_timed alpha $2 $1 $T/$1 $T/$1.json)
	set -- $1 $2 $3 $r
	note "$1: HTTP $4 in $5 s: $(codes $T/$1.json)"
	check_eq "$1 is rejected" "$4" 422
	check "$1 is rejected within $FAST_MAX s (took $5 s)" within $5 $FAST_MAX
	[ "$3" = - ] || check "$1: finding $3" has_code $T/$1.json $3
done
check "the daemon is alive after them" it_alive

# ---------------------------------------------------------------- one Party cannot hold every inspector
# ALPHA's slow archives first (more of them than workers), then BETA's small text.
echo "BETA's evidence, 2026-12-01" >$T/small.txt
for k in $(seq 0 $((SLOW - 1))); do
	icurl alpha -o $T/slow$k.json -w '%{http_code}' -T $T/slow$((k % 3)).zip \
		"https://localhost:$PORT/v1/submissions/evidence-bundle/slow$k.zip" >$T/slow$k.code &
	BG="$BG $!"
done
sleep 1                                 # ALPHA's uploads are in the inspectors' queue
r=$(put_timed beta evidence small.txt $T/small.txt $T/small.json)
set -- $r
note "BETA's text beside ALPHA's $SLOW slow archives: HTTP $1 in $2 s"
check_eq "BETA's text is accepted" "$1" 201
check "BETA's text is answered within $OTHER_MAX s (took $2 s)" within $2 $OTHER_MAX
for p in $BG; do wait $p 2>/dev/null; done
BG=""
for k in $(seq 0 $((SLOW - 1))); do
	note "ALPHA's slow$k.zip: HTTP $(cat $T/slow$k.code): $(codes $T/slow$k.json)"
	check_eq "ALPHA's slow$k.zip is answered, rejected" "$(cat $T/slow$k.code)" 422
done

# ---------------------------------------------------------------- what follows a tar
for c in "tar-zip.tar 422" "targz-zip.tar.gz 422" "tar-elf.tar 422" "padded.tar 201" "base.tar 201"; do
	set -- $c
	a=$(iput alpha evidence-bundle "$1" "$T/$1" $T/$1.cl.json)
	b=$(icurl alpha -o $T/$1.ch.json -w '%{http_code}' -H 'Transfer-Encoding: chunked' -T - \
		"https://localhost:$PORT/v1/submissions/evidence-bundle/$1" <"$T/$1")
	check_eq "$1 with Content-Length (followed) -> $2" "$a" "$2"
	check_eq "$1 chunked (from the file) -> $2" "$b" "$2"
	check_eq "$1: one verdict both ways" "$(verdict $T/$1.cl.json)" "$(verdict $T/$1.ch.json)"
	[ "$2" = 422 ] && check "$1: finding trailing-data" has_code $T/$1.cl.json trailing-data
done

it_stop
summary
