/*
 * socket: a Unix (path=) or TCP (host=,port=) stream socket, listening
 * (server=on) or connecting.  QEMU's options and legacy forms
 * (unix:PATH,server=on,wait=off; tcp:HOST:PORT,server=on,wait=off).
 *
 * One client at a time: while one is connected a further connection is
 * accepted and closed at once, so nobody is mixed into a session.  A Unix
 * socket is created 0600 (only duet's user may connect), after removing a
 * stale socket (never another kind of file) at the path.  wait=on (the
 * default for a server) holds start-up until the first client connects.
 * A client with reconnect=N tries again every N seconds after it lost or
 * could not make the connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib-unix.h>

#include "char-internal.h"
#include "trace/trace.h"

typedef struct SocketChardev {
    bool is_unix;
    bool server;
    char *path;
    char *host, *port;
    uint64_t reconnect;    /* seconds; 0: never */
    bool nodelay;
    int listen_fd;
    guint listen_tag;
    guint reconnect_tag;
    char *peer;            /* "127.0.0.1:53012" while a TCP client is there */
} SocketChardev;

static const QemuOptDesc chr_socket_opts[] = {
    { .name = "path", .type = QEMU_OPT_STRING, .help = "Unix socket path" },
    { .name = "host", .type = QEMU_OPT_STRING, .help = "TCP host (server: address to listen on)" },
    { .name = "port", .type = QEMU_OPT_STRING, .help = "TCP port" },
    { .name = "server", .type = QEMU_OPT_BOOL, .help = "Listen instead of connecting",
      .def_value_str = "off" },
    { .name = "wait", .type = QEMU_OPT_BOOL,
      .help = "Server: wait for the first client before starting", .def_value_str = "on" },
    { .name = "reconnect", .type = QEMU_OPT_NUMBER, .max = 86400,
      .help = "Client: seconds between connection attempts (0: none)", .def_value_str = "0" },
    { .name = "nodelay", .type = QEMU_OPT_BOOL, .help = "TCP_NODELAY",
      .def_value_str = "off" },
    { NULL },
};

static void chr_socket_set_filename(Chardev *chr)
{
    SocketChardev *s = chr->state;
    bool connected = chr->fd_in >= 0;
    g_autofree char *addr = s->is_unix ? g_strdup_printf("unix:%s", s->path)
                                       : g_strdup_printf("tcp:%s:%s", s->host ? s->host : "",
                                                         s->port);

    g_free(chr->filename);
    chr->filename = g_strdup_printf("%s%s%s%s%s", connected ? "" : "disconnected:", addr,
                                    s->server ? ",server=on" : "",
                                    connected && s->peer ? " <-> " : "",
                                    connected && s->peer ? s->peer : "");
}

static int chr_socket_write(Chardev *chr, const uint8_t *buf, int len)
{
    int done = 0;

    while (chr->fd_out >= 0 && done < len) {
        ssize_t n = send(chr->fd_out, buf + done, len - done, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            g_usleep(1000);
            continue;
        }
        if (n <= 0) {
            int err = n < 0 ? errno : EPIPE;

            chr->cls->disconnect(chr);
            return -err;
        }
        done += n;
    }
    return len;
}

static void chr_socket_connected(Chardev *chr, int fd)
{
    SocketChardev *s = chr->state;

    if (s->nodelay && !s->is_unix) {
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    }
    chr->fd_in = chr->fd_out = fd;
    chr->input_eof = false;
    chr_socket_set_filename(chr);
    trace_event(chr_socket_connected, "label=%s %s", chr->label, chr->filename);
    qemu_chr_fd_set_reading(chr, true);
    qemu_chr_be_event(chr, CHR_EVENT_OPENED);
}

