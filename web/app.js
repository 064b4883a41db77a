// app.js - the DocuSnap page: wires the page picker, the protocol, the
// library and the result views together. One job runs at a time.
//
//   js/protocol.js  seal, submit, poll, open (WebCrypto + fetch)
//   js/library.js   the local library in IndexedDB
//   js/pages.js     picking, ordering and removing page images
//   js/render.js    results and library rows as DOM
//   js/messages.js  error codes in plain words

import { Api, ApiError, base64Encode, randomId } from './js/protocol.js';
import { describeError } from './js/messages.js';
import { Library, entryFromResult } from './js/library.js';
import { PagePicker, formatBytes } from './js/pages.js';
import {
    el, renderEntry, renderFill, renderLibraryItem,
} from './js/render.js';

const $ = (id) => document.getElementById(id);

const apiBase = document.querySelector('meta[name="docusnap-api"]')
    ?.content || '/api/v1';
const api = new Api(apiBase);
const library = new Library();
// The library by id, for links and titles while rendering.
let entries = new Map();
// The running job's AbortController, or null when idle.
let job = null;
let picker = null;

// --- small helpers ------------------------------------------------------

function lookup(id) {
    return entries.get(id) || null;
}

function clientId() {
    const k = 'docusnap.clientId';
    let id = null;

    try {
        id = localStorage.getItem(k);
        if (!id) {
            id = randomId();
            localStorage.setItem(k, id);
        }
    } catch (e) {
        // storage blocked: one id for this page's life
        id = id || randomId();
    }
    return id;
}

function button(label, cls, onClick) {
    const b = el('button', cls, label);

    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
}

async function readBase64(file) {
    return base64Encode(new Uint8Array(await file.arrayBuffer()));
}

// --- server status ------------------------------------------------------

const STATUS_TEXT = {
    checking: 'Checking the server…',
    online: 'Server ready',
    offline: 'Server unreachable',
};

function setServerState(state) {
    const p = $('server-status');

    p.dataset.state = state;
    p.querySelector('.server-text').textContent = STATUS_TEXT[state];
}

// While the server is unreachable, look again every few seconds so the
// status clears by itself when it is back.
const RECHECK_MS = 5000;
let recheck = null;

async function checkServer() {
    try {
        await api.checkStatus();
        setServerState('online');
    } catch (e) {
        setServerState('offline');
        if (recheck === null) {
            recheck = setTimeout(() => {
                recheck = null;
                checkServer();
            }, RECHECK_MS);
        }
    }
}

// --- notices ------------------------------------------------------------

function hideNotice() {
    const n = $('notice');

    n.hidden = true;
    n.replaceChildren();
}

// Show an error code in words; detail names the file or entry involved.
function showError(code, detail) {
    const n = $('notice');
    const d = describeError(code);
    const box = el('div', 'notice-text');

    box.append(el('p', 'notice-title', d.title));
    if (detail) {
        box.append(el('p', 'notice-detail', detail));
    }
    box.append(el('p', null, d.advice),
        el('p', 'notice-code', `Error code: ${d.code}`));
    n.className = 'notice notice-error';
    n.dataset.code = d.code;
    n.replaceChildren(box, button('Dismiss', 'ghost small', hideNotice));
    n.hidden = false;
    n.tabIndex = -1;
    n.scrollIntoView({ block: 'nearest' });
    if (code === 'NETWORK') {
        setServerState('offline');
    }
}

// --- progress -----------------------------------------------------------

const STEP_OF = {
    read: 'encrypt', key: 'encrypt', encrypt: 'encrypt', upload: 'upload',
    processing: 'process', retry: 'process', decrypt: 'decrypt',
};
const STEPS = ['encrypt', 'upload', 'process', 'decrypt'];

