// Browser tests of the DocuSnap web page (web/) against a real dev
// stack (nginx + the FastCGI pool, builtin extractor), in Debian's
// Chromium driven by playwright-core. tests/web/run starts the stack
// and sets DS_WEB_URL; screenshots of each state go to DS_ARTIFACTS.
//
//   DS_WEB_URL    https://127.0.0.1:PORT (the page's origin)
//   DS_CORPUS     the corpus of real scans (default ../shared/corpus)
//   DS_ARTIFACTS  where screenshots go (default /tmp/docusnap-web-artifacts)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const srcdir = process.env.DS_SRCDIR || path.resolve(here, '../..');
const corpus = process.env.DS_CORPUS
    || path.resolve(srcdir, '../shared/corpus');
const artifacts = process.env.DS_ARTIFACTS || '/tmp/docusnap-web-artifacts';
const baseUrl = (process.env.DS_WEB_URL || '').replace(/\/+$/, '');
const samples = path.join(srcdir, 'demo/samples');

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
// A job takes 1-3 s on the builtin extractor; leave room on a busy CI.
const JOB_MS = 60000;

let browser;
let scratch;

before(async () => {
    assert.ok(baseUrl, 'DS_WEB_URL is not set (run tests/web/run)');
    fs.mkdirSync(artifacts, { recursive: true });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'docusnap-web-'));
    // launch() gives the browser a fresh --user-data-dir of its own
    browser = await chromium.launch({
        executablePath: process.env.DS_CHROMIUM || '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu',
            '--disable-quic', '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update', '--disable-sync'],
    });
});