static gboolean chr_socket_accept(gint fd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    SocketChardev *s = chr->state;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    int cfd = accept4(fd, (struct sockaddr *)&ss, &sslen, SOCK_CLOEXEC);

    if (cfd < 0) {
        return G_SOURCE_CONTINUE;
    }
    if (chr->fd_in >= 0) {
        /* Already in use: refused, not mixed in. */
        trace_event(chr_socket_refused, "label=%s", chr->label);
        close(cfd);
        return G_SOURCE_CONTINUE;
    }
    g_clear_pointer(&s->peer, g_free);
    if (!s->is_unix) {
        char host[NI_MAXHOST], serv[NI_MAXSERV];

        if (!getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host), serv, sizeof(serv),
                         NI_NUMERICHOST | NI_NUMERICSERV)) {
            s->peer = g_strdup_printf("%s:%s", host, serv);
        }
    }
    chr_socket_connected(chr, cfd);
    return G_SOURCE_CONTINUE;
}

static int chr_socket_unix_fd(SocketChardev *s, struct sockaddr_un *sun, Error **errp)
{
    int fd;

    if (strlen(s->path) >= sizeof(sun->sun_path)) {
        error_setg(errp, "UNIX socket path '%s' is too long", s->path);
        return -1;
    }
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    strcpy(sun->sun_path, s->path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to create Unix socket");
    }
    return fd;
}

static int chr_socket_listen_unix(SocketChardev *s, Error **errp)
{
    struct sockaddr_un sun;
    struct stat st;
    mode_t old_umask;
    int fd = chr_socket_unix_fd(s, &sun, errp);
    int ret;

    if (fd < 0) {
        return -1;
    }
    if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(s->path); /* a previous run's socket */
    }
    /* 0600 from the start: there is no moment when others may connect. */
    old_umask = umask(0077);
    ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
    umask(old_umask);
    if (ret < 0) {
        error_setg_errno(errp, errno, "Failed to bind socket to %s", s->path);
        close(fd);
        return -1;
    }
    chmod(s->path, 0600);
    if (listen(fd, 1) < 0) {
        error_setg_errno(errp, errno, "Failed to listen on socket");
        close(fd);
        return -1;
    }
    return fd;
}

static struct addrinfo *chr_socket_resolve(SocketChardev *s, bool passive, Error **errp)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                              .ai_flags = passive ? AI_PASSIVE : 0 };
    struct addrinfo *res = NULL;
    const char *host = s->host && *s->host ? s->host : (passive ? NULL : "localhost");
    int rc = getaddrinfo(host, s->port, &hints, &res);

    if (rc) {
        error_setg(errp, "address resolution failed for %s:%s: %s", host ? host : "",
                   s->port, gai_strerror(rc));
        return NULL;
    }
    return res;
}

static int chr_socket_listen_tcp(SocketChardev *s, Error **errp)
{
    struct addrinfo *res = chr_socket_resolve(s, true, errp), *ai;
    int fd = -1, err = 0;

    for (ai = res; ai; ai = ai->ai_next) {
        int on = 1;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0) {
            break;
        }
        err = errno;
        close(fd);
        fd = -1;
    }
    if (res) {
        freeaddrinfo(res);
        if (fd < 0) {
            error_setg_errno(errp, err, "Failed to bind socket");
        }
    }
    return fd;
}

static int chr_socket_connect(SocketChardev *s, Error **errp)
{
    int fd = -1, err = 0;

    if (s->is_unix) {
        struct sockaddr_un sun;

        fd = chr_socket_unix_fd(s, &sun, errp);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
            error_setg_errno(errp, errno, "Failed to connect to '%s'", s->path);
            close(fd);
            fd = -1;
        }
        return fd;
    }
    struct addrinfo *res = chr_socket_resolve(s, false, errp), *ai;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        err = errno;
        if (fd >= 0) {
            close(fd);
        }
        fd = -1;
    }
    if (res) {
        freeaddrinfo(res);
        if (fd < 0) {
            error_setg_errno(errp, err, "Failed to connect to '%s:%s'", s->host ? s->host : "",
                             s->port);
        }
    }
    return fd;
}

static gboolean chr_socket_reconnect(gpointer opaque)
{
    Chardev *chr = opaque;
    SocketChardev *s = chr->state;
    Error *err = NULL;
    int fd = chr_socket_connect(s, &err);

    if (fd < 0) {
        error_free(err);
        return G_SOURCE_CONTINUE;
    }
    s->reconnect_tag = 0;
    chr_socket_connected(chr, fd);
    return G_SOURCE_REMOVE;
}

