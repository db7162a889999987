#!/usr/bin/python3
"""Builds the archives of the inspector's unit tests at test time.

usage: mk.py OUTDIR CASE...   (CASE "list" prints the cases)

Each case writes one or more files into OUTDIR, named in its docstring; the
C tests (tests/unit/archive.c, tests/unit/inspect.c) inspect them and assert
the verdict and the finding codes. Benign archives come from the real
producers (python zipfile, Info-ZIP zip, 7-Zip, bsdtar, GNU tar, openpyxl);
hostile ones are written with zipfile/tarfile, then bent byte by byte
where a library will not write the attack itself.
"""
import gzip
import io
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

# ---- building blocks ----

def pdf(extra=b''):
    """A small well-formed PDF; EXTRA goes into the catalog dictionary."""
    objs = [b'<< /Type /Catalog /Pages 2 0 R ' + extra + b'>>',
            b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
            b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>']
    out = bytearray(b'%PDF-1.4\n')
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b'%d 0 obj\n' % i + o + b'\nendobj\n'
    x = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1)
    for o in offs:
        out += b'%010d 00000 n \n' % o
    out += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, x)
    return bytes(out)

TEXT = b'Access control policy, reviewed 2024-01-10.\nOwner: security team.\n'
CSV = b'party,count,date\nALPHA,12,2024-06-30\nBETA,7,2024-06-30\n'
APPLEDOUBLE = (b'\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02'
               b'\x00\x00\x00\x09\x00\x00\x00\x32\x00\x00\x0e\xb0' + b'\x00' * 64)
DSSTORE = b'\x00\x00\x00\x01Bud1' + b'\x00' * 120
PE = (b'MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00' + b'\x00' * 44 +
      b'\x80\x00\x00\x00' + b'\x00' * 64 + b'PE\x00\x00\x4c\x01\x03\x00' + b'\x00' * 200)


def docs(root='docs'):
    """docs/: a PDF, a text, a CSV, an empty file, a subdirectory and an empty one."""
    if os.path.isdir(root):
        return root
    os.makedirs(root + '/sub/empty-dir')
    open(root + '/report.pdf', 'wb').write(pdf())
    open(root + '/notes.txt', 'wb').write(TEXT)
    open(root + '/data.csv', 'wb').write(CSV)
    open(root + '/empty.txt', 'wb').close()
    open(root + '/sub/log.txt', 'wb').write(TEXT * 50)
    return root


def run(*cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)


def zadd(z, name, data=b'', attr=None, method=zipfile.ZIP_DEFLATED):
    zi = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
    zi.compress_type = method
    if attr is not None:
        zi.external_attr = attr << 16
        zi.create_system = 3
    z.writestr(zi, data)


def zip_of(path, members, method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, 'w') as z:
        for m in members:
            zadd(z, *m) if len(m) > 2 else zadd(z, m[0], m[1], method=method)


def tadd(t, name, data=b'', type=tarfile.REGTYPE, mode=0o644, link=''):
    ti = tarfile.TarInfo(name)
    ti.type = type
    ti.mode = mode
    ti.linkname = link
    ti.mtime = 1704067200
    ti.size = len(data) if type == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if ti.size else None)


def tar_of(path, members, mode='w', fmt=tarfile.PAX_FORMAT):
    with tarfile.open(path, mode, format=fmt) as t:
        for m in members:
            tadd(t, *m)


