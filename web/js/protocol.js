// protocol.js - the DocuSnap wire protocol in the browser.
//
// A submission is sealed here, on the device: a fresh AES-256 key per
// submission encrypts the inner JSON (AES-CBC, PKCS#7, a random IV put
// in front), and the key is wrapped with the server's RSA public key
// (RSA-OAEP, SHA-256, MGF1-SHA-256). The server answers with the result
// encrypted under the same AES key, so only this page can read it.
// See README.md, "HTTP API", and src/envelope.c for the C client.

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

// Polling: the first wait, the growth per poll and the longest wait.
const POLL_FIRST_MS = 400;
const POLL_GROWTH = 1.5;
const POLL_MAX_MS = 3000;
// A poll that cannot reach the server is retried for this long.
const RETRY_FOR_MS = 30000;
// The page stops waiting after this long (the server's own timeout,
// processing_timeout, is 10 minutes by default and answers before).
const GIVE_UP_MS = 15 * 60 * 1000;

// An error with a code from README's table, or one of the page's own
// (NETWORK, SERVER_UNAVAILABLE, BAD_REPLY, BAD_PUBLIC_KEY,
// DECRYPT_FAILED, TIMEOUT).
export class ApiError extends Error {
    constructor(code, status = 0) {
        super(code);
        this.name = 'ApiError';
        this.code = code;
        this.status = status;
    }
}

// --- encodings --------------------------------------------------------

export function base64Encode(bytes) {
    const chunk = 0x8000;
    const parts = [];

    for (let i = 0; i < bytes.length; i += chunk) {
        parts.push(String.fromCharCode.apply(null,
            bytes.subarray(i, i + chunk)));
    }
    return btoa(parts.join(''));
}

export function base64Decode(text) {
    const bin = atob(text.replace(/\s+/g, ''));
    const out = new Uint8Array(bin.length);

    for (let i = 0; i < bin.length; i++) {
        out[i] = bin.charCodeAt(i);
    }
    return out;
}

function hex(buffer) {
    return Array.from(new Uint8Array(buffer),
        (b) => b.toString(16).padStart(2, '0')).join('');
}

function pemToDer(pem) {
    const m = /-----BEGIN PUBLIC KEY-----([^-]+)-----END PUBLIC KEY-----/
        .exec(pem);

    if (m === null) {
        throw new ApiError('BAD_PUBLIC_KEY');
    }
    return base64Decode(m[1]);
}

// A random id; crypto.randomUUID needs a secure context, which the page
// has behind TLS, but an old browser may lack it.
export function randomId() {
    if (typeof crypto.randomUUID === 'function') {
        return crypto.randomUUID();
    }
    return hex(crypto.getRandomValues(new Uint8Array(16)));
}

// --- sealing and opening ----------------------------------------------

// The envelope of one submission: {key, content, sha256, aesKey}. The
// key stays in memory only, to open the result.
export async function seal(publicKeyPem, inner) {
    let rsa;

    try {
        rsa = await crypto.subtle.importKey('spki', pemToDer(publicKeyPem),
            { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['wrapKey']);
    } catch (e) {
        throw new ApiError('BAD_PUBLIC_KEY');
    }
    const key = await crypto.subtle.generateKey(
        { name: 'AES-CBC', length: 256 }, true, ['encrypt', 'decrypt']);
    const iv = crypto.getRandomValues(new Uint8Array(16));
    const plain = utf8.encode(JSON.stringify(inner));
    const sealed = new Uint8Array(await crypto.subtle.encrypt(
        { name: 'AES-CBC', iv }, key, plain));

    const blob = new Uint8Array(iv.length + sealed.length);
    blob.set(iv, 0);
    blob.set(sealed, iv.length);
    const content = base64Encode(blob);

    // The digest covers the content string exactly as sent.
    const sha256 = hex(await crypto.subtle.digest('SHA-256',
        utf8.encode(content)));
    const wrapped = await crypto.subtle.wrapKey('raw', key, rsa,
        { name: 'RSA-OAEP' });

    return {
        key,
        content,
        sha256,
        aesKey: base64Encode(new Uint8Array(wrapped)),
    };
}

// The result JSON from base64(IV || AES-CBC(result)).
export async function openResult(key, resultB64) {
    let plain;

    try {
        const blob = base64Decode(resultB64);
        plain = await crypto.subtle.decrypt(
            { name: 'AES-CBC', iv: blob.subarray(0, 16) }, key,
            blob.subarray(16));
    } catch (e) {
        throw new ApiError('DECRYPT_FAILED');
    }
    try {
        return JSON.parse(utf8Decoder.decode(plain));
    } catch (e) {
        throw new ApiError('BAD_REPLY');
    }
}

// --- HTTP ---------------------------------------------------------------

// The code for a reply without a JSON error_detail (nginx's own pages).
function codeForStatus(status) {
    if (status === 413) {
        return 'REQUEST_TOO_LARGE';
    }
    if (status === 502 || status === 503 || status === 504) {
        return 'SERVER_UNAVAILABLE';
    }
    if (status === 404) {
        return 'NOT_FOUND';
    }
    return 'BAD_REPLY';
}

async function send(url, options) {
    try {
        return await fetch(url, { cache: 'no-store', ...options });
    } catch (e) {
        if (e.name === 'AbortError') {
            throw e;
        }
        throw new ApiError('NETWORK');
    }
}

// POST body as JSON; the reply's JSON object, or an ApiError.
async function postJson(url, body, signal) {
    const res = await send(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal,
    });
    let obj = null;

    try {
        obj = JSON.parse(await res.text());
    } catch (e) {
        obj = null;
    }
    if (obj === null || typeof obj !== 'object') {
        throw new ApiError(codeForStatus(res.status), res.status);
    }
    if (obj.status === 'error' || !res.ok) {
        throw new ApiError(obj.error_detail || codeForStatus(res.status),
            res.status);
    }
    return obj;
}

