/*
 * duet-io: the command line, opening the image, and the command loop
 * (each -c in turn, else lines from stdin after a "PROG> " prompt).  The
 * exit status is 1 when any command failed, as qemu-io's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/aio.h"
#include "qemu/main-loop.h"
#include "qemu/option.h"
#include "duet-io.h"

static IOState io_state;

void io_error(IOState *s, const char *fmt, ...)
{
    g_autofree char *msg = NULL, *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    text = qemu_opt_size_error_text(msg);
    fflush(stdout);
    fprintf(stderr, "%s: %s\n", s->progname, text);
}

void io_wait(bool *done)
{
    AIO_WAIT_WHILE(qemu_get_aio_context(), !*done);
}

void io_drain(IOState *s)
{
    if (s->blk) {
        blk_drain(s->blk);
    }
}

/* qemu-io's cache names: "off" is "none"; the default is writethrough. */
const char *io_cache_mode(const char *mode)
{
    if (!strcmp(mode, "off")) {
        return "none";
    }
    for (int i = 0; blk_cache_mode_names[i]; i++) {
        if (!strcmp(mode, blk_cache_mode_names[i])) {
            return blk_cache_mode_names[i];
        }
    }
    return NULL;
}

/*
 * open -o / reopen -o: QEMU's option syntax, where a key without a value
 * is a deprecated short-form boolean ("x" is x=on, "nox" is x=off), with
 * qemu-io's warning.  Only values escape commas (",,").
 */
bool io_parse_node_opts(IOState *s, GHashTable *opts, const char *str)
{
    g_autoptr(GString) norm = g_string_new(NULL);
    Error *err = NULL;
    const char *p = str;

    while (*p) {
        size_t klen = strcspn(p, "=,");
        g_autofree char *key = g_strndup(p, klen);

        p += klen;
        if (norm->len) {
            g_string_append_c(norm, ',');
        }
        if (*p == '=') {
            /* the value runs to a single comma; ",," is a comma in it */
            g_string_append_printf(norm, "%s=", key);
            for (p++; *p && !(*p == ',' && p[1] != ','); p++) {
                if (*p == ',') {
                    g_string_append_c(norm, ','); /* stays escaped for the parser */
                    p++;
                }
                g_string_append_c(norm, *p);
            }
        } else {
            bool off = g_str_has_prefix(key, "no");
            const char *name = off ? key + 2 : key;

            fflush(stdout);
            fprintf(stderr, "%s: warning: short-form boolean option '%s' deprecated\n"
                    "Please use %s=%s instead\n", s->progname, key, name, off ? "off" : "on");
            g_string_append_printf(norm, "%s=%s", name, off ? "off" : "on");
        }
        if (*p == ',') {
            p++;
        }
    }
    if (!bdrv_options_parse(opts, norm->str, &err)) {
        io_error(s, "%s", error_get_pretty(err));
        error_free(err);
        return false;
    }
    return true;
}

/* discard=ignore|unmap is accepted; duet always passes discards down. */
bool io_discard_mode_valid(const char *mode)
{
    return !strcmp(mode, "ignore") || !strcmp(mode, "off") || !strcmp(mode, "unmap") ||
           !strcmp(mode, "on");
}

BlockBackend *io_open_blk(const IOOpenParams *p, Error **errp)
{
    g_autoptr(GHashTable) options = bdrv_options_copy(p->opts);
    g_autofree char *snapshot = bdrv_opt_take_str(options, "snapshot");

    /* qemu-io opens with discard=unmap unless told otherwise */
    if (!g_hash_table_contains(options, "discard")) {
        g_hash_table_insert(options, g_strdup("discard"), g_strdup("unmap"));
    }
    if (snapshot && strcmp(snapshot, "off")) {
        return blk_new_open_snapshot(p->name, p->fmt, p->cache, options, errp);
    }
    return blk_new_open_opts(p->name, p->fmt, p->cache, p->read_only, options, errp);
}