const progress = {
    start: 0,
    timer: 0,
    kind: 'doc',

    show(kind) {
        this.kind = kind;
        this.start = performance.now();
        this.tick();
        this.timer = setInterval(() => this.tick(), 100);
        $('progress').hidden = false;
        $('progress').dataset.state = 'read';
        $('progress').scrollIntoView({ block: 'nearest' });
    },

    hide() {
        clearInterval(this.timer);
        $('progress').hidden = true;
    },

    tick() {
        const s = (performance.now() - this.start) / 1000;
        const text = s < 60 ? `${s.toFixed(1)} s`
            : `${Math.floor(s / 60)} min ${String(Math.floor(s % 60))
                .padStart(2, '0')} s`;
        $('elapsed').textContent = text;
    },

    note(state, info) {
        const words = {
            read: 'Reading the pages…',
            key: 'Getting the server\'s public key…',
            encrypt: 'Encrypting with a fresh key…',
            upload: `Sending ${formatBytes(info?.bytes || 0)}, encrypted…`,
            processing: this.kind === 'fill'
                ? 'The server is filling the form from your library…'
                : 'The server is reading the pages and picking out the '
                  + 'details…',
            retry: 'Lost contact with the server. Trying again…',
            decrypt: 'Decrypting the result…',
        };
        const step = STEP_OF[state];
        const at = STEPS.indexOf(step);
        const text = $('progress-text');

        $('progress').dataset.state = state;
        // set only on change: the region is announced on each change
        if (text.textContent !== words[state]) {
            text.textContent = words[state];
        }
        document.querySelectorAll('.steps li').forEach((li, i) => {
            li.classList.toggle('done', i < at);
            li.classList.toggle('current', i === at);
            if (i === at) {
                li.setAttribute('aria-current', 'step');
            } else {
                li.removeAttribute('aria-current');
            }
        });
    },
};

// Run one job: fn(note, signal) does the work; errors become notices.
async function runJob(kind, fn) {
    if (job !== null) {
        return;
    }
    job = new AbortController();
    hideNotice();
    setBusy(true);
    progress.show(kind);
    $('progress-h').focus({ preventScroll: true });
    try {
        await fn((s, info) => progress.note(s, info), job.signal);
        setServerState('online');
    } catch (e) {
        if (e.name === 'AbortError') {
            $('pages-status').textContent = 'Stopped waiting.';
        } else if (e instanceof ApiError) {
            showError(e.code);
        } else {
            console.error(e);
            showError('INTERNAL_PAGE', String(e.message || e));
        }
    } finally {
        progress.hide();
        job = null;
        setBusy(false);
    }
    // the keyboard goes where the outcome is
    if (!$('notice').hidden) {
        $('notice').focus({ preventScroll: true });
    } else if (document.activeElement === null
        || document.activeElement === document.body
        || $('progress').contains(document.activeElement)) {
        $('process-btn').focus();
    }
}

function setBusy(busy) {
    document.body.classList.toggle('busy', busy);
    $('scan-fields').disabled = busy;
    $('process-btn').disabled = busy || picker.pages.length === 0;
    document.querySelectorAll('[data-act="fill"], .fill-btn')
        .forEach((b) => { b.disabled = busy; });
}

// --- documents and forms ------------------------------------------------

// Whether the entry is kept beyond this page's life.
async function saveEntry(entry) {
    entries.set(entry.resource_id, entry);
    try {
        await library.put(entry);
        return library.persistent;
    } catch (e) {
        showError('STORAGE');
        return false;
    }
}

// The server keeps the encrypted result until it expires; once it is
// here, ask it to forget (best effort).
function forget(sha256, type) {
    api.clear(clientId(), sha256, type).catch(() => {});
}

async function submitPages(ev) {
    ev.preventDefault();
    const files = picker.files();
    const kind = new FormData($('scan-form')).get('kind') === 'form'
        ? 'form' : 'doc';

    if (files.length === 0 || job !== null) {
        return;
    }
    await runJob(kind, async (note, signal) => {
        note('read');
        const images = await Promise.all(files.map(readBase64));
        const inner = { to_process: images, file_lib: await library.fileLib() };
        const { result, sha256 } = await api.process({
            clientId: clientId(), type: kind, inner, onState: note, signal,
        });
        const entry = entryFromResult(randomId(), kind, result,
            files.map((f) => f.name));
        const saved = await saveEntry(entry);
        forget(sha256, kind);
        picker.clear();
        showEntry(entry, saved);
    });
}