export class Api {
    // base: the API's URL prefix, e.g. "/api/v1".
    constructor(base) {
        this.base = base.replace(/\/+$/, '');
    }

    async checkStatus(signal) {
        const res = await send(this.base + '/check_status', { signal });
        if (!res.ok) {
            throw new ApiError(codeForStatus(res.status), res.status);
        }
        return true;
    }

    async publicKey(signal) {
        const res = await send(this.base + '/public_key', { signal });
        if (!res.ok) {
            throw new ApiError(codeForStatus(res.status), res.status);
        }
        return res.text();
    }

    // Forget one entry on the server (its encrypted copy).
    async clear(clientId, sha256, type) {
        return postJson(this.base + '/clear',
            { client_id: clientId, SHA256: sha256, type });
    }

    // Seal, submit, poll with backoff, open. onState(state, info) hears
    // 'key', 'encrypt', 'upload', 'processing', 'retry', 'decrypt'.
    // Resolves to {result, sha256}; rejects with an ApiError, or an
    // AbortError when signal fires.
    async process({ clientId, type, inner, onState, signal }) {
        const note = onState || (() => {});

        note('key');
        const pem = await this.publicKey(signal);
        note('encrypt');
        const env = await seal(pem, inner);
        const ask = {
            client_id: clientId,
            type,
            SHA256: env.sha256,
            has_content: true,
            content: env.content,
            aes_key: env.aesKey,
        };

        note('upload', { bytes: env.content.length });
        let reply = await postJson(this.base + '/process', ask, signal);
        const poll = {
            client_id: clientId,
            type,
            SHA256: env.sha256,
            has_content: false,
        };
        reply = await this.waitFor(reply, poll, note, signal);

        note('decrypt');
        const result = await openResult(env.key, reply.result);
        return { result, sha256: env.sha256 };
    }

    // Poll until the reply says completed (or an error is thrown).
    async waitFor(reply, poll, note, signal) {
        const start = Date.now();
        let wait = POLL_FIRST_MS;
        let failingSince = 0;

        while (reply.status !== 'completed') {
            if (reply.status !== 'processing') {
                throw new ApiError('BAD_REPLY');
            }
            if (Date.now() - start > GIVE_UP_MS) {
                throw new ApiError('TIMEOUT');
            }
            note(failingSince ? 'retry' : 'processing');
            await sleep(wait, signal);
            wait = Math.min(wait * POLL_GROWTH, POLL_MAX_MS);
            try {
                reply = await postJson(this.base + '/process', poll, signal);
                failingSince = 0;
            } catch (e) {
                if (!isTransient(e)) {
                    throw e;
                }
                failingSince = failingSince || Date.now();
                if (Date.now() - failingSince > RETRY_FOR_MS) {
                    throw e;
                }
            }
        }
        if (typeof reply.result !== 'string') {
            throw new ApiError('BAD_REPLY');
        }
        return reply;
    }
}

// A poll worth repeating: the server restarting or briefly busy.
function isTransient(e) {
    return e instanceof ApiError
        && ['NETWORK', 'SERVER_UNAVAILABLE', 'DATABASE_ERROR',
            'SERVICE_UNAVAILABLE'].includes(e.code);
}

function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal && signal.aborted) {
            reject(new DOMException('stopped', 'AbortError'));
            return;
        }
        const t = setTimeout(done, ms);
        function done() {
            if (signal) {
                signal.removeEventListener('abort', stop);
            }
            resolve();
        }
        function stop() {
            clearTimeout(t);
            reject(new DOMException('stopped', 'AbortError'));
        }
        if (signal) {
            signal.addEventListener('abort', stop, { once: true });
        }
    });
}