static void io_forget_open(IOState *s)
{
    g_clear_pointer(&s->opened.name, g_free);
    g_clear_pointer(&s->opened.fmt, g_free);
    g_clear_pointer(&s->opened.opts, g_hash_table_unref);
}

bool io_open(IOState *s, const char *name, const char *fmt, GHashTable *opts, bool read_only,
             const char *cache, bool image_opts)
{
    const char *mode = io_cache_mode(cache ? cache : "writethrough");
    IOOpenParams p = { .name = (char *)name, .fmt = (char *)fmt, .opts = opts,
                       .cache = mode, .read_only = read_only, .image_opts = image_opts };
    bool probed;
    Error *err = NULL;

    if (s->blk) {
        io_error(s, "file open already, try 'help close'");
        return false;
    }
    if (!mode) {
        io_error(s, "Invalid cache option: %s", cache);
        return false;
    }
    probed = !fmt && !(opts && g_hash_table_lookup(opts, "driver"));
    s->blk = io_open_blk(&p, &err);
    if (!s->blk) {
        if (name && !image_opts) {
            io_error(s, "can't open device %s: %s", name, error_get_pretty(err));
        } else {
            io_error(s, "can't open: %s", error_get_pretty(err));
        }
        error_free(err);
        return false;
    }
    if (probed && !strcmp(blk_bs(s->blk)->drv->format_name, "raw")) {
        fprintf(stderr,
                "WARNING: Image format was not specified for '%s' and probing guessed raw.\n"
                "         Automatically detecting the format is dangerous for raw images, "
                "write operations on block 0 will be restricted.\n"
                "         Specify the 'raw' format explicitly to remove the restrictions.\n",
                name);
    }
    io_forget_open(s);
    s->opened = (IOOpenParams){ .name = g_strdup(name), .fmt = g_strdup(fmt),
                                .opts = bdrv_options_copy(opts), .cache = mode,
                                .read_only = read_only, .image_opts = image_opts };
    return true;
}

void io_close(IOState *s)
{
    if (s->blk) {
        blk_drain(s->blk);
        blk_unref(s->blk);
        s->blk = NULL;
    }
    io_forget_open(s);
}

/* Words split at spaces; empty ones dropped (qemu-io has no quoting). */
static char **io_breakline(const char *line, int *argc)
{
    g_auto(GStrv) words = g_strsplit(line, " ", -1);
    GPtrArray *out = g_ptr_array_new();

    for (int i = 0; words[i]; i++) {
        if (words[i][0]) {
            g_ptr_array_add(out, g_strdup(words[i]));
        }
    }
    *argc = out->len;
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, false);
}

static bool io_check_argc(const IOCmd *ct, const char *name, int argc)
{
    if (argc < ct->argmin || (ct->argmax != -1 && argc > ct->argmax)) {
        fflush(stdout);
        if (ct->argmax == -1) {
            fprintf(stderr, "bad argument count %d to %s, expected at least %d arguments\n",
                    argc, name, ct->argmin);
        } else if (ct->argmin == ct->argmax) {
            fprintf(stderr, "bad argument count %d to %s, expected %d arguments\n", argc,
                    name, ct->argmin);
        } else {
            fprintf(stderr, "bad argument count %d to %s, expected between %d and %d "
                    "arguments\n", argc, name, ct->argmin, ct->argmax);
        }
        return false;
    }
    return true;
}

