// render.js - results and the library as DOM. Every value from a
// result goes in as text (textContent), never as markup.

const KIND_NAMES = { doc: 'Document', form: 'Form' };

export function el(tag, cls, text) {
    const n = document.createElement(tag);

    if (cls) {
        n.className = cls;
    }
    if (text !== undefined && text !== null) {
        n.textContent = text;
    }
    return n;
}

export function entryHref(id) {
    return `#entry-${encodeURIComponent(id)}`;
}

export function entryDomId(id) {
    return `entry-${id}`;
}

// A link to a library entry; main.js opens it in the entry dialog.
export function entryLink(id, lookup) {
    const entry = lookup(id);

    if (entry === null) {
        return el('span', 'muted', 'an entry no longer in your library');
    }
    const a = el('a', 'entry-link', entry.title || 'Untitled');
    a.href = entryHref(id);
    a.dataset.entry = id;
    return a;
}

function text(v) {
    if (typeof v === 'string') {
        return v;
    }
    if (v === null || v === undefined) {
        return '';
    }
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// "Dec 3, 2026, 2:31 PM" in the reader's locale; the ISO text when
// the browser cannot format it.
function formatDate(iso, withTime) {
    const d = new Date(iso);

    if (Number.isNaN(d.getTime())) {
        return iso;
    }
    return withTime
        ? d.toLocaleString(undefined,
            { dateStyle: 'medium', timeStyle: 'short' })
        : d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

function plural(n, one, many) {
    return `${n} ${n === 1 ? one : many}`;
}

function heading(level, label, id) {
    const h = el(`h${level}`, null, label);

    if (id) {
        h.id = id;
    }
    return h;
}

function tagList(tags) {
    const ul = el('ul', 'tags');

    ul.setAttribute('aria-label', 'Tags');
    for (const t of tags) {
        ul.append(el('li', 'tag', t));
    }
    return ul;
}

// A two-column table of the key-value pairs, or a note when none.
function kvTable(kv) {
    const keys = Object.keys(kv || {});

    if (keys.length === 0) {
        return el('p', 'muted', 'No details were found on the pages.');
    }
    const table = el('table', 'kv');
    const cap = el('caption', 'visually-hidden', 'Details found');
    const head = el('thead');
    const hr = el('tr');
    hr.append(th('Field', 'col'), th('Value', 'col'));
    head.append(hr);
    const body = el('tbody');
    keys.forEach((k, i) => {
        const tr = el('tr');
        tr.append(th(k, 'row'), el('td', null, text(kv[k])));
        tr.dataset.key = k;
        body.append(tr);
    });
    table.append(cap, head, body);
    return table;
}

function th(label, scope) {
    const h = el('th', null, label);

    h.scope = scope;
    return h;
}

function blankFields(fields) {
    if (!fields || fields.length === 0) {
        return el('p', 'muted', 'No blank fields were found on this form.');
    }
    const ul = el('ul', 'fields');
    for (const f of fields) {
        ul.append(el('li', null, text(f)));
    }
    return ul;
}

function relatedList(related, lookup) {
    const usable = (related || []).filter((r) => r && r.resource_id);

    if (usable.length === 0) {
        return el('p', 'muted', 'Nothing related in your library.');
    }
    const ul = el('ul', 'related');
    for (const r of usable) {
        const li = el('li');
        li.append(entryLink(String(r.resource_id), lookup),
            el('span', 'badge', KIND_NAMES[r.type] || 'Entry'));
        ul.append(li);
    }
    return ul;
}

function eyebrow(entry) {
    const parts = [KIND_NAMES[entry.type] || 'Entry'];

    if (entry.files && entry.files.length > 0) {
        parts.push(plural(entry.files.length, 'page', 'pages'));
    }
    if (entry.created) {
        parts.push(formatDate(entry.created, true));
    }
    return el('p', 'eyebrow', parts.join(' · '));
}

// The content of a doc or form entry. opts: {lookup(id), headingId,
// level (of the title heading), actions: [buttons]}.
export function renderEntry(entry, opts) {
    const frag = document.createDocumentFragment();
    const level = opts.level || 2;

    frag.append(eyebrow(entry),
        heading(level, entry.title || 'Untitled', opts.headingId));
    if (entry.tags && entry.tags.length > 0) {
        frag.append(tagList(entry.tags));
    }
    if (entry.description) {
        frag.append(el('p', 'description', entry.description));
    }
    if (opts.actions && opts.actions.length > 0) {
        const bar = el('div', 'actions');
        bar.append(...opts.actions);
        frag.append(bar);
    }
    if (entry.type === 'form') {
        frag.append(heading(level + 1, 'Blank fields'),
            blankFields(entry.fields));
    }
    frag.append(heading(level + 1, 'Details'), kvTable(entry.kv),
        heading(level + 1, 'Related in your library'),
        relatedList(entry.related, opts.lookup));
    return frag;
}

// The fields of a fill result, in the form's order, each with the
// value and a link to the entry it came from.
export function renderFill(form, fill, opts) {
    const frag = document.createDocumentFragment();
    const names = [...(form.fields || [])];

    for (const k of Object.keys(fill || {})) {
        if (!names.includes(k)) {
            names.push(k);
        }
    }
    const filled = names.filter((k) => fill[k] && fill[k].value !== '');
    frag.append(el('p', 'eyebrow', 'Filled from your library'),
        heading(2, form.title || 'Untitled form', opts.headingId),
        el('p', 'description', names.length === 0
            ? 'This form has no blank fields.'
            : `${filled.length} of ${plural(names.length, 'field',
                'fields')} filled from your library.`));
    if (names.length === 0) {
        return frag;
    }

    const table = el('table', 'kv fill');
    const head = el('thead');
    const hr = el('tr');
    hr.append(th('Field', 'col'), th('Value', 'col'), th('From', 'col'));
    head.append(hr);
    const body = el('tbody');
    for (const name of names) {
        body.append(fillRow(name, fill[name], opts.lookup));
    }
    table.append(el('caption', 'visually-hidden', 'Filled fields'), head,
        body);
    frag.append(table);
    return frag;
}

function fillRow(name, item, lookup) {
    const tr = el('tr');

    tr.dataset.field = name;
    tr.append(th(name, 'row'));
    if (!item || item.value === undefined || item.value === '') {
        tr.className = 'unfilled';
        const td = el('td', 'muted', 'Not found in your library');
        td.colSpan = 2;
        tr.append(td);
        return tr;
    }
    const from = el('td');
    const src = item.source;
    if (src && src.resource_id !== undefined) {
        from.append(entryLink(String(src.resource_id), lookup));
    } else {
        from.append(el('span', 'muted', 'unknown'));
    }
    tr.append(el('td', 'value', text(item.value)), from);
    return tr;
}

// One row of the library list. actions: {view, fill, remove} callbacks
// are wired by the caller through data-act.
export function renderLibraryItem(entry) {
    const li = el('li', 'entry');
    const id = entry.resource_id;

    li.id = entryDomId(id);
    li.dataset.id = id;
    const main = el('div', 'entry-main');
    const title = el('button', 'entry-title', entry.title || 'Untitled');
    title.type = 'button';
    title.dataset.act = 'view';
    const details = Object.keys(entry.kv || {}).length;
    const meta = [];
    if (entry.type === 'form') {
        meta.push(plural((entry.fields || []).length, 'blank field',
            'blank fields'));
    }
    if (details > 0 || entry.type !== 'form') {
        meta.push(plural(details, 'detail', 'details'));
    }
    if (entry.created) {
        meta.push(formatDate(entry.created, false));
    }
    main.append(el('span', `badge badge-${entry.type}`,
        KIND_NAMES[entry.type] || 'Entry'), title,
        el('span', 'entry-meta', meta.join(' · ')));

    const acts = el('div', 'entry-actions');
    if (entry.type === 'form' && (entry.fields || []).length > 0) {
        acts.append(actionButton('fill', 'Fill', `Fill ${entry.title}`));
    }
    acts.append(actionButton('remove', 'Delete', `Delete ${entry.title}`,
        'ghost small danger-text'));
    li.append(main, acts);
    return li;
}

function actionButton(act, label, aria, cls = 'secondary small') {
    const b = el('button', cls, label);

    b.type = 'button';
    b.dataset.act = act;
    b.setAttribute('aria-label', aria);
    return b;
}
