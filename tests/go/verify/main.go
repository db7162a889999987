// verify: the project's independent verifier for intaked's receipts,
// checkpoints, consistency proofs and tiles, built only on Go's
// golang.org/x/mod/sumdb/{note,tlog} (Debian golang-golang-x-mod-dev), so
// that nothing of ours (include/, gateway/lib/) is trusted by the tests.
//
// Build: GOPATH=/usr/share/gocode GO111MODULE=off go build -o verify .
// Usage (VKEY is a verifier key or a file holding one; exit 0 only if all holds):
//
//	verify receipt VKEY RESPONSE.json [FILE]  upload/receipt answer: signed entry, DESIGN §6 entry
//	                                          format, JSON fields = entry, tlog-proof inclusion in a
//	                                          signed checkpoint, and FILE's size and SHA-256
//	verify entry VKEY RESPONSE.json           prints the receipt's verified entry text
//	verify checkpoint VKEY CHECKPOINT         prints "SIZE BASE64ROOT"
//	verify consistency VKEY OLD NEW PROOF     PROOF: base64 hashes, one per line (RFC 6962)
//	verify tiles VKEY URL CACERT CERT KEY     fetches URL/v1/log/checkpoint and every C2SP
//	                                          tlog-tiles hash and entry tile, rebuilds the root
//	verify cosigned VKEY FILE QUORUM WVKEY... FILE: a checkpoint, or an answer whose proof's
//	                                          checkpoint is used; it must verify with VKEY and
//	                                          carry C2SP tlog-cosignature/v1 cosignatures by at
//	                                          least QUORUM distinct WVKEYs (type 0x04 keys);
//	                                          prints how many and their names
package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const (
	maxNote     = 1 << 20 // longest note or response read (bytes)
	maxTile     = 1 << 24 // longest tile fetched (bytes)
	tileHeight  = 8       // C2SP tlog-tiles: tiles are 2^8 hashes wide
	httpTimeout = 60 * time.Second
)

func die(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "verify: FAIL: "+f+"\n", a...)
	os.Exit(1)
}

func usage() {
	die("usage: verify receipt|entry|checkpoint|consistency|tiles ... (see the source header)")
}