int io_command(IOState *s, const char *line)
{
    int argc, ret;
    char **argv = io_breakline(line, &argc);
    const IOCmd *ct;

    if (!argc) {
        g_strfreev(argv);
        return 0;
    }
    ct = io_find_cmd(argv[0]);
    if (!ct) {
        fflush(stdout);
        fprintf(stderr, "command \"%s\" not found\n", argv[0]);
        g_strfreev(argv);
        return -EINVAL;
    }
    if (!ct->nofile_ok && !s->blk) {
        fflush(stdout);
        fprintf(stderr, "no file open, try 'help open'\n");
        g_strfreev(argv);
        return -EINVAL;
    }
    if (!io_check_argc(ct, argv[0], argc - 1)) {
        g_strfreev(argv);
        return -EINVAL;
    }
    if (ct->needs_write && blk_is_read_only(s->blk)) {
        io_error(s, "Block node is read-only");
        g_strfreev(argv);
        return -EINVAL;
    }
    /* getopt names the command in its complaints */
    ret = ct->func(s, argc, argv);
    fflush(stdout);
    g_strfreev(argv);
    return ret;
}

/* ---- the program's own command line ---- */

static void usage(const char *name)
{
    printf("Usage: %s [OPTIONS]... [-c STRING]... [file]\n"
           "QEMU Disk exerciser\n"
           "\n"
           "  --object OBJECTDEF   define an object such as 'secret' for\n"
           "                       passwords and/or encryption keys\n"
           "  --image-opts         treat file as option string\n"
           "  -c, --cmd STRING     execute command with its arguments\n"
           "                       from the given string\n"
           "  -f, --format FMT     specifies the block driver to use\n"
           "  -r, --read-only      export read-only\n"
           "  -s, --snapshot       use snapshot file\n"
           "  -n, --nocache        disable host cache, short for -t none\n"
           "  -C, --copy-on-read   enable copy-on-read\n"
           "  -m, --misalign       misalign allocations for O_DIRECT\n"
           "  -k, --native-aio     use kernel AIO implementation\n"
           "                       (Linux only, prefer use of -i)\n"
           "  -i, --aio=MODE       use AIO mode (threads, native or io_uring)\n"
           "  -t, --cache=MODE     use the given cache mode for the image\n"
           "  -d, --discard=MODE   use the given discard mode for the image\n"
           "  -T, --trace [[enable=]<pattern>][,events=<file>][,file=<file>]\n"
           "                       specify tracing options\n"
           "                       see qemu-img(1) man page for full description\n"
           "  -U, --force-share    force shared permissions\n"
           "  -h, --help           display this help and exit\n"
           "  -V, --version        output version information and exit\n"
           "\n"
           "See '%s -c help' for information on available commands.\n"
           "\n"
           "See <https://qemu.org/contribute/report-a-bug> for how to report bugs.\n"
           "More information on the QEMU project at <https://qemu.org>.\n",
           name, name);
}

enum { OPTION_OBJECT = 256, OPTION_IMAGE_OPTS };

