// pages.js - the pages of one submission: pick or drop images, see
// thumbnails, reorder them (buttons, or drag with a mouse) and remove
// one. Every action works from the keyboard.

const ICONS = {
    up: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        + '<path d="M12 5l-7 7h4.5v7h5v-7H19z"/></svg>',
    down: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        + '<path d="M12 19l7-7h-4.5V5h-5v7H5z"/></svg>',
    remove: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        + '<path d="M6.4 5L5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 '
        + '1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z"/></svg>',
};

export function formatBytes(n) {
    if (n < 1024) {
        return `${n} bytes`;
    }
    if (n < 1024 * 1024) {
        return `${Math.round(n / 1024)} KB`;
    }
    return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function isPdf(file) {
    return file.type === 'application/pdf' || /\.pdf$/i.test(file.name);
}

// A file the browser calls something else than an image (an unknown
// type is let through: the server decides).
function isNotImage(file) {
    return file.type !== '' && !file.type.startsWith('image/');
}

export class PagePicker {
    // els: {list, input, drop, status}; onChange(pages) after each
    // change; onReject(code, file) for a file that cannot be a page.
    constructor(els, onChange, onReject) {
        this.els = els;
        this.onChange = onChange;
        this.onReject = onReject;
        this.pages = [];
        this.nextId = 1;
        this.dragId = null;
        this.wire();
    }

    wire() {
        const { input, drop, list } = this.els;

        input.addEventListener('change', () => {
            this.add(Array.from(input.files));
            input.value = '';
        });
        for (const ev of ['dragenter', 'dragover']) {
            drop.addEventListener(ev, (e) => {
                if (hasFiles(e)) {
                    e.preventDefault();
                    drop.classList.add('over');
                }
            });
        }
        for (const ev of ['dragleave', 'drop']) {
            drop.addEventListener(ev, () => drop.classList.remove('over'));
        }
        drop.addEventListener('drop', (e) => {
            if (hasFiles(e)) {
                e.preventDefault();
                this.add(Array.from(e.dataTransfer.files));
            }
        });
        list.addEventListener('click', (e) => this.onClick(e));
        this.wireDrag();
    }

    // Reordering by dragging a page onto another (mouse users).
    wireDrag() {
        const { list } = this.els;

        list.addEventListener('dragstart', (e) => {
            const li = e.target.closest('li[data-id]');
            if (li === null) {
                return;
            }
            this.dragId = Number(li.dataset.id);
            e.dataTransfer.effectAllowed = 'move';
            e.dataTransfer.setData('text/plain', li.dataset.id);
            li.classList.add('dragging');
        });
        list.addEventListener('dragend', () => {
            this.dragId = null;
            list.querySelectorAll('.dragging, .drop-before')
                .forEach((n) => n.classList.remove('dragging', 'drop-before'));
        });
        list.addEventListener('dragover', (e) => {
            const li = e.target.closest('li[data-id]');
            if (this.dragId === null || li === null) {
                return;
            }
            e.preventDefault();
            list.querySelectorAll('.drop-before')
                .forEach((n) => n.classList.remove('drop-before'));
            li.classList.add('drop-before');
        });
        list.addEventListener('drop', (e) => {
            const li = e.target.closest('li[data-id]');
            if (this.dragId === null || li === null) {
                return;
            }
            e.preventDefault();
            const from = this.indexOf(this.dragId);
            const to = this.indexOf(Number(li.dataset.id));
            this.moveTo(from, to);
        });
    }

    indexOf(id) {
        return this.pages.findIndex((p) => p.id === id);
    }

    add(files) {
        let added = 0;

        for (const file of files) {
            if (isPdf(file)) {
                this.onReject('PDF_NOT_YET', file);
            } else if (isNotImage(file)) {
                this.onReject('NOT_AN_IMAGE', file);
            } else {
                this.pages.push({
                    id: this.nextId++,
                    file,
                    url: URL.createObjectURL(file),
                });
                added++;
            }
        }
        if (added > 0) {
            this.announce(added === 1 ? '1 page added.'
                : `${added} pages added.`);
            this.render();
        }
    }

    onClick(e) {
        const btn = e.target.closest('button[data-act]');
        if (btn === null) {
            return;
        }
        const i = this.indexOf(Number(btn.closest('li').dataset.id));
        if (btn.dataset.act === 'remove') {
            this.remove(i);
        } else {
            const to = btn.dataset.act === 'up' ? i - 1 : i + 1;
            this.moveTo(i, to, btn.dataset.act);
        }
    }

    moveTo(from, to, act) {
        if (from < 0 || to < 0 || to >= this.pages.length || from === to) {
            return;
        }
        const [page] = this.pages.splice(from, 1);
        this.pages.splice(to, 0, page);
        this.render();
        this.announce(`${page.file.name} is now page ${to + 1} of `
            + `${this.pages.length}.`);
        if (act !== undefined) {
            this.focusButton(page.id, act);
        }
    }

    remove(i) {
        const [page] = this.pages.splice(i, 1);

        URL.revokeObjectURL(page.url);
        this.render();
        this.announce(`${page.file.name} removed.`);
        // keep the keyboard where it was: the next page, or the picker
        const next = this.pages[Math.min(i, this.pages.length - 1)];
        if (next !== undefined) {
            this.focusButton(next.id, 'remove');
        } else {
            this.els.input.focus();
        }
    }

    clear() {
        this.pages.forEach((p) => URL.revokeObjectURL(p.url));
        this.pages = [];
        this.render();
    }

    files() {
        return this.pages.map((p) => p.file);
    }

    // The same button on the moved page, or its other arrow at an end.
    focusButton(id, act) {
        const li = this.els.list.querySelector(`li[data-id="${id}"]`);
        let btn = li.querySelector(`button[data-act="${act}"]`);

        if (btn.disabled) {
            btn = li.querySelector(
                `button[data-act="${act === 'up' ? 'down' : 'up'}"]`);
        }
        btn.focus();
    }

    announce(text) {
        this.els.status.textContent = text;
    }

    render() {
        const { list } = this.els;
        const n = this.pages.length;

        list.replaceChildren(...this.pages.map((p, i) =>
            this.renderPage(p, i, n)));
        list.hidden = n === 0;
        this.onChange(this.pages);
    }

    renderPage(page, i, n) {
        const li = document.createElement('li');
        const name = page.file.name || `page ${i + 1}`;

        li.className = 'page';
        li.dataset.id = String(page.id);
        li.draggable = true;

        const num = el('span', 'page-num', String(i + 1));
        num.setAttribute('aria-hidden', 'true');
        const img = document.createElement('img');
        img.className = 'thumb';
        img.alt = '';
        img.src = page.url;
        img.decoding = 'async';
        img.addEventListener('error', () => {
            img.replaceWith(el('span', 'thumb thumb-none', 'No preview'));
        });

        const meta = el('div', 'page-meta');
        const about = el('span', 'page-size');
        about.append(el('span', null, `Page ${i + 1} of ${n}`), ' · ',
            el('span', null, formatBytes(page.file.size)));
        meta.append(el('span', 'page-name', name), about);

        const acts = el('div', 'page-actions');
        acts.append(
            iconButton('up', `Move ${name} up`, i === 0),
            iconButton('down', `Move ${name} down`, i === n - 1),
            iconButton('remove', `Remove ${name}`, false));
        li.append(num, img, meta, acts);
        return li;
    }
}

function hasFiles(e) {
    return e.dataTransfer && Array.from(e.dataTransfer.types)
        .includes('Files');
}

function el(tag, cls, text) {
    const n = document.createElement(tag);

    if (cls) {
        n.className = cls;
    }
    if (text !== undefined) {
        n.textContent = text;
    }
    return n;
}

function iconButton(act, label, disabled) {
    const b = document.createElement('button');

    b.type = 'button';
    b.className = `icon-btn ${act === 'remove' ? 'icon-danger' : ''}`;
    b.dataset.act = act;
    b.setAttribute('aria-label', label);
    b.title = label;
    b.disabled = disabled;
    b.innerHTML = ICONS[act];          // constant markup, no user data
    return b;
}