// readSmall reads a file of at most maxNote bytes.
func readSmall(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		die("%v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxNote+1))
	if err != nil {
		die("read %s: %v", path, err)
	}
	if len(b) > maxNote {
		die("%s: longer than %d bytes", path, maxNote)
	}
	return b
}

// vkeyArg takes a verifier key, or the path of a file holding one.
func vkeyArg(a string) note.Verifier {
	s := a
	if b, err := os.ReadFile(a); err == nil {
		s = strings.TrimSpace(string(b))
	}
	v, err := note.NewVerifier(s)
	if err != nil {
		die("bad verifier key %q: %v", s, err)
	}
	return v
}

// openNote verifies a signed note with V and returns its text.
func openNote(v note.Verifier, msg []byte, what string) string {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		die("%s does not verify: %v", what, err)
	}
	if len(n.Sigs) == 0 {
		die("%s: no signature by %s", what, v.Name())
	}
	return n.Text
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

var decimal = regexp.MustCompile(`^(0|[1-9][0-9]{0,18})$`)

func parseDecimal(s, what string) int64 {
	if !decimal.MatchString(s) {
		die("%s: not a canonical decimal: %q", what, s)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		die("%s: %v", what, err)
	}
	return v
}

func parseHash(s, what string) tlog.Hash {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != tlog.HashSize || base64.StdEncoding.EncodeToString(raw) != s {
		die("%s: not a base64 SHA-256 hash: %q", what, s)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return h
}

// parseCheckpoint opens a C2SP tlog-checkpoint: origin, size, root, extensions.
// The origin must be the key's name (DESIGN §4: log origin = signing key name).
func parseCheckpoint(v note.Verifier, msg []byte) checkpoint {
	text := openNote(v, msg, "checkpoint")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		die("checkpoint: fewer than 3 lines")
	}
	if lines[0] == "" || lines[0] != v.Name() {
		die("checkpoint origin %q is not the key name %q", lines[0], v.Name())
	}
	return checkpoint{lines[0], parseDecimal(lines[1], "checkpoint size"), parseHash(lines[2], "checkpoint root")}
}

// parseTlogProof parses c2sp.org/tlog-proof@v1: header, optional "extra"
// lines, "index N", the audit path, a blank line, the checkpoint note.
func parseTlogProof(p string) (int64, tlog.RecordProof, []byte) {
	i := strings.Index(p, "\n\n")
	if i < 0 {
		die("tlog-proof: no blank line")
	}
	lines := strings.Split(p[:i], "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		die("tlog-proof: bad header %q", lines[0])
	}
	k := 1
	for k < len(lines) && strings.HasPrefix(lines[k], "extra ") {
		k++
	}
	if k >= len(lines) || !strings.HasPrefix(lines[k], "index ") {
		die("tlog-proof: no index line")
	}
	idx := parseDecimal(lines[k][len("index "):], "tlog-proof index")
	var path tlog.RecordProof
	for _, l := range lines[k+1:] {
		path = append(path, parseHash(l, "tlog-proof hash"))
	}
	return idx, path, []byte(p[i+2:])
}

// entry is a parsed receipt entry (DESIGN §6), in its fixed key order.
type entry struct {
	fields   map[string]string
	findings []string
}

var (
	hex64   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	rfc3339 = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$`)
)

func parseEntry(text string) entry {
	if !utf8.ValidString(text) {
		die("entry: not UTF-8")
	}
	if !strings.HasSuffix(text, "\n") {
		die("entry: does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for _, l := range lines {
		for _, r := range l {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				die("entry: control character in %q", l)
			}
		}
	}
	if lines[0] == "intake-fact/v1" {
		return parseFact(lines)
	}
	if lines[0] != "intake-receipt/v1" {
		die("entry: first line %q, want intake-receipt/v1", lines[0])
	}
	// key order of DESIGN §6; optional ones marked. client-digest (the
	// client's RFC 9530 claim) stands next to our sha256 when one was sent.
	order := []struct {
		key string
		opt bool
	}{{"origin", false}, {"index", false}, {"time", false}, {"party", false},
		{"agent", true}, {"cert", false}, {"kind", false}, {"filename", false}, {"ref", true},
		{"plan", true}, {"size", false}, {"sha256", false}, {"client-digest", true}, {"type", false}, {"scan", true}, {"verdict", false},
		{"members", true}}
	e := entry{fields: map[string]string{}}
	li := 1
	for _, o := range order {
		if li < len(lines) && strings.HasPrefix(lines[li], o.key+": ") {
			e.fields[o.key] = lines[li][len(o.key)+2:]
			li++
		} else if !o.opt {
			die("entry: line %d: want key %q, got %q", li+1, o.key, safeLine(lines, li))
		}
	}
	for ; li < len(lines); li++ {
		if !strings.HasPrefix(lines[li], "finding: ") || len(lines[li]) == len("finding: ") {
			die("entry: line %d: unexpected %q", li+1, lines[li])
		}
		e.findings = append(e.findings, lines[li][len("finding: "):])
	}
	f := e.fields
	parseDecimal(f["index"], "entry index")
	parseDecimal(f["size"], "entry size")
	if p, ok := f["plan"]; ok {
		parseDecimal(p, "entry plan")
	}
	if a, ok := f["agent"]; ok && a == "" {
		die("entry: empty agent")
	}
	// scan (issue 19): clamd's VERSION answer, printable ASCII, bounded
	if s, ok := f["scan"]; ok && !scanLine.MatchString(s) {
		die("entry: scan %q is not a ClamAV version line", s)
	}
	if !rfc3339.MatchString(f["time"]) {
		die("entry: time %q is not RFC 3339 UTC", f["time"])
	}
	if _, err := time.Parse(time.RFC3339Nano, f["time"]); err != nil {
		die("entry: time %q: %v", f["time"], err)
	}
	if !hex64.MatchString(f["cert"]) || !hex64.MatchString(f["sha256"]) {
		die("entry: cert or sha256 is not 64 lowercase hex digits")
	}
	if f["verdict"] != "accepted" && f["verdict"] != "rejected" {
		die("entry: verdict %q", f["verdict"])
	}
	for _, k := range []string{"party", "kind", "filename", "type"} {
		if f[k] == "" {
			die("entry: empty %s", k)
		}
	}
	return e
}

var scanLine = regexp.MustCompile(`^ClamAV [\x20-\x7e]{1,120}$`)

var isoDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// parseFact parses a fact entry (DESIGN §6, §8), exactly its keys in order.
func parseFact(lines []string) entry {
	order := []string{"origin", "index", "time", "party", "recorded-by", "cert", "fact", "date"}
	if len(lines) != len(order)+1 {
		die("fact entry: %d lines, want %d", len(lines), len(order)+1)
	}
	e := entry{fields: map[string]string{}}
	for i, k := range order {
		if !strings.HasPrefix(lines[i+1], k+": ") {
			die("fact entry: line %d: want key %q, got %q", i+2, k, lines[i+1])
		}
		e.fields[k] = lines[i+1][len(k)+2:]
	}
	f := e.fields
	parseDecimal(f["index"], "entry index")
	if !rfc3339.MatchString(f["time"]) || !hex64.MatchString(f["cert"]) {
		die("fact entry: bad time or cert")
	}
	if f["fact"] != "cio-fieldwork" && f["fact"] != "remediation-required" {
		die("fact entry: unknown fact %q", f["fact"])
	}
	if _, err := time.Parse("2006-01-02", f["date"]); err != nil || !isoDate.MatchString(f["date"]) {
		die("fact entry: date %q is not a calendar date", f["date"])
	}
	if f["party"] == "" || f["recorded-by"] == "" {
		die("fact entry: empty party or recorded-by")
	}
	return e
}

func safeLine(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end)"
}

// response is the upload / receipt answer of DESIGN §5.
func readResponse(path string) map[string]interface{} {
	var resp map[string]interface{}
	if err := json.Unmarshal(readSmall(path), &resp); err != nil {
		die("%s: not JSON: %v", path, err)
	}
	return resp
}

func jsonString(resp map[string]interface{}, k string) (string, bool) {
	switch x := resp[k].(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// checkReceipt verifies the response completely and returns the entry text,
// the entry, and the checkpoint the proof is against.
func checkReceipt(v note.Verifier, resp map[string]interface{}) (string, entry, checkpoint, int64) {
	rc, _ := resp["receipt"].(string)
	pf, _ := resp["proof"].(string)
	if rc == "" || pf == "" {
		die("response lacks receipt or proof")
	}
	text := openNote(v, []byte(rc), "receipt")
	e := parseEntry(text)
	if e.fields["origin"] != v.Name() {
		die("entry origin %q is not the key name %q", e.fields["origin"], v.Name())
	}
	// the JSON must say what the signed entry says
	keys := []string{"index", "party", "kind", "filename", "size", "sha256", "type", "verdict"}
	if _, isFact := e.fields["fact"]; isFact {
		keys = []string{"index", "party", "recorded-by", "fact", "date"}
	}
	for _, k := range keys {
		j, ok := jsonString(resp, k)
		if !ok {
			die("response lacks %q", k)
		}
		if j != e.fields[k] {
			die("response %s %q differs from the signed entry's %q", k, j, e.fields[k])
		}
	}
	if ref, ok := resp["ref"].(string); ok && ref != "" && ref != e.fields["ref"] {
		die("response ref %q differs from the signed entry's %q", ref, e.fields["ref"])
	}
	idx, path, cpmsg := parseTlogProof(pf)
	if idx != parseDecimal(e.fields["index"], "index") {
		die("proof index %d is not the entry's index %s", idx, e.fields["index"])
	}
	cp := parseCheckpoint(v, cpmsg)
	if idx >= cp.size {
		die("index %d not below checkpoint size %d", idx, cp.size)
	}
	if err := tlog.CheckRecord(path, cp.size, cp.root, idx, tlog.RecordHash([]byte(text))); err != nil {
		die("inclusion proof does not verify: %v", err)
	}
	return text, e, cp, idx
}

// hashFile streams FILE through SHA-256 (files may be many GiB).
func hashFile(path string) (string, int64) {
	f, err := os.Open(path)
	if err != nil {
		die("%v", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		die("read %s: %v", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

func cmdReceipt(args []string) {
	if len(args) < 2 || len(args) > 3 {
		usage()
	}
	v := vkeyArg(args[0])
	_, e, cp, idx := checkReceipt(v, readResponse(args[1]))
	if len(args) == 3 {
		sum, n := hashFile(args[2])
		if sum != e.fields["sha256"] {
			die("file sha256 %s is not the receipt's %s", sum, e.fields["sha256"])
		}
		if strconv.FormatInt(n, 10) != e.fields["size"] {
			die("file size %d is not the receipt's %s", n, e.fields["size"])
		}
	}
	fmt.Printf("OK index %d of %d verdict %s\n", idx, cp.size, e.fields["verdict"])
}

func cmdConsistency(args []string) {
	if len(args) != 4 {
		usage()
	}
	v := vkeyArg(args[0])
	oc := parseCheckpoint(v, readSmall(args[1]))
	nc := parseCheckpoint(v, readSmall(args[2]))
	var proof tlog.TreeProof
	for _, l := range strings.Split(strings.TrimSuffix(string(readSmall(args[3])), "\n"), "\n") {
		if l != "" {
			proof = append(proof, parseHash(l, "consistency hash"))
		}
	}
	if oc.size > nc.size {
		die("old checkpoint %d is larger than new %d", oc.size, nc.size)
	}
	if err := tlog.CheckTree(proof, nc.size, nc.root, oc.size, oc.root); err != nil {
		die("consistency %d -> %d does not verify: %v", oc.size, nc.size, err)
	}
	fmt.Printf("OK %d -> %d\n", oc.size, nc.size)
}

// tileClient fetches C2SP tlog-tiles over mutual TLS. C2SP paths are Go's
// sumdb tile paths without the height element ("tile/8/L/..." -> "tile/L/...",
// data tiles are "tile/entries/...").
type tileClient struct {
	base string
	hc   *http.Client
}

func newTileClient(url, cacert, cert, key string) *tileClient {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(readSmall(cacert)) {
		die("%s: no CA certificate", cacert)
	}
	kp, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		die("client certificate: %v", err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS12}}
	return &tileClient{strings.TrimSuffix(url, "/") + "/v1/log/", &http.Client{Transport: tr, Timeout: httpTimeout}}
}

func (c *tileClient) get(path string, max int) ([]byte, int) {
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		die("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	if err != nil {
		die("GET %s: %v", path, err)
	}
	if len(b) > max {
		die("GET %s: longer than %d bytes", path, max)
	}
	return b, resp.StatusCode
}

// c2spPath turns a Go tile path into a C2SP one.
func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", t.H))
	if t.L == -1 {
		p = strings.Replace(p, "data/", "entries/", 1)
	}
	return "tile/" + p
}

// fetchTile gets tile T; a partial tile that is gone may be read from the
// full one (C2SP allows servers to drop partial tiles once full).
func (c *tileClient) fetchTile(t tlog.Tile, max int) []byte {
	b, code := c.get(c2spPath(t), max)
	if code == http.StatusNotFound && t.W < 1<<uint(t.H) {
		full := t
		full.W = 1 << uint(t.H)
		b, code = c.get(c2spPath(full), max)
	}
	if code != http.StatusOK {
		die("GET %s: HTTP %d", c2spPath(t), code)
	}
	return b
}

// parseBundle splits a C2SP entry bundle: big-endian uint16 length, data.
func parseBundle(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			die("entry bundle: truncated length")
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			die("entry bundle: truncated entry")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out
}

// cmdTiles mirrors the log the way a tiles client does, but trusts no
// served hash: it hashes every entry itself, rebuilds the tree, requires the
// checkpoint's root, then requires every served hash tile to equal the tile
// computed from the entries. (x/mod's TileHashReader is not used: in the
// Debian version it skips authenticating some child tiles when several
// subtree hashes share one tile.)
func cmdTiles(args []string) {
	if len(args) != 5 {
		usage()
	}
	v := vkeyArg(args[0])
	c := newTileClient(args[1], args[2], args[3], args[4])
	cpb, code := c.get("checkpoint", maxNote)
	if code != http.StatusOK {
		die("GET checkpoint: HTTP %d", code)
	}
	cp := parseCheckpoint(v, cpb)
	var hashes []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(hashes)) {
				return nil, fmt.Errorf("hash %d not stored", x)
			}
			out[i] = hashes[x]
		}
		return out, nil
	})
	const width = 1 << tileHeight
	for n := int64(0); n*width < cp.size; n++ {
		w := cp.size - n*width
		if w > width {
			w = width
		}
		entries := parseBundle(c.fetchTile(tlog.Tile{H: tileHeight, L: -1, N: n, W: int(w)}, maxTile))
		if int64(len(entries)) < w {
			die("entry tile %d: %d entries, want %d", n, len(entries), w)
		}
		for i := int64(0); i < w; i++ {
			idx := n*width + i
			e := parseEntry(string(entries[i]))
			if e.fields["index"] != strconv.FormatInt(idx, 10) {
				die("entry at %d says index %s", idx, e.fields["index"])
			}
			hs, err := tlog.StoredHashes(idx, entries[i], hr)
			if err != nil {
				die("entry %d: %v", idx, err)
			}
			hashes = append(hashes, hs...)
		}
	}
	root, err := tlog.TreeHash(cp.size, hr)
	if err != nil {
		die("tree hash: %v", err)
	}
	if root != cp.root {
		die("entry tiles give root %v, checkpoint says %v", root, cp.root)
	}
	ntiles := 0
	for _, t := range tlog.NewTiles(tileHeight, 0, cp.size) {
		want, err := tlog.ReadTileData(t, hr)
		if err != nil {
			die("tile %s: %v", c2spPath(t), err)
		}
		got := c.fetchTile(t, maxTile)
		if len(got) < len(want) || string(got[:len(want)]) != string(want) {
			die("hash tile %s differs from the tree the entries make", c2spPath(t))
		}
		ntiles++
	}
	fmt.Printf("OK tiles %d entries %d hash tiles root %s\n", cp.size, ntiles, base64.StdEncoding.EncodeToString(root[:]))
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "receipt":
		cmdReceipt(args)
	case "entry":
		if len(args) != 2 {
			usage()
		}
		text, _, _, _ := checkReceipt(vkeyArg(args[0]), readResponse(args[1]))
		fmt.Print(text)
	case "checkpoint":
		if len(args) != 2 {
			usage()
		}
		cp := parseCheckpoint(vkeyArg(args[0]), readSmall(args[1]))
		fmt.Printf("%d %s\n", cp.size, base64.StdEncoding.EncodeToString(cp.root[:]))
	case "consistency":
		cmdConsistency(args)
	case "tiles":
		cmdTiles(args)
	case "cosigned":
		cmdCosigned(args)
	default:
		usage()
	}
}

// cosignerKey is a witness verifier key NAME+HEX+base64(0x04 || 32-byte Ed25519 key), with the
// key id recomputed per C2SP tlog-cosignature: SHA-256(name || "\n" || 0x04 || key)[:4].
type cosignerKey struct {
	name string
	id   []byte
	pub  ed25519.PublicKey
}

func parseCosignerKey(a string) cosignerKey {
	s := a
	if b, err := os.ReadFile(a); err == nil {
		s = strings.TrimSpace(string(b))
	}
	p := strings.SplitN(s, "+", 3)
	if len(p) != 3 || p[0] == "" {
		die("bad witness key %q", s)
	}
	raw, err := base64.StdEncoding.DecodeString(p[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x04 {
		die("witness key %q is not an Ed25519 cosignature/v1 (0x04) key", s)
	}
	h := sha256.New()
	h.Write([]byte(p[0] + "\n"))
	h.Write(raw)
	id := h.Sum(nil)[:4]
	if hex.EncodeToString(id) != strings.ToLower(p[1]) {
		die("witness key %q: key id does not match the key", s)
	}
	return cosignerKey{p[0], id, ed25519.PublicKey(raw[1:])}
}

// cosignedBy reports whether the note has a line by K that verifies: base64(id || be64(time) ||
// Ed25519 signature over "cosignature/v1\ntime T\n" || the note text).
func cosignedBy(n *note.Note, k cosignerKey) bool {
	for _, s := range n.UnverifiedSigs {
		if s.Name != k.name {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(s.Base64)
		if err != nil || len(raw) != 4+8+ed25519.SignatureSize || !bytes.Equal(raw[:4], k.id) {
			continue
		}
		t := binary.BigEndian.Uint64(raw[4:12])
		if t > 1<<63-1 {
			continue
		}
		msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", t, n.Text)
		if ed25519.Verify(k.pub, []byte(msg), raw[12:]) {
			return true
		}
	}
	return false
}

func cmdCosigned(args []string) {
	if len(args) < 3 {
		usage()
	}
	v := vkeyArg(args[0])
	msg := readSmall(args[1])
	if len(msg) > 0 && msg[0] == '{' {
		p, ok := jsonString(readResponse(args[1]), "proof")
		if !ok {
			die("the answer has no proof")
		}
		_, _, msg = parseTlogProof(p)
	}
	parseCheckpoint(v, msg) // the log's own signature and format first
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		die("checkpoint does not verify: %v", err)
	}
	quorum := int(parseDecimal(args[2], "quorum"))
	seen := map[string]bool{}
	var names []string
	for _, a := range args[3:] {
		k := parseCosignerKey(a)
		key := k.name + "+" + hex.EncodeToString(k.id) + "+" + hex.EncodeToString(k.pub)
		if seen[key] {
			continue // one witness counts once, however often it is named
		}
		seen[key] = true
		if cosignedBy(n, k) {
			names = append(names, k.name)
		}
	}
	fmt.Println(len(names), strings.Join(names, " "))
	if len(names) < quorum {
		die("%d valid cosignature(s), quorum %d", len(names), quorum)
	}
}
