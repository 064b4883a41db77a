/*
 * fcgi_main.c - the FastCGI worker process.
 *
 * Started by spawn-fcgi/multiwatch (or systemd) with the listening
 * socket on fd 0. Loads the config, key, OCR pool and extractor once,
 * starts the job threads, then request threads that each call
 * FCGX_Accept_r on their own request (no accept mutex: the kernel hands
 * each connection to one waiting thread). The main thread waits for
 * signals: SIGTERM/SIGINT stop, SIGHUP reopens the log.
 *
 * Started by a web server as plain CGI instead (fd 0 is no listening
 * socket: a shared host, nginx + fcgiwrap), it answers the one request
 * from its environment and stdin and exits; no job threads then, the
 * queue is drained by `docusnapctl work --drain` from cron.
 */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MODULE "main"
#include "app.h"
#include "clock.h"
#include "crypto.h"
#include "extract.h"
#include "fcgi_io.h"
#include "fcgi_route.h"
#include "http.h"
#include "log.h"
#include "ocr.h"
#include "store.h"
#include "worker.h"

#define DEFAULT_CONFIG DS_SYSCONFDIR "/docusnap/docusnap.ini"

static void
usage(void)
{
    fprintf(stderr, "usage: docusnap-fcgi [-c config.ini]\n");
    exit(64);
}

/* Startup errors end the process with one clear line. */
static void
die(const char *what, const char *detail)
{
    log_err("%s: %s", what, detail);
    exit(1);
}

static void
app_load_pubkey(struct app *app)
{
    FILE   *f;
    char    buf[16384];
    size_t  n;

    f = fopen(app->cfg.public_key, "rb");
    if (f == NULL) {
        die("cannot open the public key", app->cfg.public_key);
    }
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (n == 0 || n == sizeof(buf)) {
        die("public key file is empty or too large", app->cfg.public_key);
    }
    app->pubkey_pem = malloc(n);
    if (app->pubkey_pem == NULL) {
        die("out of memory", "public key");
    }
    memcpy(app->pubkey_pem, buf, n);
    app->pubkey_len = n;
}

static void
app_init(struct app *app, const char *config)
{
    struct ocr_opts  oo;
    struct store    *st = NULL;
    enum log_level   lvl = LOG_INFO;
    char             err[512];

    if (cfg_load(config, &app->cfg, err, sizeof(err)) != RC_OK) {
        die("config", err);
    }
    if (log_level_parse(app->cfg.log_level, &lvl) != 0
        || log_open(app->cfg.log_file, lvl) != RC_OK)
    {
        die("cannot open the log", app->cfg.log_file);
    }
    if (crypto_key_load(app->cfg.private_key, &app->key, err, sizeof(err))
        != RC_OK)
    {
        die("private key", err);
    }
    app_load_pubkey(app);

    if (store_open(app->cfg.database, app->cfg.busy_timeout_ms, &st)
        != RC_OK
        || store_migrate(st, app->cfg.sql_dir) != RC_OK)
    {
        die("cannot open or migrate the database", app->cfg.database);
    }
    store_close(st);

    memset(&oo, 0, sizeof(oo));
    oo.languages = app->cfg.languages;
    oo.tessdata_dir = app->cfg.tessdata_dir;
    oo.slots = app->cfg.ocr_slots;
    oo.min_text_height = app->cfg.min_text_height;
    oo.osd = app->cfg.osd;
    oo.deskew = app->cfg.deskew;
    oo.max_pixels = app->cfg.max_pixels;
    if (ocr_pool_new(&oo, &app->ocr) != RC_OK) {
        die("cannot set up OCR for languages", app->cfg.languages);
    }
    if (http_global_init() != RC_OK) {
        die("libcurl", "global init failed");
    }
    if (extractor_new(&app->cfg, &app->extractor, err, sizeof(err))
        != RC_OK)
    {
        die("extractor", err);
    }
    app->jobs.cfg = &app->cfg;
    app->jobs.key = app->key;
    app->jobs.ocr = app->ocr;
    app->jobs.extractor = app->extractor;
}