function showResult(fragment) {
    const section = $('result');

    $('result-body').replaceChildren(fragment);
    section.hidden = false;
    const h = $('result-h');
    h.tabIndex = -1;
    h.focus({ preventScroll: true });
    section.scrollIntoView({ block: 'start', behavior: 'smooth' });
}

function fillButton(entry, cls = 'primary fill-btn') {
    const b = button('Fill from your library', cls, () => fillForm(entry));

    b.disabled = job !== null;
    return b;
}

function canFill(entry) {
    return entry.type === 'form' && (entry.fields || []).length > 0;
}

function showEntry(entry, saved) {
    const actions = canFill(entry) ? [fillButton(entry)] : [];

    actions.push(el('span', `saved-note${saved ? '' : ' unsaved'}`,
        saved ? 'Saved to your library.'
            : 'Not saved: kept until you leave this page.'));
    showResult(renderEntry(entry, {
        lookup, headingId: 'result-h', level: 2, actions,
    }));
}

// --- fill -----------------------------------------------------------------

async function fillForm(form) {
    closeDialog();
    if (!form.fields || form.fields.length === 0) {
        showError('NO_FORM_FIELDS', form.title);
        return;
    }
    await runJob('fill', async (note, signal) => {
        const fileLib = await library.fileLib();
        const inner = {
            to_process: {
                resource_id: form.resource_id,
                type: 'form',
                title: form.title,
                fields: form.fields,
                kv: form.kv,
            },
            file_lib: fileLib,
        };
        const { result, sha256 } = await api.process({
            clientId: clientId(), type: 'fill', inner, onState: note, signal,
        });
        forget(sha256, 'fill');
        showResult(renderFill(form, result, { lookup, headingId: 'result-h' }));
    });
}

// --- the library ----------------------------------------------------------

async function refreshLibrary() {
    let list = [];

    try {
        list = await library.all();
    } catch (e) {
        list = Array.from(entries.values());
    }
    entries = new Map(list.map((e) => [e.resource_id, e]));
    $('library-list').replaceChildren(...list.map(renderLibraryItem));
    $('library-empty').hidden = list.length > 0;
    $('library-count').textContent = list.length > 0
        ? String(list.length) : '';
    $('export-btn').disabled = list.length === 0;
    $('clear-btn').disabled = list.length === 0;
    setBusy(job !== null);
}

function libraryStatus(text) {
    $('library-status').textContent = text;
}

async function onLibraryClick(ev) {
    const btn = ev.target.closest('button[data-act]');
    if (btn === null) {
        return;
    }
    const entry = lookup(btn.closest('li').dataset.id);
    if (entry === null) {
        return;
    }
    if (btn.dataset.act === 'view') {
        openEntry(entry.resource_id);
    } else if (btn.dataset.act === 'fill') {
        fillForm(entry);
    } else if (btn.dataset.act === 'remove'
        && window.confirm(`Delete "${entry.title}" from your library?`)) {
        await library.remove(entry.resource_id);
        libraryStatus(`Deleted ${entry.title}.`);
        $('library-h').focus();
    }
}

function exportLibrary() {
    library.exportJson().then((json) => {
        const blob = new Blob([json], { type: 'application/json' });
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = `docusnap-library-${new Date().toISOString()
            .slice(0, 10)}.json`;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        libraryStatus('Library exported.');
    });
}

async function importLibrary() {
    const input = $('import-input');
    const file = input.files[0];

    input.value = '';
    if (!file) {
        return;
    }
    try {
        const n = await library.importJson(await file.text());
        libraryStatus(`Imported ${n} ${n === 1 ? 'entry' : 'entries'}.`);
    } catch (e) {
        showError('BAD_IMPORT', file.name);
    }
}

async function clearLibrary() {
    const n = entries.size;

    if (n === 0 || !window.confirm(`Delete all ${n} entries from your `
        + 'library? This cannot be undone; export it first to keep a '
        + 'copy.')) {
        return;
    }
    await library.clear();
    // the server's encrypted copies of this browser's results, too
    api.clear(clientId()).catch(() => {});
    libraryStatus('Library cleared.');
}

