// messages.js - every error the page can meet, in words a person
// understands: what happened, and what to do about it. The codes are
// the server's (README.md, "Error codes") plus the page's own.

const BUG = 'This is a bug in the web page or the server, not something '
    + 'you did. Reload the page and try again; if it keeps happening, '
    + 'tell whoever runs this server.';
const LIBRARY_SHAPE = 'Your library has an entry the server could not use. '
    + 'Export the library to keep a copy, then clear it and try again.';

const MESSAGES = {
    // The page's own.
    NETWORK: ['The DocuSnap server cannot be reached.',
        'Check your internet connection and that the server is running, '
        + 'then try again.'],
    SERVER_UNAVAILABLE: ['The server is not answering right now.',
        'It may be restarting or overloaded. Wait a minute and try again.'],
    SERVICE_UNAVAILABLE: ['The server is not answering right now.',
        'It may be restarting or overloaded. Wait a minute and try again.'],
    BAD_REPLY: ['The server sent an answer this page does not understand.',
        'The page and the server may be different versions. Reload the '
        + 'page and try again.'],
    BAD_PUBLIC_KEY: ['The server\'s encryption key could not be read.',
        'Nothing was sent. Tell whoever runs this server.'],
    DECRYPT_FAILED: ['The result arrived but could not be decrypted.',
        'Send the pages again.'],
    TIMEOUT: ['No result after 15 minutes, so the page stopped waiting.',
        'The server may be very busy. Try again later, or with fewer '
        + 'pages.'],
    NO_CRYPTO: ['This browser cannot encrypt the pages.',
        'Open the page over https:// in an up-to-date browser.'],
    NOT_AN_IMAGE: ['That file is not an image.',
        'Choose photos or scans: PNG, JPEG, TIFF, WebP, BMP or GIF.'],
    PDF_NOT_YET: ['PDF files cannot be read yet.',
        'Take a photo or screenshot of each page, or export the pages '
        + 'as images, and add those instead.'],
    STORAGE: ['Your library could not be saved in this browser.',
        'Private browsing or a full disk can block it. The result is '
        + 'still shown, but it will be gone when you leave the page.'],
    BAD_IMPORT: ['That file is not a DocuSnap library export.',
        'Choose a .json file made with the Export button.'],
    INTERNAL_PAGE: ['The page ran into a problem.',
        'Reload the page and try again.'],
    ENTRY_GONE: ['That entry is no longer in your library.',
        'It may have been deleted, or the library cleared.'],
    NO_FORM_FIELDS: ['This form has no blank fields to fill.',
        'Scan the form again as a "Form", or choose another form.'],

    // The server's, request checks.
    MISSING_REQUIRED_FIELD: ['The request was missing some information.',
        BUG],
    INVALID_FIELD: ['The request had a field the server did not accept.',
        BUG],
    INVALID_TYPE: ['The server did not recognise the kind of request.',
        BUG],
    MISSING_CONTENT: ['The request arrived without any pages.',
        'Add at least one page and try again.'],
    TASK_NOT_FOUND: ['The server no longer has this job.',
        'It may have expired or been cleared. Send the pages again.'],
    SHA256_VERIFICATION_FAILED: ['The server could not check that the '
        + 'pages arrived intact.', BUG],
    SHA256_MISMATCH: ['The pages were changed or damaged on the way to the '
        + 'server.', 'Check your connection and send them again.'],
    RSA_DECRYPTION_FAILED: ['The server could not unlock the encrypted '
        + 'pages.', 'Its encryption key may have changed. Reload the page '
        + 'and send them again.'],
    AES_DECRYPTION_FAILED: ['The server could not decrypt the pages.',
        'Send them again; if it keeps happening, reload the page.'],
    INVALID_JSON: ['The server could not read the request.', BUG],
    BAD_REQUEST: ['The server could not read the request.', BUG],
    URI_TOO_LONG: ['The server could not read the request.', BUG],
    INVALID_PAYLOAD: ['The server could not read the pages in the '
        + 'request.', BUG],
    UNSUPPORTED_MEDIA_TYPE: ['The server did not accept the request\'s '
        + 'format.', BUG],
    UNSUPPORTED_IMAGE: ['One of the files is not an image the server can '
        + 'read.', 'Use photos or scans in PNG, JPEG, TIFF, WebP, BMP or '
        + 'GIF format, and remove any other files.'],
    REQUEST_TOO_LARGE: ['The pages are too large to send together.',
        'Send fewer pages at a time, or use smaller photos.'],
    IMAGE_TOO_LARGE: ['One of the images is too large.',
        'Use a smaller photo or a scan at a lower resolution.'],
    TOO_MANY_PAGES: ['Too many pages for one request.',
        'Split the document and send fewer pages at a time.'],
    METHOD_NOT_ALLOWED: ['The server refused the request.', BUG],
    NOT_FOUND: ['The DocuSnap service was not found on this server.',
        'The server may be set up with a different address for its API.'],
    RATE_LIMITED: ['Too many requests in a short time.',
        'Wait a minute and try again.'],
    DATABASE_ERROR: ['The server is busy and could not save the job.',
        'Wait a moment and try again.'],
    INTERNAL_ERROR: ['The server ran into a problem.',
        'Try again; if it keeps happening, tell whoever runs this server.'],

    // The server's, from a job that ended.
    OCR_FAILURE: ['The server could not read one of the images.',
        'The file may be damaged. Try another photo or scan of the page.'],
    LLM_FAILURE: ['The text was read, but the service that picks out the '
        + 'details failed.', 'Try again later.'],
    DOC_PROMPT_CONSTRUCTION_FAILED: ['The document could not be processed '
        + 'together with your library.', LIBRARY_SHAPE],
    FORM_PROMPT_CONSTRUCTION_FAILED: ['The form could not be processed '
        + 'together with your library.', LIBRARY_SHAPE],
    FILL_PROMPT_CONSTRUCTION_FAILED: ['The form could not be filled from '
        + 'your library.', 'The form or a library entry has an unexpected '
        + 'shape. Scan the form again, or export and clear the library.'],
    PROCESSING_ERROR: ['The server ran into a problem while working on the '
        + 'pages.', 'Try again; if it keeps happening, try other images.'],
    PROCESSING_TIMEOUT: ['The server took too long with these pages and '
        + 'gave up.', 'Try fewer pages, or clearer and smaller images.'],
};

// {title, advice, code} for an error code; unknown codes get a general
// message that still shows the code.
export function describeError(code) {
    const m = MESSAGES[code];

    if (m === undefined) {
        return {
            title: 'Something went wrong.',
            advice: 'Try again; if it keeps happening, tell whoever runs '
                + 'this server.',
            code,
        };
    }
    return { title: m[0], advice: m[1], code };
}

export const KNOWN_CODES = Object.keys(MESSAGES);