static void
app_serve_one(struct app *app, struct fcgi_req *req)
{
    const char  *rid;
    int64_t      ms;

    rid = FCGX_GetParam("REQUEST_ID", req->fr->envp);
    log_set_ctx(rid);
    req->app = app;
    req->t0 = clock_mono_ms();
    req->status = 0;
    buf_init(&req->body, 0);

    route_dispatch(req);

    ms = clock_mono_ms() - req->t0;
    log_debug("%s %s status=%d ms=%ld", req->method ? req->method : "-",
              req->path ? req->path : "-", req->status, (long) ms);
    buf_free(&req->body);
    log_set_ctx(NULL);
}

static void *
app_request_thread(void *arg)
{
    struct app      *app = arg;
    FCGX_Request     fr;
    struct fcgi_req  req;

    memset(&req, 0, sizeof(req));
    if (FCGX_InitRequest(&fr, 0, 0) != 0) {
        log_err("cannot initialise a FastCGI request");
        return NULL;
    }
    if (store_open(app->cfg.database, app->cfg.busy_timeout_ms, &req.st)
        != RC_OK)
    {
        log_err("request thread cannot open the store");
        return NULL;
    }
    req.fr = &fr;
    while (FCGX_Accept_r(&fr) == 0) {
        app_serve_one(app, &req);
        FCGX_Finish_r(&fr);
    }
    store_close(req.st);
    return NULL;
}

/*
 * Plain CGI: one request from environ and stdin, the reply on stdout.
 * Returns the exit status.
 */
static int
app_serve_cgi(struct app *app)
{
    FCGX_Request     fr;
    struct fcgi_req  req;

    if (getenv("REQUEST_METHOD") == NULL) {
        /* like usage(): to the terminal, whatever the log file is */
        fprintf(stderr, "docusnap-fcgi: not started by a web server: no "
                "FastCGI socket on fd 0 and no CGI REQUEST_METHOD\n");
        exit(1);
    }
    memset(&fr, 0, sizeof(fr));
    memset(&req, 0, sizeof(req));
    fr.envp = environ;
    req.fr = &fr;
    req.cgi = 1;
    if (store_open(app->cfg.database, app->cfg.busy_timeout_ms, &req.st)
        != RC_OK)
    {
        req.app = app;
        fcgi_io_reply_error(&req, DS_DATABASE_ERROR);
        return 0;
    }
    app_serve_one(app, &req);
    store_close(req.st);
    return 0;
}

static void
app_wait_signals(void)
{
    sigset_t  set;
    int       sig;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    for ( ;; ) {
        if (sigwait(&set, &sig) != 0) {
            continue;
        }
        if (sig == SIGHUP) {
            if (log_reopen() != RC_OK) {
                log_warn("cannot reopen the log");
            }
            continue;
        }
        log_info("signal %d: stopping", sig);
        return;
    }
}

int
main(int argc, char **argv)
{
    static struct app  app;
    const char        *config = DEFAULT_CONFIG;
    pthread_t          tid;
    sigset_t           set;
    int                c, i;

    ocr_limit_threads(argv);
    while ((c = getopt(argc, argv, "c:")) != -1) {
        if (c != 'c') {
            usage();
        }
        config = optarg;
    }
    if (optind != argc) {
        usage();
    }

    /* every thread inherits these blocked; the main thread sigwaits */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
        die("signals", "cannot block");
    }

    app_init(&app, config);
    if (FCGX_Init() != 0) {
        die("libfcgi", "FCGX_Init failed");
    }
    if (FCGX_IsCGI()) {
        return app_serve_cgi(&app);
    }
    if (worker_start(&app.jobs, &app.worker) != RC_OK) {
        die("job threads", "cannot start");
    }
    for (i = 0; i < app.cfg.request_threads; i++) {
        if (pthread_create(&tid, NULL, app_request_thread, &app) != 0
            || pthread_detach(tid) != 0)
        {
            die("request threads", "cannot start");
        }
    }
    log_info("ready: request_threads=%d job_threads=%d extractor=%s",
             app.cfg.request_threads, app.cfg.job_threads,
             extractor_name(app.extractor));

    app_wait_signals();

    /* Running jobs keep their lease and are taken again after it. */
    FCGX_ShutdownPending();
    _exit(0);
}