// --- the entry dialog -----------------------------------------------------

function openEntry(id) {
    const entry = lookup(id);
    const dlg = $('entry-dialog');

    if (entry === null) {
        showError('ENTRY_GONE');
        return;
    }
    const actions = canFill(entry)
        ? [fillButton(entry, 'secondary fill-btn')] : [];
    $('dialog-body').replaceChildren(renderEntry(entry, {
        lookup, headingId: 'dialog-h', level: 2, actions,
    }));
    if (!dlg.open) {
        dlg.showModal();
    }
    $('dialog-close').focus();
}

function closeDialog() {
    const dlg = $('entry-dialog');

    if (dlg.open) {
        dlg.close();
    }
}

function wireDialog() {
    const dlg = $('entry-dialog');

    $('dialog-close').addEventListener('click', closeDialog);
    // a click on the backdrop lands on the dialog element itself
    dlg.addEventListener('click', (e) => {
        if (e.target === dlg) {
            closeDialog();
        }
    });
    dlg.addEventListener('close', () => {
        if (location.hash.startsWith('#entry-')) {
            history.replaceState(null, '', location.pathname
                + location.search);
        }
    });
}

// Links to entries (#entry-ID) open the dialog, also when typed in.
function onHash() {
    const m = /^#entry-(.+)$/.exec(location.hash);
    let id;

    if (m === null) {
        return;
    }
    try {
        id = decodeURIComponent(m[1]);
    } catch (e) {
        return;     // a malformed link names no entry
    }
    openEntry(id);
}

function onLinkClick(ev) {
    const a = ev.target.closest('a[data-entry]');

    if (a === null || ev.ctrlKey || ev.metaKey || ev.shiftKey) {
        return;
    }
    ev.preventDefault();
    history.pushState(null, '', a.getAttribute('href'));
    openEntry(a.dataset.entry);
}

// --- start ------------------------------------------------------------------

function onPagesChange(pages) {
    const n = pages.length;

    $('pages-h').hidden = n === 0;
    $('page-count').textContent = n > 0 ? String(n) : '';
    $('reset-btn').hidden = n === 0;
    $('process-btn').textContent = n > 1 ? `Process ${n} pages` : 'Process';
    $('process-btn').disabled = n === 0 || job !== null;
}

function wire() {
    picker = new PagePicker({
        list: $('pages'),
        input: $('file-input'),
        drop: $('drop'),
        status: $('pages-status'),
    }, onPagesChange, (code, file) => showError(code, file.name));

    $('scan-form').addEventListener('submit', submitPages);
    $('reset-btn').addEventListener('click', () => {
        picker.clear();
        $('file-input').focus();
    });
    $('cancel-btn').addEventListener('click', () => job && job.abort());
    $('library-list').addEventListener('click', onLibraryClick);
    $('export-btn').addEventListener('click', exportLibrary);
    $('import-input').addEventListener('change', importLibrary);
    $('clear-btn').addEventListener('click', clearLibrary);
    document.addEventListener('click', onLinkClick);
    window.addEventListener('hashchange', onHash);
    window.addEventListener('online', checkServer);
    // a file dropped beside the drop zone must not replace the page
    for (const ev of ['dragover', 'drop']) {
        window.addEventListener(ev, (e) => e.preventDefault());
    }
    wireDialog();
}

async function main() {
    wire();
    $('library-h').tabIndex = -1;
    if (!window.isSecureContext || !crypto.subtle) {
        showError('NO_CRYPTO');
        $('file-input').disabled = true;
    }
    library.onChange(refreshLibrary);
    const persistent = await library.open();
    if (!persistent) {
        $('library-warning').textContent = 'This browser does not allow '
            + 'saving here (private mode?): the library lasts until you '
            + 'leave the page.';
        $('library-warning').hidden = false;
    }
    await refreshLibrary();
    onHash();
    checkServer();
    document.body.dataset.ready = 'true';
}

main();