after(async () => {
    await browser?.close();
    if (scratch) {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
});

// A fresh context (own IndexedDB and localStorage) and page; problems
// collects console errors, uncaught exceptions and CSP violations.
async function openPage(viewport = DESKTOP) {
    const context = await browser.newContext({
        ignoreHTTPSErrors: true,
        viewport,
        deviceScaleFactor: 1,
        isMobile: viewport.width < 600,
        hasTouch: viewport.width < 600,
        acceptDownloads: true,
    });
    const page = await context.newPage();
    page.problems = [];
    page.on('console', (m) => {
        if (m.type() === 'error') {
            page.problems.push(`console: ${m.text()}`);
        }
    });
    page.on('pageerror', (e) => page.problems.push(`page: ${e.message}`));
    await page.goto(`${baseUrl}/`);
    await page.locator('body[data-ready="true"]').waitFor();
    return page;
}

async function shot(page, name) {
    // the library column is sticky: shoot the whole page from the top
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({
        path: path.join(artifacts, `${name}.png`),
        fullPage: true,
    });
}

// Pick files, say what they are, press Process, and wait until a
// result or an error is shown.
async function scan(page, files, kind = 'doc', whileWaiting = null) {
    await page.locator(`input[name="kind"][value="${kind}"]`).check();
    await page.locator('#file-input').setInputFiles(files);
    await page.locator('#process-btn').click();
    if (whileWaiting !== null) {
        await whileWaiting();
    }
    await page.locator('#result:not([hidden]), #notice:not([hidden])')
        .first().waitFor({ timeout: JOB_MS });
    await page.locator('#progress').waitFor({ state: 'hidden' });
}

function noticeText(page) {
    return page.locator('#notice').innerText();
}

async function assertResult(page) {
    if (await page.locator('#notice').isVisible()) {
        assert.fail(`an error was shown: ${await noticeText(page)}`);
    }
}

function corpusFile(name) {
    return path.join(corpus, name);
}

// As the C tests do (exit 77), a test that needs the corpus is skipped
// when the corpus is not there.
const noCorpus = fs.existsSync(corpusFile('sroie_000.jpg'))
    ? false : `corpus not found in ${corpus}`;

// A test on a fresh page: the context is closed whatever happens, a
// failure leaves a screenshot, and the page must have logged no error
// (but those that opts.allow matches).
function pageTest(name, fn, opts = {}) {
    test(name, { skip: opts.skip || false }, async () => {
        const page = await openPage(opts.viewport || DESKTOP);
        try {
            await fn(page);
            const allow = opts.allow || /^$/;
            assert.deepEqual(page.problems.filter((p) => !allow.test(p)),
                []);
        } catch (e) {
            const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
            await shot(page, `FAILED-${slug}`).catch(() => {});
            throw e;
        } finally {
            await page.context().close();
        }
    });
}

describe('DocuSnap web page', () => {
    pageTest('loads under its CSP and finds the server', async (page) => {
        await page.locator('#server-status[data-state="online"]').waitFor();
        assert.match(await page.locator('#server-status').innerText(),
            /Server ready/);
        assert.equal(await page.locator('#process-btn').isDisabled(), true);
        await shot(page, '01-start-desktop');
        await page.setViewportSize(PHONE);
        await shot(page, '01-start-phone');
    });

    pageTest('a corpus receipt shows its date', async (page) => {
        const receipt = corpusFile('sroie_000.jpg');

        // the job takes a second or more: catch it on the way
        await scan(page, [receipt], 'doc', async () => {
            await page.locator('#progress .steps li.current').waitFor();
            assert.match(await page.locator('#elapsed').innerText(),
                /^\d+\.\d s$/);
            await shot(page, '02-receipt-progress-desktop');
        });
        await assertResult(page);
        const date = page.locator('#result table.kv tr[data-key="Date"] td');
        assert.equal(await date.innerText(), 'Dec 25, 2018');
        await page.getByText('Dec 25, 2018', { exact: true }).first()
            .waitFor();
        // kept in the library
        assert.equal(await page.locator('#library-list li').count(), 1);
        assert.match(await page.locator('#library-list').innerText(),
            /Receipt/);
        await shot(page, '02-receipt-desktop');
        await page.setViewportSize(PHONE);
        await shot(page, '02-receipt-phone');
    }, { skip: noCorpus });

    pageTest('a corpus form shows its blank fields (phone)', async (page) => {
        const result = page.locator('#result');

        await scan(page, [corpusFile('funsd_0000971160.png')], 'form');
        await assertResult(page);
        assert.match(await result.locator('.eyebrow').innerText(), /^Form/i);
        await result.getByRole('heading', { name: 'Blank fields' }).waitFor();
        // the list of blank fields, or the note that there are none
        const blanks = await result.locator('ul.fields li').count();
        const none = result.getByText('No blank fields were found');
        assert.ok(blanks > 0 || await none.isVisible(),
            'neither blank fields nor the note that there are none');
        assert.ok(await result.locator('table.kv tbody tr').count() > 0);
        // only a form with blank fields can be filled
        const fill = result.getByRole('button',
            { name: 'Fill from your library' });
        assert.equal(await fill.count(), blanks > 0 ? 1 : 0);
        await shot(page, '03-form-phone');
    }, { viewport: PHONE, skip: noCorpus });

    pageTest('fills a form from the library, with sources', async (page) => {
        await scan(page, [path.join(samples, 'idcard.png')], 'doc');
        await assertResult(page);
        const card = page.locator('#library-list li', { hasText: 'ID card' });
        const cardId = await card.getAttribute('data-id');
        assert.ok(cardId);

        await scan(page, [path.join(samples, 'form.png')], 'form');
        await assertResult(page);
        assert.ok(await page.locator('#result ul.fields li').count() >= 3);
        await page.locator('#result ul.fields')
            .getByText('First name', { exact: true }).waitFor();
        await shot(page, '04-form-desktop');

        await page.locator('#result')
            .getByRole('button', { name: 'Fill from your library' }).click();
        const row = page.locator('#result tr[data-field="First name"]');
        await row.waitFor({ timeout: JOB_MS });
        await page.locator('#progress').waitFor({ state: 'hidden' });
        await assertResult(page);
        assert.equal(await row.locator('td.value').innerText(), 'Jordan');
        const link = row.getByRole('link');
        assert.equal(await link.getAttribute('href'),
            `#entry-${encodeURIComponent(cardId)}`);
        assert.match(await link.innerText(), /ID card/);
        await shot(page, '05-fill-desktop');
        await page.setViewportSize(PHONE);
        await shot(page, '05-fill-phone');
        await page.setViewportSize(DESKTOP);

        // the link opens the entry the value came from
        await link.click();
        const dialog = page.locator('#entry-dialog');
        await dialog.waitFor();
        assert.match(await dialog.locator('h2').innerText(), /ID card/);
        await dialog.getByText('Jordan', { exact: true }).waitFor();
        await shot(page, '06-source-entry-desktop');
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'hidden' });
    });

    pageTest('an unsupported file is explained in words', async (page) => {
        const fake = path.join(scratch, 'notes.png');
        const notice = page.locator('#notice');

        fs.writeFileSync(fake, 'These are my notes, not a picture.\n');
        await scan(page, [fake], 'doc');
        assert.equal(await notice.getAttribute('role'), 'alert');
        assert.equal(await notice.getAttribute('data-code'),
            'UNSUPPORTED_IMAGE');
        assert.match(await noticeText(page),
            /not an image the server can read/);
        assert.equal(await page.locator('#result').isVisible(), false);
        // the page is still there to try again
        assert.equal(await page.locator('#pages li').count(), 1);
        await shot(page, '07-unsupported-desktop');
    }, { allow: / 415 / });         // the browser logs the server's 415

    pageTest('every error code of the README has its words', async (page) => {
        const readme = fs.readFileSync(path.join(srcdir, 'README.md'),
            'utf8');
        const table = readme.split('### Error codes')[1].split('\n## ')[0];
        const codes = [...table.matchAll(/^\| ([A-Z0-9_]+) \|/gm)]
            .map((m) => m[1]);
        assert.ok(codes.length >= 20, `only ${codes.length} codes read`);
        const known = await page.evaluate(async () =>
            (await import('./js/messages.js')).KNOWN_CODES);
        assert.deepEqual(codes.filter((c) => !known.includes(c)), []);
    });

    pageTest('says so when the server cannot be reached', async (page) => {
        await page.route('**/api/v1/**',
            (route) => route.abort('connectionrefused'));
        await scan(page, [path.join(samples, 'receipt.jpg')], 'doc');
        assert.equal(await page.locator('#notice').getAttribute('data-code'),
            'NETWORK');
        assert.match(await noticeText(page), /cannot be reached/);
        await page.locator('#server-status[data-state="offline"]').waitFor();
        await shot(page, '08-unreachable-desktop');
    }, { allow: /ERR_CONNECTION_REFUSED/ });

    pageTest('pages are reordered and removed by keyboard', async (page) => {
        const files = ['receipt.jpg', 'idcard.png', 'form.png']
            .map((f) => path.join(samples, f));
        const names = () => page.locator('#pages .page-name').allInnerTexts();

        await page.locator('#file-input').setInputFiles(files);
        assert.deepEqual(await names(),
            ['receipt.jpg', 'idcard.png', 'form.png']);
        assert.equal(await page.locator('#process-btn').innerText(),
            'Process 3 pages');
        await page.getByRole('button', { name: 'Move receipt.jpg down' })
            .focus();
        await page.keyboard.press('Enter');
        assert.deepEqual(await names(),
            ['idcard.png', 'receipt.jpg', 'form.png']);
        // the focus follows the page, so Enter moves it again
        await page.keyboard.press('Enter');
        assert.deepEqual(await names(),
            ['idcard.png', 'form.png', 'receipt.jpg']);
        await shot(page, '09-pages-desktop');
        await page.getByRole('button', { name: 'Remove form.png' }).click();
        assert.deepEqual(await names(), ['idcard.png', 'receipt.jpg']);

        // a PDF is turned away with a reason
        await page.locator('#file-input').setInputFiles({
            name: 'scan.pdf',
            mimeType: 'application/pdf',
            buffer: Buffer.from('%PDF-1.4\n'),
        });
        assert.equal(await page.locator('#notice').getAttribute('data-code'),
            'PDF_NOT_YET');
        assert.equal(await page.locator('#pages li').count(), 2);
        await page.setViewportSize(PHONE);
        await shot(page, '09-pages-phone');
    });

    pageTest('the library is imported, exported, cleared', async (page) => {
        const file = path.join(scratch, 'lib.json');
        const saved = path.join(scratch, 'export.json');
        const dialog = page.locator('#entry-dialog');

        fs.writeFileSync(file, JSON.stringify({
            docs: [{
                resource_id: 'card-1', title: 'ID card - TEST',
                tags: ['identity'], description: 'A test card.',
                kv: { 'Given Names': 'Ada' }, related: [],
            }],
            forms: [{
                resource_id: 'form-1', title: 'TEST FORM', tags: ['form'],
                description: '', kv: {}, fields: ['First name'],
                related: [{ type: 'doc', resource_id: 'card-1' }],
            }],
        }));
        await page.locator('#import-input').setInputFiles(file);
        await page.locator('#library-list li').nth(1).waitFor();
        assert.equal(await page.locator('#library-count').innerText(), '2');

        // an entry opens, with its related entry as a link
        await page.getByRole('button', { name: 'TEST FORM', exact: true })
            .click();
        await dialog.getByRole('link', { name: 'ID card - TEST' }).click();
        assert.match(await dialog.locator('h2').innerText(), /ID card/);
        await dialog.getByRole('button', { name: 'Close' }).click();

        const [download] = await Promise.all([
            page.waitForEvent('download'),
            page.getByRole('button', { name: 'Export', exact: true }).click(),
        ]);
        await download.saveAs(saved);
        const out = JSON.parse(fs.readFileSync(saved, 'utf8'));
        assert.deepEqual(out.docs.map((e) => e.resource_id), ['card-1']);
        assert.deepEqual(out.forms.map((e) => e.fields), [['First name']]);
        assert.equal(out.docs[0].kv['Given Names'], 'Ada');
        await shot(page, '10-library-desktop');

        page.once('dialog', (d) => d.accept());
        await page.getByRole('button', { name: 'Clear library' }).click();
        await page.locator('#library-empty').waitFor();
        assert.equal(await page.locator('#library-list li').count(), 0);
    });
});