static void chr_socket_disconnect(Chardev *chr)
{
    SocketChardev *s = chr->state;

    if (chr->fd_in < 0) {
        return;
    }
    qemu_chr_fd_set_reading(chr, false);
    close(chr->fd_in);
    chr->fd_in = chr->fd_out = -1;
    g_clear_pointer(&s->peer, g_free);
    chr_socket_set_filename(chr);
    trace_event(chr_socket_disconnected, "label=%s", chr->label);
    qemu_chr_be_event(chr, CHR_EVENT_CLOSED);
    if (!s->server && s->reconnect && !s->reconnect_tag) {
        s->reconnect_tag = g_timeout_add_seconds(s->reconnect, chr_socket_reconnect, chr);
    }
}

static bool chr_socket_open(Chardev *chr, QemuOpts *opts, Error **errp)
{
    SocketChardev *s = g_new0(SocketChardev, 1);
    const char *path = qemu_opt_get(opts, "path");
    const char *port = qemu_opt_get(opts, "port");
    bool wait = qemu_opt_get_bool(opts, "wait", true);

    chr->state = s;
    s->listen_fd = -1;
    s->server = qemu_opt_get_bool(opts, "server", false);
    s->reconnect = qemu_opt_get_number(opts, "reconnect", 0);
    s->nodelay = qemu_opt_get_bool(opts, "nodelay", false);
    if (!path == !port) {
        error_setg(errp, path ? "'path' and 'port' do not go together"
                              : "chardev: socket: no host given (path= or port= is missing)");
        goto fail;
    }
    s->is_unix = path != NULL;
    s->path = g_strdup(path);
    s->host = g_strdup(qemu_opt_get(opts, "host"));
    s->port = g_strdup(port);
    if (s->server && s->reconnect) {
        error_setg(errp, "'reconnect' option is incompatible with 'server' option");
        goto fail;
    }
    chr->opened = false;
    chr_socket_set_filename(chr);

    if (!s->server) {
        Error *err = NULL;
        int fd = chr_socket_connect(s, &err);

        if (fd < 0 && !s->reconnect) {
            error_propagate(errp, err);
            goto fail;
        }
        if (fd < 0) {
            error_free(err);
            s->reconnect_tag = g_timeout_add_seconds(s->reconnect, chr_socket_reconnect, chr);
        } else {
            chr_socket_connected(chr, fd);
        }
        return true;
    }

    s->listen_fd = s->is_unix ? chr_socket_listen_unix(s, errp) : chr_socket_listen_tcp(s, errp);
    if (s->listen_fd < 0) {
        goto fail;
    }
    if (wait) {
        fprintf(stderr, "duet: waiting for connection on: %s\n", chr->filename);
        for (;;) {
            int cfd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);

            if (cfd >= 0) {
                chr_socket_connected(chr, cfd);
                break;
            }
            if (errno != EINTR) {
                error_setg_errno(errp, errno, "accept failed");
                goto fail;
            }
        }
    }
    s->listen_tag = g_unix_fd_add(s->listen_fd, G_IO_IN, chr_socket_accept, chr);
    return true;

fail:
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
    }
    g_free(s->path);
    g_free(s->host);
    g_free(s->port);
    g_free(s);
    chr->state = NULL;
    return false;
}

static void chr_socket_close(Chardev *chr)
{
    SocketChardev *s = chr->state;

    if (s->reconnect_tag) {
        g_source_remove(s->reconnect_tag);
    }
    s->reconnect = 0;
    chr_socket_disconnect(chr);
    if (s->listen_tag) {
        g_source_remove(s->listen_tag);
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        if (s->is_unix) {
            unlink(s->path);
        }
    }
    g_free(s->peer);
    g_free(s->path);
    g_free(s->host);
    g_free(s->port);
    g_free(s);
}

const ChardevClass char_socket_class = {
    .name = "socket",
    .help = "path=PATH (Unix) or host=H,port=P (TCP); server=on[,wait=off]; one client",
    .opts = chr_socket_opts,
    .open = chr_socket_open, .write = chr_socket_write,
    .accept_input = qemu_chr_fd_accept_input, .disconnect = chr_socket_disconnect,
    .close = chr_socket_close,
};
