/*
 * console.js: the web console of intaked (DESIGN §9), one ES module, no framework.
 *
 * Served from the binary under the page's CSP (script-src 'self'): no inline script, no eval.
 * Everything it shows comes from the gateway's own JSON API and is put into the page with DOM
 * calls and textContent only: no string the server or a user chose is ever parsed as HTML.
 * The view depends on the role GET /v1/whoami reports for the client certificate:
 *   party, provider  upload form with progress, own receipts, workbook link reports, obligations
 *   secas            every Party (filterable), every receipt with the stored file, rejected
 *                    uploads with their reasons, link reports, obligations, facts, the log
 *   auditor          every Party and receipt, obligations, the log's checkpoint, its consistency
 *                    with the last one this browser saw (proof checked here with WebCrypto), tiles
 */

const PAGE = 20;                        /* receipts per page */
const SEEN_KEY = 'intake-console-checkpoint:';   /* localStorage, per log origin */

/* Plain words for findings, by code, then by the code's first word. */
const FINDING_WORDS = {
	'type-not-allowed': 'This kind of submission does not accept files of this type.',
	'type-mismatch': 'The file is not what its name says it is.',
	'extension-mismatch': "The file name's extension does not fit what the file is.",
	'executable': 'The file is a program, which is never accepted.',
	'size': 'The file is larger than this kind of submission allows.',
	'digest-mismatch': 'The file received differs from the checksum sent with it.',
	'digest-malformed': 'The checksum sent with the file could not be read.',
	'encrypted': 'The file is encrypted, so it cannot be checked.',
	'inspect-timeout': 'Checking the file took too long.',
	'inspect-crashed': 'The file could not be checked.',
	'inspect-failed': 'The file could not be checked.',
	'inspect-error': 'The file could not be checked.',
	'ooxml-macro-enabled': 'The document contains macros, which are not accepted.',
	'ooxml-vba-project': 'The document contains macros, which are not accepted.',
	'ooxml-external-relationship': 'The document links to content outside itself.',
	'pdf-javascript': 'The PDF contains JavaScript, which is not accepted.',
	'pdf-embedded-file': 'The PDF carries an embedded file, which is not accepted.',
	'pdf-launch': 'The PDF tries to start a program.',
	'pdf-auto-action': 'The PDF runs an action when it is opened.',
	'path-traversal': 'An archive member points outside the archive.',
	'archive-ratio': 'The archive expands far more than evidence normally does.',
	'archive-quine': 'The archive contains itself.',
	'workbook-no-references': 'The workbook has no evidence-reference tab that could be read.',
	'csv-formula': 'A CSV cell starts like a spreadsheet formula.',
	'references': 'Evidence references read from the workbook\'s tab:',
};
const FINDING_AREAS = {
	archive: 'Archive', zip: 'Zip structure', member: 'Archive member', path: 'Member path',
	name: 'Member name', ooxml: 'Office document', pdf: 'PDF', csv: 'CSV', workbook: 'Workbook',
	scan: 'Virus scan', inspect: 'Inspection',
};

let me = null;                          /* GET /v1/whoami */
let pages = [];                         /* receipts: the `after` of each page shown so far */

const $ = (id) => document.getElementById(id);

/* An element with text and children; attributes set one by one, never as markup. */
function el(tag, attrs, ...kids)
{
	const e = document.createElement(tag);

	for (const [k, v] of Object.entries(attrs || {})) {
		if (k === 'text')
			e.textContent = v;
		else if (k === 'class')
			e.className = v;
		else
			e.setAttribute(k, v);
	}
	for (const k of kids)
		if (k !== null && k !== undefined)
			e.append(k);
	return e;
}

function status(msg, bad)
{
	const s = $('status');

	s.textContent = msg;
	s.className = bad ? 'error' : '';
}

/* JSON from the API, or an Error with the gateway's own message. */
async function api(path, opts)
{
	const r = await fetch(path, Object.assign({ cache: 'no-store' }, opts || {}));
	const text = await r.text();
	let j = null;

	try {
		j = JSON.parse(text);
	} catch (e) {
		j = null;
	}
	if (!r.ok) {
		const err = new Error(j && typeof j.error === 'string' ? j.error : 'HTTP ' + r.status);
		err.status = r.status;
		throw err;
	}
	return j === null ? text : j;
}