def zip_bytes(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            zadd(z, name, data)
    return b.getvalue()

# ---- benign: real producers ----

def case_py_zip():
    """bundle-py.zip: python zipfile, directories and empty files."""
    with zipfile.ZipFile('bundle-py.zip', 'w', zipfile.ZIP_DEFLATED) as z:
        zadd(z, 'docs/', b'')
        zadd(z, 'docs/report.pdf', pdf())
        zadd(z, 'docs/notes.txt', TEXT)
        zadd(z, 'docs/data.csv', CSV)
        zadd(z, 'docs/empty.txt', b'')
        zadd(z, 'docs/sub/', b'')
        zadd(z, 'docs/sub/stored.txt', TEXT, method=zipfile.ZIP_STORED)


def case_infozip():
    """bundle-infozip.zip (zip -r), bundle-infozip-stream.zip (zip -r - : data descriptors)."""
    d = docs()
    run('zip', '-q', '-r', 'bundle-infozip.zip', d)
    with open('bundle-infozip-stream.zip', 'wb') as f:
        subprocess.run(['zip', '-q', '-r', '-', d], check=True, stdout=f)


def case_sevenzip():
    """bundle.7z (7z), bundle-7z.zip (7z -tzip)."""
    d = docs()
    run('7z', 'a', '-bd', '-y', 'bundle.7z', d)
    run('7z', 'a', '-bd', '-y', '-tzip', 'bundle-7z.zip', d)


def case_bsdtar():
    """bundle-bsd.tar, bundle-bsd.tar.gz, bundle-bsd.zip (bsdtar)."""
    d = docs()
    run('bsdtar', '-cf', 'bundle-bsd.tar', d)
    run('bsdtar', '-czf', 'bundle-bsd.tar.gz', d)
    run('bsdtar', '--format', 'zip', '-cf', 'bundle-bsd.zip', d)


def case_gnutar():
    """bundle-gnu.tar, .tar.gz, .tar.xz, bundle-dot.tar (tar -C docs -cf . : "./" names)."""
    d = docs()
    run('tar', '-cf', 'bundle-gnu.tar', d)
    run('tar', '-czf', 'bundle-gnu.tar.gz', d)
    run('tar', '-cJf', 'bundle-gnu.tar.xz', d)
    run('tar', '-C', d, '-cf', 'bundle-dot.tar', '.')


def case_nested():
    """nested.tar: a tar holding inner.zip (with a PDF) and a text."""
    open('inner.zip', 'wb').write(zip_bytes([('inner/report.pdf', pdf()), ('inner/a.txt', TEXT)]))
    tar_of('nested.tar', [('inner.zip', open('inner.zip', 'rb').read()), ('top.txt', TEXT)])


def case_depth():
    """depth3.zip (the upload + 3 nested zips) and depth4.zip (+ 4)."""
    data = zip_bytes([('leaf.txt', TEXT)])
    for level in range(1, 5):
        data = zip_bytes([('level%d.zip' % level, data)])
        if level == 3:
            open('depth3.zip', 'wb').write(data)
    open('depth4.zip', 'wb').write(data)
    # A zip of exported zips stored without compression (what `zip -0`, and
    # Explorer for already-compressed files, write): the inner end records
    # are visible in the outer file's bytes and must not count as a second
    # archive.
    inner = zip_bytes([('leaf.txt', TEXT)])
    zip_of('stored-nested.zip', [('export1.zip', inner), ('export2.zip', zip_bytes([('b.txt', TEXT)])),
                                 ('notes.txt', TEXT)], method=zipfile.ZIP_STORED)


def case_macos():
    """mac.zip: what macOS Archive Utility writes (__MACOSX/._x, .DS_Store)."""
    zip_of('mac.zip', [('docs/', b''), ('docs/notes.txt', TEXT), ('docs/.DS_Store', DSSTORE),
                       ('__MACOSX/', b''), ('__MACOSX/docs/', b''),
                       ('__MACOSX/docs/._notes.txt', APPLEDOUBLE)])


def case_unicode():
    """uni.zip and uni.tar: non-ASCII names (NFC), no collisions."""
    m = [('caf\u00e9.txt', TEXT), ('\u00dcn\u00efc\u00f6d\u00e9/r\u00e9sum\u00e9.pdf', pdf()),
         ('\u041e\u0442\u0447\u0451\u0442.txt', TEXT), ('\u65e5\u672c.txt', TEXT)]
    zip_of('uni.zip', m)
    tar_of('uni.tar', [(n, d) for n, d in m])


def case_xlsx_member():
    """wb.zip: an openpyxl workbook inside a zip."""
    import openpyxl
    wb = openpyxl.Workbook()
    wb.active['A1'] = 'Evidence reference'
    wb.active['A2'] = 'EV-001'
    wb.save('book.xlsx')
    zip_of('wb.zip', [('book.xlsx', open('book.xlsx', 'rb').read()), ('a.txt', TEXT)])


def case_compressible():
    """log.zip: a 3 MiB log of varied lines (compresses well, far under 100:1)."""
    lines = b''.join(b'2024-01-01 12:%02d:%02d host sshd[%d]: Accepted publickey for u%d from 10.0.%d.%d\n'
                     % (i // 60 % 60, i % 60, 1000 + i, i % 97, i % 250, i * 7 % 250)
                     for i in range(40000))
    zip_of('log.zip', [('auth.log', lines)])

# ---- hostile: names ----

def case_names():
    """One archive per name attack: slip.zip slip-bs.zip slip.tar abs.tar abs.zip unc.zip
    drive.zip ads.zip control.zip newline.tar bidi.zip trailing-dot.zip trailing-space.tar
    reserved.zip reserved-lpt.tar reserved-ext.zip reserved-sup.zip empty-name.tar dup.tar dup.zip
    case.zip nfd.zip nfd-gnu.tar cyrillic.zip longpath.tar"""
    zip_of('slip.zip', [('../evil.txt', TEXT)])
    zip_of('slip-bs.zip', [('docs\\..\\..\\evil.txt', TEXT)])
    tar_of('slip.tar', [('a/../../evil.txt', TEXT)])
    tar_of('abs.tar', [('/etc/cron.d/evil', TEXT)])
    zip_of('abs.zip', [('/tmp/evil.txt', TEXT)])
    zip_of('unc.zip', [('\\\\server\\share\\evil.txt', TEXT)])
    zip_of('drive.zip', [('C:/Windows/evil.txt', TEXT)])
    zip_of('ads.zip', [('notes.txt:hidden', TEXT)])
    zip_of('control.zip', [('a\x01b.txt', TEXT)])
    tar_of('newline.tar', [('a\nb.txt', TEXT)])
    zip_of('bidi.zip', [('invoice\u202eftp.txt', TEXT)])
    zip_of('trailing-dot.zip', [('notes.txt.', TEXT)])
    tar_of('trailing-space.tar', [('dir /notes.txt', TEXT)])
    zip_of('reserved.zip', [('CON.txt', TEXT)])
    tar_of('reserved-lpt.tar', [('dir/lpt1', TEXT)])
    zip_of('reserved-ext.zip', [('docs/aux.tar.txt', TEXT)])
    zip_of('reserved-sup.zip', [('COM\u00b9.txt', TEXT)])
    tar_of('empty-name.tar', [('.', TEXT)])
    tar_of('dup.tar', [('a.txt', TEXT), ('a.txt', TEXT)])
    with zipfile.ZipFile('dup.zip', 'w') as z:
        import warnings
        warnings.simplefilter('ignore')
        zadd(z, 'a.txt', TEXT)
        zadd(z, 'a.txt', b'other')
    zip_of('case.zip', [('README.txt', TEXT), ('readme.TXT', TEXT)])
    zip_of('nfd.zip', [('caf\u00e9.txt', TEXT), ('cafe\u0301.txt', TEXT)])
    tar_of('nfd-gnu.tar', [('Caf\u00e9.txt', TEXT), ('cafe\u0301.TXT', TEXT)], fmt=tarfile.GNU_FORMAT)
    zip_of('cyrillic.zip', [('\u041e\u0422\u0427\u0401\u0422.txt', TEXT),
                            ('\u043e\u0442\u0447\u0451\u0442.txt', TEXT)])
    tar_of('longpath.tar', [('d/' * 600 + 'x.txt', TEXT)])

def case_fold():
    """Names compared after NFC and full default case folding, raw (GNU tar) so that libarchive
    does not normalise them first: fold-nfd.tar (Caf\u00e9 / Cafe+U+0301) fold-sharp-s.tar
    (STRASSE / stra\u00dfe) fold-sigma.tar (\u03a3 \u03c3 \u03c2: two collisions) fold-turkish.tar
    (d\u0131r dir d\u0130r: no collision) fold-distinct.tar (no collision)"""
    gnu = tarfile.GNU_FORMAT
    tar_of('fold-nfd.tar', [('Caf\u00e9.txt', TEXT), ('Cafe\u0301.txt', TEXT)], fmt=gnu)
    tar_of('fold-sharp-s.tar', [('STRASSE.txt', TEXT), ('stra\u00dfe.txt', TEXT)], fmt=gnu)
    tar_of('fold-sigma.tar', [('\u03a3.txt', TEXT), ('\u03c3.txt', TEXT), ('\u03c2.txt', TEXT)],
           fmt=gnu)
    tar_of('fold-turkish.tar', [('d\u0131r.txt', TEXT), ('dir.txt', TEXT), ('d\u0130r.txt', TEXT)],
           fmt=gnu)
    tar_of('fold-distinct.tar', [('Report.txt', TEXT), ('Reports.txt', TEXT),
                                 ('\u00e9t\u00e9.txt', TEXT), ('ete.txt', TEXT)], fmt=gnu)

# ---- hostile: entry types and modes ----

def case_types():
    """symlink.tar symlink.zip hardlink.tar device.tar fifo.tar setuid.tar setgid.tar setuid.zip"""
    tar_of('symlink.tar', [('link', b'', tarfile.SYMTYPE, 0o777, '/etc/passwd')])
    zip_of('symlink.zip', [('link', b'/etc/passwd', 0o120777)])
    tar_of('hardlink.tar', [('a.txt', TEXT), ('b.txt', b'', tarfile.LNKTYPE, 0o644, 'a.txt')])
    tar_of('device.tar', [('dev/null', b'', tarfile.CHRTYPE, 0o666)])
    tar_of('fifo.tar', [('pipe', b'', tarfile.FIFOTYPE, 0o644)])
    tar_of('setuid.tar', [('a.txt', TEXT, tarfile.REGTYPE, 0o4755)])
    tar_of('setgid.tar', [('a.txt', TEXT, tarfile.REGTYPE, 0o2755)])
    zip_of('setuid.zip', [('a.txt', TEXT, 0o104755)])

# ---- hostile: encryption ----

def case_encrypted():
    """enc.zip (zip -P), enc-aes.zip (7z -tzip AES), enc-headers.7z (7z -mhe=on), enc-data.7z"""
    d = docs()
    run('zip', '-q', '-P', 'pw', 'enc.zip', d + '/notes.txt')
    run('7z', 'a', '-bd', '-y', '-tzip', '-ppw', '-mem=AES256', 'enc-aes.zip', d + '/notes.txt')
    run('7z', 'a', '-bd', '-y', '-ppw', '-mhe=on', 'enc-headers.7z', d + '/notes.txt')
    run('7z', 'a', '-bd', '-y', '-ppw', '-mhe=off', 'enc-data.7z', d + '/notes.txt')

# ---- hostile: limits ----

def case_limits():
    """bomb.zip (20 MiB of zeros), bomb-small.zip (2 MiB), bomb.tar.gz, many.zip and many.tar (20 members),
    big.zip (one 5000-byte member), bomb-members.zip (200 members of 1 MiB of spaces),
    bomb-nested.zip (20 stored zips of 10 such members each)"""
    zip_of('bomb.zip', [('zeros.txt', b'\0' * (20 << 20))])
    zip_of('bomb-small.zip', [('zeros.txt', b' ' * (2 << 20))])
    tar_of('bomb.tar.gz', [('zeros.txt', b' ' * (20 << 20))], mode='w:gz')
    zip_of('many.zip', [('f%02d.txt' % i, TEXT) for i in range(20)])
    tar_of('many.tar', [('f%02d.txt' % i, TEXT) for i in range(20)])
    zip_of('big.zip', [('big.txt', b'x' * 5000)])
    # none of these members passes archive_ratio_min (1 MiB) on its own
    zip_of('bomb-members.zip', [('z%03d.txt' % i, b' ' * (1 << 20)) for i in range(200)])
    inner = zip_bytes([('z%02d.txt' % i, b' ' * (1 << 20)) for i in range(10)])
    zip_of('bomb-nested.zip', [('part%02d.zip' % i, inner) for i in range(20)],
           method=zipfile.ZIP_STORED)

# ---- hostile: zip structure ----

def _cd(d):
    eocd = d.rfind(b'PK\x05\x06')
    cdsz = int.from_bytes(d[eocd + 12:eocd + 16], 'little')
    cdoff = int.from_bytes(d[eocd + 16:eocd + 20], 'little')
    return eocd, cdoff, cdsz


def case_zipstruct():
    """overlap.zip stub.zip stub-abs.zip concat.zip namemismatch.zip upath.zip (Unicode Path
    field naming another file than the name field)"""
    # two central entries for one local header
    d = bytearray(zip_bytes([('a.txt', TEXT)]))
    eocd, cdoff, cdsz = _cd(d)
    cd = d[cdoff:cdoff + cdsz]
    cd2 = bytearray(cd)
    cd2[46:46 + 5] = b'b.txt'
    nd = d[:cdoff] + cd + cd2
    e = bytearray(d[eocd:])
    e[8:10] = (2).to_bytes(2, 'little')
    e[10:12] = (2).to_bytes(2, 'little')
    e[12:16] = (2 * cdsz).to_bytes(4, 'little')
    open('overlap.zip', 'wb').write(bytes(nd + e))
    # a stub before the zip, offsets relative to the zip (a stub prepended
    # by cat), and one with offsets adjusted to the file (zip -A)
    z = zip_bytes([('a.txt', TEXT)])
    open('stub.zip', 'wb').write(b'\x7fSTUB' + b'\x01' * 200 + z)
    open('stub-abs.zip', 'wb').write(b'\x7fSTUB' + b'\x01' * 200 + z)
    run('zip', '-q', '-A', 'stub-abs.zip')
    open('concat.zip', 'wb').write(zip_bytes([('first.txt', TEXT)]) + zip_bytes([('second.txt', TEXT)]))
    # the local header names the entry differently from the central directory
    d = bytearray(zip_bytes([('aaaa.txt', TEXT)]))
    i = d.find(b'aaaa.txt')
    d[i:i + 8] = b'bbbb.exe'
    open('namemismatch.zip', 'wb').write(bytes(d))
    import struct
    import zlib
    with zipfile.ZipFile('upath.zip', 'w') as z:
        zi = zipfile.ZipInfo('../evil.txt', (2024, 1, 1, 0, 0, 0))
        f = struct.pack('<BI', 1, zlib.crc32(b'../evil.txt')) + b'good.txt'
        zi.extra = struct.pack('<HH', 0x7075, len(f)) + f
        z.writestr(zi, TEXT)

# ---- hostile: content ----

def case_content():
    """exe.zip (PE as update.txt), elf.tar (ELF as report.pdf), script.tar (shebang in run.txt),
    bat.zip (run.bat), html.zip, mismatch.zip (text as report.pdf), nul.zip (text turning binary
    after 1 MiB), badpdf.zip, badcsv.zip, notar.gz, trunc.tar.gz"""
    zip_of('exe.zip', [('update.txt', PE)])
    tar_of('elf.tar', [('report.pdf', open('/bin/true', 'rb').read())])
    tar_of('script.tar', [('run.txt', b'#!/bin/sh\necho hello\n')])
    zip_of('bat.zip', [('run.bat', b'@echo off\r\necho hello\r\n')])
    zip_of('html.zip', [('page.html', b'<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n')])
    zip_of('mismatch.zip', [('report.pdf', TEXT)])
    zip_of('nul.zip', [('big.txt', TEXT * 20000 + b'\0binary' + TEXT)])
    zip_of('badpdf.zip', [('bad.pdf', pdf(b'/OpenAction << /S /JavaScript /JS (app.alert(1)) >> '))])
    zip_of('badcsv.zip', [('x.csv', b'name,value\n=cmd|/c calc!A1,2\n')])
    open('notar.gz', 'wb').write(gzip.compress(TEXT))
    t = io.BytesIO()
    with tarfile.open(fileobj=t, mode='w:gz') as tf:
        tadd(tf, 'a.txt', TEXT * 2000)
    open('trunc.tar.gz', 'wb').write(t.getvalue()[:len(t.getvalue()) // 2])


def case_trailing():
    """What follows a tar: tar-zip.tar (a zip holding an ELF appended), tar-elf.tar (an ELF
    appended), targz-zip.tar.gz (the zip after the gzip stream), gztar-zip.tar.gz (inside
    it), tarxz-zip.tar.xz; benign: tar-pad.tar (more zero blocks), targz-pad.tar.gz (zeros
    after the gzip stream), targz-two.tar.gz (two gzip members)."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=tarfile.GNU_FORMAT) as t:
        tadd(t, 'docs/policy.txt', TEXT)
        tadd(t, 'docs/report.pdf', pdf())
    base = b.getvalue()
    hidden = zip_bytes([('update.txt', open('/bin/true', 'rb').read())])
    elf = open('/bin/true', 'rb').read()
    open('tar-zip.tar', 'wb').write(base + hidden)
    open('tar-elf.tar', 'wb').write(base + elf)
    open('targz-zip.tar.gz', 'wb').write(gzip.compress(base) + hidden)
    open('gztar-zip.tar.gz', 'wb').write(gzip.compress(base + hidden))
    open('tarxz-zip.tar.xz', 'wb').write(lzma.compress(base) + hidden)
    open('tar-pad.tar', 'wb').write(base + b'\0' * 20480)
    open('targz-pad.tar.gz', 'wb').write(gzip.compress(base) + b'\0' * 1024)
    open('targz-two.tar.gz', 'wb').write(gzip.compress(base[:4096]) + gzip.compress(base[4096:]))


def case_quine():
    """quine-inner.zip and quine-outer.zip (holds quine-inner.zip as inner.zip)."""
    inner = zip_bytes([('a.txt', TEXT)])
    open('quine-inner.zip', 'wb').write(inner)
    open('quine-outer.zip', 'wb').write(zip_bytes([('inner.zip', inner), ('b.txt', TEXT)]))

# ---- single files, for tests/unit/inspect.c ----

def case_files():
    """report.pdf elf.pdf pe.pdf script.txt text.txt data.csv one-column.csv commas.txt
    nul-late.txt png.png jpeg.jpg png-zip.png text-zip.txt bundle.tgz bundle.tar.gz
    bundle-tgz.zip book.xlsx book.zip empty.txt"""
    import struct
    import zlib
    open('report.pdf', 'wb').write(pdf())
    shutil.copy('/bin/true', 'elf.pdf')
    open('pe.pdf', 'wb').write(PE)
    open('script.txt', 'wb').write(b'#!/usr/bin/python3\nprint(1)\n')
    open('text.txt', 'wb').write(TEXT)
    open('data.csv', 'wb').write(CSV)
    open('one-column.csv', 'wb').write(b'count\n12\n7\n')
    open('commas.txt', 'wb').write(CSV)
    open('nul-late.txt', 'wb').write(TEXT * 20000 + b'\0' + TEXT)

    def chunk(t, b):
        return struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b))
    png = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 1, 1, 8, 2, 0, 0, 0)) +
           chunk(b'IDAT', zlib.compress(b'\x00\xff\x00\x00')) + chunk(b'IEND', b''))
    open('png.png', 'wb').write(png)
    open('jpeg.jpg', 'wb').write(b'\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00'
                                 + b'\x00' * 64 + b'\xff\xd9')
    open('png-zip.png', 'wb').write(png + zip_bytes([('hidden.txt', TEXT)]))
    open('text-zip.txt', 'wb').write(TEXT + zip_bytes([('hidden.txt', TEXT)]))
    tar_of('bundle.tgz', [('a.txt', TEXT)], mode='w:gz')
    shutil.copy('bundle.tgz', 'bundle.tar.gz')
    shutil.copy('bundle.tgz', 'bundle-tgz.zip')
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = 'Evidence References'
    ws.append(['Evidence reference', 'File name', 'Obligation'])
    ws.append(['EV-001', 'report.pdf', 'G5.14'])
    wb.save('book.xlsx')
    shutil.copy('book.xlsx', 'book.zip')
    open('empty.txt', 'wb').close()


def main():
    out = sys.argv[1]
    cases = {n[5:]: f for n, f in globals().items() if n.startswith('case_')}
    if sys.argv[2:] == ['list']:
        for n, f in sorted(cases.items()):
            print(n, '-', ' '.join(f.__doc__.split()))
        return
    os.makedirs(out, exist_ok=True)
    os.chdir(out)
    for c in sys.argv[2:]:
        cases[c]()


if __name__ == '__main__':
    main()