static void command_loop(IOState *s, GPtrArray *cmds, int *status)
{
    g_autoptr(GString) line = g_string_new("");

    for (guint i = 0; i < cmds->len && !s->quit; i++) {
        if (io_command(s, cmds->pdata[i]) < 0) {
            *status = 1;
        }
    }
    if (cmds->len) {
        return;
    }
    while (!s->quit) {
        int c;

        printf("%s> ", s->progname);
        fflush(stdout);
        g_string_truncate(line, 0);
        while ((c = getchar()) != EOF && c != '\n') {
            g_string_append_c(line, c);
        }
        if (c == EOF && !line->len) {
            break;
        }
        if (io_command(s, line->str) < 0) {
            *status = 1;
        }
    }
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "cmd", required_argument, NULL, 'c' },
        { "format", required_argument, NULL, 'f' },
        { "read-only", no_argument, NULL, 'r' },
        { "snapshot", no_argument, NULL, 's' },
        { "nocache", no_argument, NULL, 'n' },
        { "copy-on-read", no_argument, NULL, 'C' },
        { "misalign", no_argument, NULL, 'm' },
        { "native-aio", no_argument, NULL, 'k' },
        { "aio", required_argument, NULL, 'i' },
        { "discard", required_argument, NULL, 'd' },
        { "cache", required_argument, NULL, 't' },
        { "trace", required_argument, NULL, 'T' },
        { "object", required_argument, NULL, OPTION_OBJECT },
        { "image-opts", no_argument, NULL, OPTION_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    IOState *s = &io_state;
    g_autoptr(GPtrArray) cmds = g_ptr_array_new();
    g_autoptr(GHashTable) opts = bdrv_options_new();
    const char *fmt = NULL, *cache = NULL;
    bool read_only = false, image_opts = false, force_share = false;
    Error *err = NULL;
    int c, status = 0;

    s->progname = g_path_get_basename(argv[0]);
    g_set_prgname(s->progname);
    error_set_progname(s->progname);
    argv[0] = (char *)s->progname; /* getopt's complaints name the program */
    if (!qemu_init_main_loop(&err)) {
        io_error(s, "%s", error_get_pretty(err));
        return 1;
    }
    while ((c = getopt_long(argc, argv, "hVc:d:f:rsnCmki:t:T:U", long_options, NULL)) != -1) {
        switch (c) {
        case 's':
            g_hash_table_insert(opts, g_strdup("snapshot"), g_strdup("on"));
            break;
        case 'n': cache = "none"; break;
        case 'C': break; /* copy-on-read: accepted, duet does not copy */
        case 'm': break; /* misaligned buffers: duet's are always aligned */
        case 'd':
            if (!io_discard_mode_valid(optarg)) {
                io_error(s, "Invalid discard option: %s", optarg);
                return 1;
            }
            g_hash_table_insert(opts, g_strdup("discard"), g_strdup(optarg));
            break;
        case 'f': fmt = optarg; break;
        case 'c': g_ptr_array_add(cmds, optarg); break;
        case 'r': read_only = true; break;
        case 'k':
            g_hash_table_insert(opts, g_strdup("file.aio"), g_strdup("native"));
            break;
        case 'i':
            if (strcmp(optarg, "threads") && strcmp(optarg, "native") &&
                strcmp(optarg, "io_uring")) {
                io_error(s, "Invalid aio option: %s", optarg);
                return 1;
            }
            /* io_uring: duet has none; Linux AIO is the nearest */
            g_hash_table_insert(opts, g_strdup("file.aio"),
                                g_strdup(strcmp(optarg, "threads") ? "native" : "threads"));
            break;
        case 't':
            if (!io_cache_mode(optarg)) {
                io_error(s, "Invalid cache option: %s", optarg);
                return 1;
            }
            cache = optarg;
            break;
        case 'T': break; /* tracing is duet's -trace; accepted here */
        case 'U': force_share = true; break;
        case 'V':
            printf("%s version " DUET_VERSION " (duet)\n"
                   "A qemu-io work-alike over duet's block layer\n", s->progname);
            return 0;
        case 'h':
            usage(s->progname);
            return 0;
        case OPTION_OBJECT:
            io_error(s, "--object is not supported (no secrets or encryption)");
            return 1;
        case OPTION_IMAGE_OPTS: image_opts = true; break;
        default:
            usage(s->progname);
            return 1;
        }
    }
    if (argc - optind > 1) {
        usage(s->progname);
        return 1;
    }
    if (image_opts && fmt) {
        io_error(s, "--image-opts and -f are mutually exclusive");
        return 1;
    }
    if (force_share) {
        g_hash_table_insert(opts, g_strdup("force-share"), g_strdup("on"));
    }
    if (argc - optind == 1) {
        const char *name = argv[optind];
        bool ok;

        if (image_opts) {
            if (!bdrv_options_parse(opts, name, &err)) {
                io_error(s, "%s", error_get_pretty(err));
                error_free(err);
                return 1;
            }
            ok = io_open(s, NULL, NULL, opts, read_only, cache, true);
        } else {
            ok = io_open(s, name, fmt, opts, read_only, cache, false);
        }
        if (!ok) {
            return 1;
        }
    }
    command_loop(s, cmds, &status);
    io_close(s);
    fflush(stdout);
    g_free((char *)s->progname);
    return status;
}
