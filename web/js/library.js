// library.js - the local library: decrypted results kept in this
// browser's IndexedDB, never sent anywhere except as file_lib with a
// request (encrypted like the pages).
//
// An entry: {resource_id, type: "doc"|"form", created (ISO time),
// files: [names], title, tags, description, kv, fields (forms),
// related}. When IndexedDB is not available (some private modes) the
// library lives in memory and `persistent` is false.

const DB_NAME = 'docusnap';
const DB_VERSION = 1;
const STORE = 'entries';

// What the server reads of an entry; the rest stays on the device.
const LIB_KEYS = ['resource_id', 'type', 'title', 'tags', 'description',
    'kv', 'fields', 'related'];

function promised(request) {
    return new Promise((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
}

function openDb() {
    return new Promise((resolve, reject) => {
        let req;

        try {
            req = indexedDB.open(DB_NAME, DB_VERSION);
        } catch (e) {
            reject(e);
            return;
        }
        req.onupgradeneeded = () => {
            const db = req.result;
            if (!db.objectStoreNames.contains(STORE)) {
                const s = db.createObjectStore(STORE,
                    { keyPath: 'resource_id' });
                s.createIndex('created', 'created');
            }
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
        req.onblocked = () => reject(new Error('blocked'));
    });
}

export class Library {
    constructor() {
        this.db = null;
        this.memory = new Map();
        this.persistent = false;
        this.listeners = new Set();
    }

    async open() {
        try {
            this.db = await openDb();
            this.persistent = true;
        } catch (e) {
            this.db = null;
            this.persistent = false;
        }
        return this.persistent;
    }

    onChange(fn) {
        this.listeners.add(fn);
    }

    changed() {
        for (const fn of this.listeners) {
            fn();
        }
    }

    async tx(mode, fn) {
        const t = this.db.transaction(STORE, mode);
        const done = new Promise((resolve, reject) => {
            t.oncomplete = () => resolve();
            t.onerror = () => reject(t.error);
            t.onabort = () => reject(t.error);
        });
        const [value] = await Promise.all([fn(t.objectStore(STORE)), done]);
        return value;
    }

    // Every entry, newest first.
    async all() {
        let list;

        if (this.db === null) {
            list = Array.from(this.memory.values());
        } else {
            list = await this.tx('readonly', (s) => promised(s.getAll()));
        }
        return list.sort((a, b) => (a.created < b.created ? 1 : -1));
    }

    async get(id) {
        if (this.db === null) {
            return this.memory.get(id) || null;
        }
        const e = await this.tx('readonly', (s) => promised(s.get(id)));
        return e || null;
    }

    async put(entry) {
        if (this.db === null) {
            this.memory.set(entry.resource_id, entry);
        } else {
            await this.tx('readwrite', (s) => promised(s.put(entry)));
        }
        this.changed();
        return entry;
    }

    async putMany(entries) {
        if (this.db === null) {
            entries.forEach((e) => this.memory.set(e.resource_id, e));
        } else {
            await this.tx('readwrite',
                (s) => Promise.all(entries.map((e) => promised(s.put(e)))));
        }
        this.changed();
    }

    async remove(id) {
        if (this.db === null) {
            this.memory.delete(id);
        } else {
            await this.tx('readwrite', (s) => promised(s.delete(id)));
        }
        this.changed();
    }

    async clear() {
        if (this.db === null) {
            this.memory.clear();
        } else {
            await this.tx('readwrite', (s) => promised(s.clear()));
        }
        this.changed();
    }

    // The library as the server's file_lib: {docs: [...], forms: [...]},
    // only the fields the server reads.
    async fileLib() {
        const lib = { docs: [], forms: [] };

        for (const e of await this.all()) {
            const slim = {};
            for (const k of LIB_KEYS) {
                if (e[k] !== undefined) {
                    slim[k] = e[k];
                }
            }
            (e.type === 'form' ? lib.forms : lib.docs).push(slim);
        }
        return lib;
    }

    // The export file: the same shape as file_lib, every field kept, so
    // it works as docusnap-client --lib too.
    async exportJson() {
        const out = { docusnap_library: 1, docs: [], forms: [] };

        for (const e of await this.all()) {
            (e.type === 'form' ? out.forms : out.docs).push(e);
        }
        return JSON.stringify(out, null, 2);
    }

    // Add the entries of an export (or of any {docs, forms} object);
    // resolves to how many were added. Throws on a file of another kind.
    async importJson(text) {
        const data = JSON.parse(text);

        if (data === null || typeof data !== 'object'
            || (!Array.isArray(data.docs) && !Array.isArray(data.forms))) {
            throw new Error('not a library');
        }
        const entries = [];
        for (const [list, type] of [['docs', 'doc'], ['forms', 'form']]) {
            for (const e of Array.isArray(data[list]) ? data[list] : []) {
                const entry = normaliseEntry(e, type);
                if (entry !== null) {
                    entries.push(entry);
                }
            }
        }
        await this.putMany(entries);
        return entries.length;
    }
}

// An imported entry in our shape, or null when it is unusable.
function normaliseEntry(e, type) {
    if (e === null || typeof e !== 'object') {
        return null;
    }
    const id = e.resource_id ?? e.id;
    if ((typeof id !== 'string' && typeof id !== 'number') || id === '') {
        return null;
    }
    const kv = e.kv && typeof e.kv === 'object' && !Array.isArray(e.kv)
        ? e.kv : {};
    return {
        resource_id: String(id),
        type,
        created: typeof e.created === 'string' ? e.created
            : new Date().toISOString(),
        files: Array.isArray(e.files) ? e.files.map(String) : [],
        title: typeof e.title === 'string' ? e.title : 'Untitled',
        tags: Array.isArray(e.tags) ? e.tags.map(String) : [],
        description: typeof e.description === 'string' ? e.description : '',
        kv,
        fields: Array.isArray(e.fields) ? e.fields.map(String) : undefined,
        related: Array.isArray(e.related) ? e.related : [],
    };
}

// A new entry from a doc or form result.
export function entryFromResult(id, type, result, files) {
    const entry = normaliseEntry({ ...result, resource_id: id }, type);

    entry.files = files;
    if (type === 'form' && entry.fields === undefined) {
        entry.fields = [];
    }
    return entry;
}