/* Offers OBJ as a JSON file download: a Blob and a download link, clicked. */
function saveJSON(name, obj)
{
	const blob = new Blob([JSON.stringify(obj, null, 2) + '\n'], { type: 'application/json' });
	const url = URL.createObjectURL(blob);
	const a = el('a', { href: url, download: name, hidden: '' });

	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function findingWords(f)
{
	const code = String(f.code || '');
	let w = FINDING_WORDS[code];

	if (w === undefined) {
		const area = FINDING_AREAS[code.split('-')[0]];
		w = (area ? area + ': ' : '') + code.replace(/-/g, ' ') + '.';
	}
	let s = w;
	if (f.member)
		s += ' Member: ' + f.member + '.';
	if (f.detail)
		s += ' (' + f.detail + ')';
	return s;
}

function findingsList(findings)
{
	if (!Array.isArray(findings) || findings.length === 0)
		return el('span', { text: 'none' });
	const ul = el('ul');
	for (const f of findings)
		ul.append(el('li', { text: findingWords(f) }));
	return ul;
}

function partyName(id)
{
	if (me && me.party === id)
		return me.name;
	for (const p of (me && me.parties) || [])
		if (p.party === id)
			return p.name;
	return id;
}

function optionsOf(select, items)
{
	select.replaceChildren();
	for (const [value, label] of items)
		select.append(el('option', { value: value, text: label }));
}

/* ------------------------------------------------------------------ upload */

function kindChanged()
{
	const k = (me.kinds || []).find((x) => x.kind === $('kind').value);

	/* the policy's own words for the kind (its description key), else its types */
	$('kind-desc').textContent = k ? (k.description || 'Accepted types: ' +
	    k.types.join(', ')) : '';
}

function setProgress(loaded, total)
{
	const p = $('progress');
	const pct = total > 0 ? Math.floor(loaded * 100 / total) : 0;

	p.value = pct;
	p.textContent = pct + ' %';
	$('progress-text').textContent = pct + ' % (' + loaded + ' of ' + total + ' bytes)';
}

function showReceipt(r, status202)
{
	const box = $('result');
	const dl = el('dl', { class: 'receipt', id: 'receipt' });
	const add = (k, v, cls) => dl.append(el('dt', { text: k }), el('dd', cls ? { class: cls } : {}, v));

	add('Verdict', el('span', { class: 'verdict-' + r.verdict, id: 'receipt-verdict', text: r.verdict }));
	add('Receipt index', el('span', { id: 'receipt-index', text: String(r.index) }));
	add('File', String(r.filename));
	add('Size', String(r.size) + ' bytes');
	add('Type', String(r.type));
	add('SHA-256', el('span', { id: 'receipt-sha256', class: 'hash', text: String(r.sha256) }));
	add('Findings', findingsList(r.findings));
	const btn = el('button', { type: 'button', id: 'save-receipt', text: 'Download the receipt (JSON)' });
	btn.addEventListener('click', () => saveJSON('receipt-' + r.index + '.json', r));
	box.replaceChildren(el('h3', { text: 'Receipt' }), dl, btn);
	if (status202)
		box.append(el('p', { class: 'hint', text: 'The witnesses have not cosigned yet: the ' +
		    'receipt is signed and logged; its proof follows on the receipt list.' }));
	box.focus();
}

function upload(ev)
{
	ev.preventDefault();
	const file = $('file').files[0];
	const kind = $('kind').value;
	const ref = $('ref').value.trim();
	const forId = me.role === 'provider' ? $('for').value : '';

	if (!file) {
		status('Choose a file first.', true);
		$('file').focus();
		return;
	}
	let url = '/v1/submissions/' + encodeURIComponent(kind) + '/' + encodeURIComponent(file.name);
	const q = [];
	if (ref)
		q.push('ref=' + encodeURIComponent(ref));
	if (forId)
		q.push('for=' + encodeURIComponent(forId));
	if (q.length)
		url += '?' + q.join('&');

	const xhr = new XMLHttpRequest();
	$('send').disabled = true;
	$('result').replaceChildren();
	setProgress(0, file.size);
	status('Sending ' + file.name + '…');
	xhr.open('PUT', url);
	xhr.upload.addEventListener('progress', (e) => {
		if (e.lengthComputable)
			setProgress(e.loaded, e.total);
	});
	xhr.upload.addEventListener('load', () => status('Sent; the gateway is checking the file…'));
	xhr.addEventListener('load', () => {
		let j = null;

		$('send').disabled = false;
		try {
			j = JSON.parse(xhr.responseText);
		} catch (e) {
			j = null;
		}
		if ((xhr.status === 201 || xhr.status === 202 || xhr.status === 422) && j && j.sha256) {
			setProgress(file.size, file.size);
			status(j.verdict === 'accepted' ? 'Accepted.' : 'Rejected: see the findings.',
			    j.verdict !== 'accepted');
			showReceipt(j, xhr.status === 202);
			loadReceipts(true);
		} else
			status('Not sent: ' + (j && j.error ? j.error : 'HTTP ' + xhr.status), true);
	});
	xhr.addEventListener('error', () => {
		$('send').disabled = false;
		status('The connection failed before an answer came.', true);
	});
	xhr.send(file);
}

function initUpload()
{
	optionsOf($('kind'), (me.kinds || []).map((k) => [k.kind, k.kind + ': ' +
	    (k.description || k.types.join(', '))]));
	$('kind').addEventListener('change', kindChanged);
	kindChanged();
	if (me.role === 'provider') {
		optionsOf($('for'), (me.acts_for || []).map((id) => [id, id]));
		$('for-field').hidden = false;
	}
	$('result').tabIndex = -1;
	$('upload-form').addEventListener('submit', upload);
	$('upload').hidden = false;
}

/* ---------------------------------------------------------------- receipts */

async function saveReceipt(index)
{
	try {
		saveJSON('receipt-' + index + '.json', await api('/v1/receipts/' + index));
	} catch (e) {
		status('Receipt ' + index + ': ' + e.message, true);
	}
}

function receiptRow(r)
{
	const dls = el('td');
	const b = el('button', { type: 'button', class: 'link', text: 'receipt (JSON)' });

	b.addEventListener('click', () => saveReceipt(r.index));
	dls.append(b);
	if (me.role === 'secas' && r.verdict === 'accepted' && r.kind !== 'intake-fact')
		dls.append(' ', el('a', { href: '/v1/receipts/' + Number(r.index) + '/file',
		    download: '', text: 'stored file' }));
	return el('tr', { 'data-index': String(r.index) },
	    el('td', { text: String(r.index) }),
	    el('td', { text: String(r.time) }),
	    el('td', { text: partyName(r.party) + ' (' + r.party + ')' }),
	    el('td', { text: String(r.kind) }),
	    el('td', {}, el('span', { text: String(r.filename) }), el('br'),
	        el('span', { class: 'hash', text: 'SHA-256 ' + r.sha256 })),
	    el('td', { class: 'verdict-' + r.verdict, text: String(r.verdict) }),
	    el('td', {}, findingsList(r.findings)),
	    dls);
}

async function loadReceipts(fromStart)
{
	const q = ['limit=' + PAGE];
	const party = me.role === 'secas' || me.role === 'auditor' ? $('rparty').value : '';
	const verdict = $('rverdict').value;

	if (fromStart)
		pages = [0];
	const after = pages[pages.length - 1];
	if (party)
		q.push('party=' + encodeURIComponent(party));
	if (verdict)
		q.push('verdict=' + encodeURIComponent(verdict));
	if (after)
		q.push('after=' + after);
	try {
		const j = await api('/v1/receipts?' + q.join('&'));
		const body = $('receipts-table').tBodies[0];

		body.replaceChildren(...j.receipts.map(receiptRow));
		if (j.receipts.length === 0)
			body.append(el('tr', {}, el('td', { colspan: '8', text: 'No receipts.' })));
		$('receipts-caption').textContent = (party ? partyName(party) + ': ' : '') +
		    (verdict ? verdict + ' ' : '') + 'receipts, page ' + pages.length;
		$('next-page').disabled = j.next === undefined;
		$('next-page').dataset.next = j.next === undefined ? '' : String(j.next);
	} catch (e) {
		status('Receipts: ' + e.message, true);
	}
}

function initReceipts()
{
	if (me.role === 'secas' || me.role === 'auditor') {
		optionsOf($('rparty'), [['', 'every Party']].concat((me.parties || [])
		    .filter((p) => p.role === 'party').map((p) => [p.party, p.name + ' (' + p.party + ')'])));
		$('rparty-field').hidden = false;
	}
	$('receipts-form').addEventListener('submit', (ev) => {
		ev.preventDefault();
		loadReceipts(true);
	});
	$('first-page').addEventListener('click', () => loadReceipts(true));
	$('next-page').addEventListener('click', () => {
		const n = Number($('next-page').dataset.next);
		if (n) {
			pages.push(n);
			loadReceipts(false);
		}
	});
	$('receipts').hidden = false;
	loadReceipts(true);
}

/* ----------------------------------------------------------------- parties */

function filterParties()
{
	const f = $('party-filter').value.trim().toLowerCase();

	for (const tr of $('parties-table').tBodies[0].rows)
		tr.hidden = f !== '' && !tr.dataset.key.includes(f);
}

function initParties()
{
	const body = $('parties-table').tBodies[0];

	for (const p of me.parties || []) {
		const b = el('button', { type: 'button', class: 'link', text: 'show receipts' });
		b.addEventListener('click', () => {
			$('rparty').value = p.party;
			loadReceipts(true);
			$('receipts-h').scrollIntoView();
			$('rparty').focus();
		});
		const tr = el('tr', {}, el('td', { text: p.party }), el('td', { text: p.name }),
		    el('td', { text: p.role }), el('td', {}, p.role === 'party' ? b : null));
		tr.dataset.key = (p.party + ' ' + p.name + ' ' + p.role).toLowerCase();
		body.append(tr);
	}
	$('party-filter').addEventListener('input', filterParties);
	$('parties').hidden = false;
}

/* --------------------------------------------------------------- workbooks */

async function showLinks()
{
	const i = $('workbook').value;
	const box = $('links');

	if (!i)
		return;
	try {
		const j = await api('/v1/workbooks/' + encodeURIComponent(i) + '/links');
		const refs = j.references || [];
		const missing = refs.filter((r) => r.status !== 'received').length;
		const t = el('table', { id: 'links-table' },
		    el('caption', { text: 'Workbook ' + j.workbook + ' of ' + partyName(j.party) + ', tab "' +
		        j.tab + '": ' + refs.length + ' references, ' + missing + ' not received' }),
		    el('thead', {}, el('tr', {}, ...['Reference', 'File', 'Obligation', 'Status', 'Receipt']
		        .map((h) => el('th', { scope: 'col', text: h })))));
		const tb = el('tbody');
		for (const r of refs) {
			const tr = el('tr', r.status === 'received' ? {} : { class: 'missing' },
			    el('td', { text: String(r.ref) }), el('td', { text: String(r.filename || '') }),
			    el('td', { text: String(r.obligation || '') }),
			    el('td', { text: r.status === 'received' ? 'received' : String(r.status).toUpperCase() }),
			    el('td', { text: r.receipt === undefined ? '' : String(r.receipt) }));
			tb.append(tr);
		}
		t.append(tb);
		box.replaceChildren(t);
		if ((j.unreferenced || []).length) {
			const ul = el('ul');
			for (const u of j.unreferenced)
				ul.append(el('li', { text: 'receipt ' + u.receipt + ': ' + u.filename }));
			box.append(el('p', { text: 'Received but not named in the workbook:' }), ul);
		}
	} catch (e) {
		box.replaceChildren(el('p', { class: 'error', text: 'Link report: ' + e.message }));
	}
}

async function initWorkbooks()
{
	try {
		const j = await api('/v1/receipts?kind=validation-workbook&verdict=accepted&limit=1000');
		const items = j.receipts.map((r) => [String(r.index), '#' + r.index + ' ' + r.filename +
		    ' (' + partyName(r.party) + ', ' + r.time + ')']);
		optionsOf($('workbook'), items.length ? items : [['', 'no Validation Workbook received']]);
		$('show-links').addEventListener('click', showLinks);
		$('workbooks').hidden = false;
	} catch (e) {
		status('Workbooks: ' + e.message, true);
	}
}

/* ------------------------------------------------------------- obligations */

async function initObligations()
{
	try {
		const j = await api('/v1/obligations');
		const body = $('obligations-table').tBodies[0];

		$('obligations-asof').textContent = 'As of ' + j.as_of + '.';
		for (const o of j.obligations) {
			body.append(el('tr', {},
			    el('td', { text: partyName(o.party) }), el('td', { text: o.obligation }),
			    el('td', { class: 'status-' + o.status, text: o.status }),
			    el('td', { text: o.due === null ? '' : String(o.due) }),
			    el('td', { text: String(o.basis) }),
			    el('td', { text: (o.receipts || []).join(', ') })));
		}
		if (j.obligations.length === 0)
			body.append(el('tr', {}, el('td', { colspan: '6', text: 'No obligations.' })));
		$('obligations').hidden = false;
	} catch (e) {
		status('Obligations: ' + e.message, true);
	}
}

/* ------------------------------------------------------------------- facts */

function initFacts()
{
	optionsOf($('fact-party'), (me.parties || []).filter((p) => p.role === 'party')
	    .map((p) => [p.party, p.name + ' (' + p.party + ')']));
	$('fact-form').addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const party = $('fact-party').value;
		try {
			const j = await api('/v1/parties/' + encodeURIComponent(party) + '/facts', {
				method: 'POST',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ fact: $('fact-name').value, date: $('fact-date').value }),
			});
			$('fact-result').textContent = 'Recorded as receipt ' + j.index + '.';
			loadReceipts(true);
		} catch (e) {
			$('fact-result').textContent = 'Not recorded: ' + e.message;
		}
	});
	$('facts').hidden = false;
}

