// Tests of the verifier itself, on a log made here with x/mod (note.Sign, tlog): it must accept
// what is right and refuse each forgery, so that its verdicts on intaked's output mean something.
// Run: GOPATH=/usr/share/gocode GO111MODULE=off go test  (tests/integration/harness.sh does).
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const testOrigin = "verify.test/log"

// testLog is a small log with its files, receipts and checkpoints on disk.
type testLog struct {
	dir, vkey string
	signer    note.Signer
	hashes    []tlog.Hash
	entries   []string
}

func (l *testLog) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = l.hashes[x]
		}
		return out, nil
	})
}

func entryText(i int, file []byte, extra string) string {
	sum := sha256.Sum256(file)
	return fmt.Sprintf("intake-receipt/v1\norigin: %s\nindex: %d\ntime: 2026-01-02T03:04:05Z\n"+
		"party: ALPHA\ncert: %s\nkind: evidence\nfilename: f%d.txt\nsize: %d\nsha256: %s\n"+
		"type: text/plain\nverdict: accepted\n%s", testOrigin, i, strings.Repeat("ab", 32), i,
		len(file), hex.EncodeToString(sum[:]), extra)
}

func newTestLog(t *testing.T, n int) *testLog {
	skey, vkey, err := note.GenerateKey(rand.Reader, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	l := &testLog{dir: t.TempDir(), vkey: vkey, signer: s}
	for i := 0; i < n; i++ {
		file := []byte(fmt.Sprintf("file %d\n", i))
		os.WriteFile(filepath.Join(l.dir, fmt.Sprintf("file%d", i)), file, 0o644)
		e := entryText(i, file, "")
		l.entries = append(l.entries, e)
		hs, err := tlog.StoredHashes(int64(i), []byte(e), l.reader())
		if err != nil {
			t.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
	}
	return l
}

func (l *testLog) checkpoint(t *testing.T, size int64) []byte {
	root, err := tlog.TreeHash(size, l.reader())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", testOrigin, size,
		base64.StdEncoding.EncodeToString(root[:]))}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// response writes the upload answer for entry I (text TEXT) against the full tree.
func (l *testLog) response(t *testing.T, i int, text string, edit func(map[string]interface{})) string {
	size := int64(len(l.entries))
	rp, err := tlog.ProveRecord(size, int64(i), l.reader())
	if err != nil {
		t.Fatal(err)
	}
	var p strings.Builder
	p.WriteString("c2sp.org/tlog-proof@v1\nindex " + strconv.Itoa(i) + "\n")
	for _, h := range rp {
		p.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	p.WriteString("\n")
	p.Write(l.checkpoint(t, size))
	rc, err := note.Sign(&note.Note{Text: text}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	file := fmt.Sprintf("file %d\n", i)
	sum := sha256.Sum256([]byte(file))
	r := map[string]interface{}{"verdict": "accepted", "index": i, "party": "ALPHA",
		"kind": "evidence", "filename": fmt.Sprintf("f%d.txt", i), "size": len(file),
		"sha256": hex.EncodeToString(sum[:]), "type": "text/plain", "findings": []string{},
		"receipt": string(rc), "proof": p.String()}
	if edit != nil {
		edit(r)
	}
	b, _ := json.Marshal(r)
	path := filepath.Join(l.dir, fmt.Sprintf("r%d-%d.json", i, len(b)))
	os.WriteFile(path, b, 0o644)
	return path
}

// run executes the verifier (this test binary re-run as main) and reports success.
func run(t *testing.T, args ...string) bool {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "VERIFY_AS_MAIN=1")
	out, err := cmd.CombinedOutput()
	t.Logf("verify %s: %s", args[0], strings.TrimSpace(string(out)))
	return err == nil
}

func TestMain(m *testing.M) {
	if os.Getenv("VERIFY_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestReceiptAcceptsValid(t *testing.T) {
	l := newTestLog(t, 13)
	for _, i := range []int{0, 6, 12} {
		if !run(t, "receipt", l.vkey, l.response(t, i, l.entries[i], nil), filepath.Join(l.dir, fmt.Sprintf("file%d", i))) {
			t.Errorf("valid receipt %d refused", i)
		}
	}
}

func TestReceiptRefusesForgeries(t *testing.T) {
	l := newTestLog(t, 13)
	other, _, _ := note.GenerateKey(rand.Reader, testOrigin)
	os2, _ := note.NewSigner(other)
	cases := map[string]func() []string{
		"wrong file": func() []string {
			return []string{l.response(t, 3, l.entries[3], nil), filepath.Join(l.dir, "file4")}
		},
		"entry not in the tree": func() []string {
			e := strings.Replace(l.entries[3], "party: ALPHA", "party: BETA", 1)
			return []string{l.response(t, 3, e, func(r map[string]interface{}) { r["party"] = "BETA" })}
		},
		"json disagrees with the entry": func() []string {
			return []string{l.response(t, 3, l.entries[3], func(r map[string]interface{}) { r["party"] = "BETA" })}
		},
		"proof for another index": func() []string {
			return []string{l.response(t, 3, l.entries[3], func(r map[string]interface{}) {
				r["proof"] = strings.Replace(r["proof"].(string), "index 3\n", "index 2\n", 1)
			})}
		},
		"receipt signed by another key": func() []string {
			rc, _ := note.Sign(&note.Note{Text: l.entries[3]}, os2)
			return []string{l.response(t, 3, l.entries[3], func(r map[string]interface{}) { r["receipt"] = string(rc) })}
		},
		"entry keys out of order": func() []string {
			e := strings.Replace(l.entries[3], "kind: evidence\nfilename: f3.txt\n", "filename: f3.txt\nkind: evidence\n", 1)
			return []string{l.response(t, 3, e, nil)}
		},
		"control character in a value": func() []string {
			e := strings.Replace(l.entries[3], "filename: f3.txt", "filename: f3\x7f.txt", 1)
			return []string{l.response(t, 3, e, nil)}
		},
		"bad verdict": func() []string {
			e := strings.Replace(l.entries[3], "verdict: accepted", "verdict: maybe", 1)
			return []string{l.response(t, 3, e, nil)}
		},
		"no proof": func() []string {
			return []string{l.response(t, 3, l.entries[3], func(r map[string]interface{}) { delete(r, "proof") })}
		},
	}
	for name, mk := range cases {
		args := append([]string{"receipt", l.vkey}, mk()...)
		if run(t, args...) {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestConsistency(t *testing.T) {
	l := newTestLog(t, 37)
	old := filepath.Join(l.dir, "old")
	nw := filepath.Join(l.dir, "new")
	pf := filepath.Join(l.dir, "proof")
	os.WriteFile(old, l.checkpoint(t, 11), 0o644)
	os.WriteFile(nw, l.checkpoint(t, 37), 0o644)
	tp, _ := tlog.ProveTree(37, 11, l.reader())
	var b strings.Builder
	for _, h := range tp {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	os.WriteFile(pf, []byte(b.String()), 0o644)
	if !run(t, "consistency", l.vkey, old, nw, pf) {
		t.Error("valid consistency proof refused")
	}
	if run(t, "consistency", l.vkey, nw, old, pf) {
		t.Error("swapped checkpoints accepted")
	}
	os.WriteFile(old, l.checkpoint(t, 12), 0o644)
	if run(t, "consistency", l.vkey, old, nw, pf) {
		t.Error("proof for another size accepted")
	}
	if !run(t, "checkpoint", l.vkey, nw) {
		t.Error("valid checkpoint refused")
	}
	bad := strings.Replace(string(l.checkpoint(t, 37)), "\n37\n", "\n38\n", 1)
	os.WriteFile(nw, []byte(bad), 0o644)
	if run(t, "checkpoint", l.vkey, nw) {
		t.Error("altered checkpoint accepted")
	}
}

// writePEM writes a PEM block to DIR/NAME and returns the path.
func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// tlsFiles makes a CA, a server certificate for 127.0.0.1 and a client certificate.
func tlsFiles(t *testing.T, dir string) (*x509.CertPool, tls.Certificate, string, string, string) {
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, srvKey, cliKey := key(), key(), key()
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := func(n int64, k *ecdsa.PrivateKey, eku x509.ExtKeyUsage) []byte {
		c := &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: "localhost"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), DNSNames: []string{"localhost"},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{eku},
			KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, c, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	srvDER := leaf(2, srvKey, x509.ExtKeyUsageServerAuth)
	cliDER := leaf(3, cliKey, x509.ExtKeyUsageClientAuth)
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	sk, _ := x509.MarshalECPrivateKey(srvKey)
	ck, _ := x509.MarshalECPrivateKey(cliKey)
	srv, err := tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sk}))
	if err != nil {
		t.Fatal(err)
	}
	return pool, srv, writePEM(t, dir, "ca.crt", "CERTIFICATE", caDER),
		writePEM(t, dir, "client.crt", "CERTIFICATE", cliDER), writePEM(t, dir, "client.key", "EC PRIVATE KEY", ck)
}

// TestTiles serves a 600-entry log as C2SP tiles over mutual TLS: the verifier must rebuild it,
// and must refuse a tampered hash tile (the case x/mod's TileHashReader misses) and entry tile.
func TestTiles(t *testing.T) {
	l := newTestLog(t, 600)
	files := map[string][]byte{"/v1/log/checkpoint": l.checkpoint(t, 600)}
	for _, tl := range tlog.NewTiles(tileHeight, 0, 600) {
		data, err := tlog.ReadTileData(tl, l.reader())
		if err != nil {
			t.Fatal(err)
		}
		files["/v1/log/"+c2spPath(tl)] = data
	}
	for n := int64(0); n*256 < 600; n++ {
		w := int64(600) - n*256
		if w > 256 {
			w = 256
		}
		var b []byte
		for i := n * 256; i < n*256+w; i++ {
			b = append(b, byte(len(l.entries[i])>>8), byte(len(l.entries[i])))
			b = append(b, l.entries[i]...)
		}
		files["/v1/log/"+c2spPath(tlog.Tile{H: tileHeight, L: -1, N: n, W: int(w)})] = b
	}
	pool, srvCert, ca, cert, key := tlsFiles(t, l.dir)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert}
	srv.StartTLS()
	defer srv.Close()
	if !run(t, "tiles", l.vkey, srv.URL, ca, cert, key) {
		t.Fatal("valid tiles refused")
	}
	for _, p := range []string{"/v1/log/tile/0/000", "/v1/log/tile/entries/001"} {
		orig := files[p]
		bad := append([]byte(nil), orig...)
		bad[40] ^= 1
		files[p] = bad
		if run(t, "tiles", l.vkey, srv.URL, ca, cert, key) {
			t.Errorf("tampered %s accepted", p)
		}
		files[p] = orig
	}
}

// testWitness is a cosigner made here with the standard library alone.
type testWitness struct {
	name, vkey string
	id         []byte
	priv       ed25519.PrivateKey
}

func newTestWitness(t *testing.T, name string) testWitness {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(append(append([]byte(name+"\n"), 0x04), pub...))
	return testWitness{name, fmt.Sprintf("%s+%x+%s", name, h[:4],
		base64.StdEncoding.EncodeToString(append([]byte{0x04}, pub...))), h[:4], priv}
}

// cosign appends w's cosignature line at TIME to the signed note MSG; MANGLE edits its bytes.
func (w testWitness) cosign(msg []byte, time uint64, mangle func([]byte)) []byte {
	text := string(msg[:bytes.Index(msg, []byte("\n\n"))+1])
	sig := ed25519.Sign(w.priv, []byte(fmt.Sprintf("cosignature/v1\ntime %d\n%s", time, text)))
	raw := append(append(append([]byte{}, w.id...), binary.BigEndian.AppendUint64(nil, time)...), sig...)
	if mangle != nil {
		mangle(raw)
	}
	return append(append([]byte{}, msg...), []byte("— "+w.name+" "+base64.StdEncoding.EncodeToString(raw)+"\n")...)
}

func TestCosignedCountsDistinctValidWitnesses(t *testing.T) {
	l := newTestLog(t, 5)
	w1, w2, w3 := newTestWitness(t, "w1.test"), newTestWitness(t, "w2.test"), newTestWitness(t, "w3.test")
	cp := l.checkpoint(t, 5)
	file := func(b []byte) string {
		p := filepath.Join(l.dir, fmt.Sprintf("cp%d", len(b)))
		os.WriteFile(p, b, 0o644)
		return p
	}
	two := file(w2.cosign(w1.cosign(w1.cosign(cp, 1, nil), 2, nil), 3, nil))
	if !run(t, "cosigned", l.vkey, two, "2", w1.vkey, w2.vkey, w3.vkey) {
		t.Error("two valid witnesses refused at quorum 2")
	}
	if run(t, "cosigned", l.vkey, two, "3", w1.vkey, w2.vkey, w3.vkey) {
		t.Error("quorum 3 met with two witnesses")
	}
	if run(t, "cosigned", l.vkey, two, "2", w1.vkey, w1.vkey) {
		t.Error("one witness named twice (and signing twice) counted twice")
	}
	if run(t, "cosigned", l.vkey, two, "1", w3.vkey) {
		t.Error("a witness that did not cosign was counted")
	}
	forged := map[string]func([]byte){
		"time": func(b []byte) { b[11] ^= 1 }, "signature": func(b []byte) { b[40] ^= 1 },
		"key id": func(b []byte) { b[0] ^= 1 },
	}
	for what, m := range forged {
		if run(t, "cosigned", l.vkey, file(w1.cosign(cp, 7, m)), "1", w1.vkey) {
			t.Errorf("cosignature with a tampered %s accepted", what)
		}
	}
	body := bytes.Replace(w1.cosign(cp, 7, nil), []byte("\n5\n"), []byte("\n6\n"), 1)
	if run(t, "cosigned", l.vkey, file(body), "0", w1.vkey) {
		t.Error("a tampered checkpoint accepted (the log's signature must hold first)")
	}
	if run(t, "cosigned", l.vkey, two, "0", l.vkey) {
		t.Error("the log key (type 0x01) accepted as a witness key")
	}
}
