#!/bin/bash
# tests/package/check.sh: the Debian package as an operator gets it.
#
# Builds it from a clean copy of the tree (what git tracks, and what it does not ignore) with
# dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=nocheck unless PKG_CHECK=1: scripts/test runs
# the suite itself), then checks from outside: the files and conffiles it ships, lintian with no
# error, the manual pages lint clean (mandoc -T lint), the systemd unit verifies, is Type=notify
# and rates 2.5 or better in systemd-analyze security, the maintainer scripts parse, and the
# shipped configuration passes `intaked -t` once it points at a test PKI and log key.
# Prints one line per check and last "package: N passed, M failed"; exit 0 when none failed.
# Leaves nothing behind but its work directory under TMPDIR, removed on exit (KEEP=1 keeps it).
set -uo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/intake-pkg.XXXXXX")
[ "${KEEP:-0}" = 1 ] && echo "work directory: $W" || trap 'rm -rf "$W"' EXIT
PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
no() { FAILED=$((FAILED + 1)); echo "FAILED: $*"; }
check() { local what=$1; shift; if "$@" >"$W/check.out" 2>&1; then ok "$what"; else no "$what"; sed 's/^/    /' "$W/check.out" | tail -n 15; fi; }
finish() { echo "package: $PASSED passed, $FAILED failed"; [ $FAILED = 0 ]; exit $?; }

# 1. build from a clean copy
mkdir -p "$W/src/intaked"
(cd "$SRC" && git ls-files -z -co --exclude-standard | xargs -0 cp --parents -t "$W/src/intaked") ||
	{ no "copy the tree"; finish; }
opts=nocheck
[ "${PKG_CHECK:-0}" = 1 ] && opts=
if (cd "$W/src/intaked" && DEB_BUILD_OPTIONS=$opts timeout 1200 dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	no "dpkg-buildpackage -us -uc -b"; tail -n 30 "$W/build.log"; finish
fi
DEB=$(ls "$W"/src/intaked_*_*.deb 2>/dev/null | grep -v dbgsym | head -n 1)
[ -n "$DEB" ] || { no "no intaked_*.deb was made"; finish; }
echo "     $(basename "$DEB"), $(du -k "$DEB" | cut -f1) KiB"
R=$W/root
dpkg-deb -x "$DEB" "$R"
mkdir -p "$W/ctrl" && dpkg-deb -e "$DEB" "$W/ctrl"

# 2. what it ships
for f in usr/sbin/intaked usr/bin/intake lib/systemd/system/intaked.service \
	usr/share/man/man8/intaked.8.gz usr/share/man/man1/intake.1.gz \
	usr/share/man/man5/intaked.conf.5.gz etc/intaked/intaked.conf etc/intaked/intake.policy \
	etc/intaked/parties.conf usr/share/doc/intaked/copyright; do
	check "ships /$f" test -s "$R/$f"
done
check "the binaries are executable" test -x "$R/usr/sbin/intaked" -a -x "$R/usr/bin/intake"
check "no development certificate or key is shipped" \
	bash -c '! find "$1" \( -name "*.key" -o -name "*.crt" -o -name "*.pem" -o -name "*.crl" \) | grep -q .' _ "$R"
check "conffiles are the three files of /etc/intaked" \
	diff <(sort "$W/ctrl/conffiles") <(printf '%s\n' /etc/intaked/intake.policy /etc/intaked/intaked.conf /etc/intaked/parties.conf)
check "maintainer scripts parse" bash -c 'for s in "$1"/postinst "$1"/postrm; do sh -n "$s" || exit 1; done' _ "$W/ctrl"
check "postinst creates the system user intaked" grep -q 'adduser --system' "$W/ctrl/postinst"

# 3. lintian: errors fail, warnings are shown
lintian --tag-display-limit 0 "$DEB" >"$W/lintian.out" 2>&1
sed 's/^/    lintian: /' "$W/lintian.out" | grep -v 'running with root' | head -n 20
check "lintian reports no error" bash -c '! grep -q "^E: " "$1"' _ "$W/lintian.out"

# 4. manual pages
for m in "$R"/usr/share/man/man*/*.gz; do
	check "mandoc -T lint $(basename "$m" .gz)" mandoc -T lint -W warning "$m"
done

# 5. the unit: verifies against the package's own files, Type=notify, hardened
U=$R/lib/systemd/system/intaked.service
mkdir -p "$R/bin"
cp /bin/kill "$R/bin/"
cp -n /lib/systemd/system/*.target "$R/lib/systemd/system/" 2>/dev/null
check "systemd-analyze verify intaked.service" systemd-analyze verify --root="$R" --man=no /lib/systemd/system/intaked.service
check "the unit is Type=notify" grep -qx 'Type=notify' "$U"
check "the unit reloads with SIGHUP" grep -q '^ExecReload=.*kill -HUP \$MAINPID' "$U"
systemd-analyze security --offline=true "$U" 2>/dev/null | tail -n 1 | sed 's/^/    /'
check "systemd-analyze security rates the unit 2.5 or better" \
	systemd-analyze security --offline=true --threshold=25 "$U"

# 6. the shipped configuration is valid once its files exist (a test PKI and log key)
sh "$SRC/certs/mkdev.sh" "$W/pki" >"$W/mkdev.log" 2>&1 || { no "certs/mkdev.sh"; finish; }
"$R/usr/bin/intake" keygen intake.example.org/log -o "$W/log.key" >/dev/null 2>&1 || no "intake keygen"
sed -e "s|/etc/intaked/tls/|$W/pki/|" -e "s|/etc/intaked/log.key|$W/log.key|" \
	-e "s|/etc/intaked/|$R/etc/intaked/|" -e "s|/var/lib/intaked|$W/data|" \
	"$R/etc/intaked/intaked.conf" >"$W/intaked.conf"
check "the shipped intaked.conf, policy and parties pass intaked -t" "$R/usr/sbin/intaked" -t -c "$W/intaked.conf"

finish