/* --------------------------------------------------------------------- log */

function b64bytes(s)
{
	return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

async function nodeHash(l, r)
{
	const b = new Uint8Array(65);

	b[0] = 1;
	b.set(l, 1);
	b.set(r, 33);
	return new Uint8Array(await crypto.subtle.digest('SHA-256', b));
}

function sameBytes(a, b)
{
	return a.length === b.length && a.every((x, i) => x === b[i]);
}

/* RFC 9162 2.1.4.2: is the tree of SIZE2 (ROOT2) an append-only extension of SIZE1 (ROOT1)? */
async function verifyConsistency(size1, size2, root1, root2, proof)
{
	if (size1 === size2)
		return proof.length === 0 && sameBytes(root1, root2);
	if (size1 === 0)
		return proof.length === 0;     /* every tree extends the empty one */
	if (size1 > size2 || proof.length === 0)
		return false;
	let path = proof;
	let pow2 = size1;
	while (pow2 % 2 === 0)
		pow2 /= 2;
	if (pow2 === 1)
		path = [root1].concat(proof);
	let fn = size1 - 1, sn = size2 - 1;
	while (fn % 2 === 1) {
		fn = Math.floor(fn / 2);
		sn = Math.floor(sn / 2);
	}
	let fr = path[0], sr = path[0];
	for (const c of path.slice(1)) {
		if (sn === 0)
			return false;
		if (fn % 2 === 1 || fn === sn) {
			fr = await nodeHash(c, fr);
			sr = await nodeHash(c, sr);
			while (fn % 2 === 0 && fn !== 0) {
				fn = Math.floor(fn / 2);
				sn = Math.floor(sn / 2);
			}
		} else
			sr = await nodeHash(sr, c);
		fn = Math.floor(fn / 2);
		sn = Math.floor(sn / 2);
	}
	return sn === 0 && sameBytes(fr, root1) && sameBytes(sr, root2);
}

/* C2SP tlog-tiles index path: x001/x234/067 */
function tileIndex(n)
{
	let d = String(n);
	while (d.length % 3)
		d = '0' + d;
	const g = d.match(/.../g);
	return g.map((x, i) => (i < g.length - 1 ? 'x' : '') + x).join('/');
}

function tileLinks(size)
{
	const ul = $('tiles');

	ul.replaceChildren();
	for (let level = 0, count = size; count > 0; level++, count = Math.floor(count / 256)) {
		const full = Math.floor(count / 256), w = count % 256;
		const add = (p, label) => ul.append(el('li', {}, el('a', { href: '/v1/log/tile/' + p, text: label })));
		if (full > 0)
			add(level + '/' + tileIndex(full - 1), 'level ' + level + ', tile ' + (full - 1) + ' (full)');
		if (w > 0)
			add(level + '/' + tileIndex(full) + '.p/' + w, 'level ' + level + ', tile ' + full +
			    ' (partial, ' + w + ' hashes)');
		if (level === 0 && w > 0)
			add('entries/' + tileIndex(full) + '.p/' + w, 'entries, tile ' + full + ' (partial)');
		else if (level === 0 && full > 0)
			add('entries/' + tileIndex(full - 1), 'entries, tile ' + (full - 1));
	}
}

async function initLog()
{
	$('log').hidden = false;
	let text;
	try {
		text = await api('/v1/log/checkpoint');
	} catch (e) {
		$('consistency').textContent = 'No checkpoint: ' + e.message;
		return;
	}
	const [body, sigs] = String(text).split('\n\n');
	const [origin, sizeText, rootText] = body.split('\n');
	const size = Number(sizeText);
	const dl = $('checkpoint');
	const add = (k, v) => dl.append(el('dt', { text: k }), el('dd', { text: v }));
	const names = (sigs || '').split('\n').filter((l) => l.startsWith('\u2014 '))
	    .map((l) => l.split(' ')[1]);

	dl.replaceChildren();
	add('Origin', origin);
	add('Size', sizeText);
	add('Root hash', rootText);
	add('Signed by', names.filter((n) => n === origin).length ? origin : 'no signature of the log');
	const cos = names.filter((n) => n !== origin);
	add('Cosignatures', cos.length ? cos.join(', ') : 'none (not witnessed)');
	tileLinks(size);

	const key = SEEN_KEY + origin;
	const out = $('consistency');
	let seen = null;
	try {
		seen = JSON.parse(localStorage.getItem(key) || 'null');
	} catch (e) {
		seen = null;
	}
	const remember = () => localStorage.setItem(key, JSON.stringify({ size: size, root: rootText }));
	if (!seen || typeof seen.size !== 'number') {
		out.textContent = 'First checkpoint this browser has seen of this log: size ' + size +
		    '. It is remembered, and the next visit checks the log only grew.';
		remember();
		return;
	}
	if (seen.size > size) {
		out.className = 'error';
		out.textContent = 'NOT CONSISTENT: this browser saw size ' + seen.size +
		    ', the log now says ' + size + '.';
		return;
	}
	try {
		const proofText = seen.size === size ? '' :
		    await api('/v1/log/consistency?old=' + seen.size + '&new=' + size);
		const proof = String(proofText).split('\n').filter((l) => l).map(b64bytes);
		const ok = await verifyConsistency(seen.size, size, b64bytes(seen.root), b64bytes(rootText), proof);
		if (ok) {
			out.className = '';
			out.textContent = 'Consistent: the tree of size ' + size + ' extends the one of size ' +
			    seen.size + ' this browser saw (consistency proof of ' + proof.length +
			    ' hashes verified here).';
			remember();
		} else {
			out.className = 'error';
			out.textContent = 'NOT CONSISTENT: the proof from size ' + seen.size + ' to ' + size +
			    ' does not verify.';
		}
	} catch (e) {
		out.className = 'error';
		out.textContent = 'Sizes ' + seen.size + ' then ' + size + '; not verified: ' + e.message;
	}
}

/* -------------------------------------------------------------------- start */

async function start()
{
	try {
		me = await api('/v1/whoami');
	} catch (e) {
		$('who').textContent = 'This certificate is not accepted: ' + e.message;
		return;
	}
	const roles = { party: 'a Party', provider: 'a Shared Resource Provider',
	    secas: 'the Code administrator (SECAS)', auditor: 'an auditor' };
	$('who').replaceChildren('Signed in as ', el('strong', { id: 'party-name', text: me.name }),
	    ' (' + me.party + '), ' + (roles[me.role] || me.role) + '.');
	document.title = me.name + ' \u2013 Evidence Intake Gateway';
	if (me.role === 'party' || me.role === 'provider')
		initUpload();
	if (me.role === 'secas' || me.role === 'auditor')
		initParties();
	initReceipts();
	if (me.role !== 'provider') {
		initWorkbooks();
		initObligations();
	}
	if (me.role === 'secas')
		initFacts();
	if (me.role === 'secas' || me.role === 'auditor')
		initLog();
}

start();
