#!/usr/bin/env python3
"""The monitor, QMP and chardevs used as a person would: duet runs a guest,
a client talks to it over a Unix socket, a TCP socket, FIFOs or a terminal.

    monitor_test.py --duet DUET --duet-img IMG --demo DEMO.elf --hello HELLO.elf
                    [--debugcon DEBUGCON.elf] CASE

Each CASE is one meson test.  A case that cannot run here exits 77 and says
why.  QMP is spoken with a small socket client (Debian has no qemu.qmp).
"""
import argparse
import json
import os
import pty
import re
import select
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

SKIP = 77


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def wait_for(pred, what, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise Fail('timed out waiting for ' + what)


class Sock:
    """A line-oriented client on a Unix or TCP socket."""

    def __init__(self, addr, family=socket.AF_UNIX, timeout=20.0):
        self.s = socket.socket(family, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        wait_for(lambda: self._try_connect(addr), 'connect to %s' % (addr,))
        self.buf = b''

    def _try_connect(self, addr):
        try:
            self.s.connect(addr)
            return True
        except OSError:
            return False

    def read_until(self, token):
        while token not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise Fail('connection closed while waiting for %r (got %r)' % (token, self.buf[-300:]))
            self.buf += d
        i = self.buf.index(token) + len(token)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out.decode(errors='replace')

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def close(self):
        self.s.close()


class HMP(Sock):
    def __init__(self, addr, **kw):
        super().__init__(addr, **kw)
        self.banner = self.read_until(b'(qemu) ')

    def cmd(self, line):
        self.send(line + '\n')
        out = self.read_until(b'(qemu) ')
        out = out[:-len('(qemu) ')].replace('\r\n', '\n')
        # QEMU echoes the line with terminal redraw sequences; duet does not.
        i = out.rfind('\x1b[K\n')
        return out[i + 4:] if i >= 0 else out


class QMP(Sock):
    def __init__(self, addr, negotiate=True, **kw):
        super().__init__(addr, **kw)
        self.events = []
        self.greeting = self.recv()
        if negotiate:
            check(self.cmd('qmp_capabilities') == {'return': {}}, 'qmp_capabilities')

    def recv(self):
        return json.loads(self.read_until(b'\n'))

    def cmd(self, name, args=None, **extra):
        req = {'execute': name}
        if args is not None:
            req['arguments'] = args
        req.update(extra)
        return self.raw(json.dumps(req) + '\n')

    def raw(self, text):
        self.send(text)
        while True:
            r = self.recv()
            if 'event' in r:
                self.events.append(r)
                continue
            return r

    def event(self, name, timeout=20.0):
        end = time.time() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e['event'] == name:
                    return self.events.pop(i)
            self.s.settimeout(max(0.1, end - time.time()))
            if time.time() > end:
                raise Fail('no %s event (have %s)' % (name, [e['event'] for e in self.events]))
            r = self.recv()
            check('event' in r, 'unexpected reply %r' % r)
            self.events.append(r)


class Env:
    def __init__(self, args):
        self.a = args
        self.dir = tempfile.mkdtemp(prefix='duet-mon-')
        self.procs = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def image(self, name='disk.qcow2', size='64M'):
        p = self.path(name)
        subprocess.run([self.a.duet_img, 'create', '-q', '-f', 'qcow2', p, size], check=True)
        return p

    def duet(self, *argv, stdin=subprocess.DEVNULL, kernel=None):
        cmd = [self.a.duet, '-accel', 'tcg', '-kernel', kernel or self.a.demo] + list(argv)
        p = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.procs.append(p)
        return p

    def finish(self, p, timeout=30):
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise Fail('duet did not exit; stderr: %s' % err.decode(errors='replace'))
        return p.returncode, out.decode(errors='replace'), err.decode(errors='replace')

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def serial_file_has(path, text):
    try:
        with open(path, errors='replace') as f:
            return text in f.read()
    except OSError:
        return False


# ---- cases ----

def case_hmp_socket(env):
    """The demo guest writes its disk; the monitor looks at it over a Unix socket."""
    disk = env.image()
    sock, serial = env.path('m.sock'), env.path('serial.txt')
    p = env.duet('-hda', disk, '-serial', 'file:' + serial,
                 '-monitor', 'unix:%s,server=on,wait=off' % sock)
    wait_for(lambda: os.path.exists(sock), 'the monitor socket')
    mode = stat.S_IMODE(os.stat(sock).st_mode)
    check(mode == 0o600, 'socket mode %o, want 600' % mode)
    m = HMP(sock)
    check(re.match(r"duet \S+ monitor - type 'help' for more information\r\n\(qemu\) $", m.banner),
          'banner %r' % m.banner)
    # A second client is refused while the first is there.
    other = socket.socket(socket.AF_UNIX)
    other.settimeout(5)
    other.connect(sock)
    check(other.recv(100) == b'', 'a second client got data')
    other.close()
    wait_for(lambda: serial_file_has(serial, 'demo: PASS'), 'the demo guest to finish')
    out = m.cmd('info status')
    check(out == 'VM status: running\n', 'info status: %r' % out)
    out = m.cmd('info block')
    check(re.match(r'ide0-hd0 \(#block\d+\): %s \(qcow2\)\n    Attached to: +\S+\n'
                   r'    Cache mode: +writeback\n$' % re.escape(disk), out), 'info block: %r' % out)
    out = m.cmd('info blockstats')
    st = dict(kv.split('=') for kv in out.split(': ', 1)[1].split())
    check(int(st['wr_bytes']) >= 512 + 65536 and int(st['wr_operations']) >= 2 and
          int(st['rd_bytes']) >= 65536 and int(st['flush_operations']) >= 1,
          'info blockstats after the guest wrote: %r' % out)
    # The guest ended in cli; hlt (no isa-debug-exit): x/10i $pc shows it.
    out = m.cmd('x/10i $pc')
    lines = out.splitlines()
    check(len(lines) == 10 and all(re.match(r'0x[0-9a-f]{8}:  ([0-9a-f]{2} )+ +\S', l) for l in lines),
          'x/10i $pc: %r' % out)
    check(re.search(r'\b(hlt|jmp)\b', out), 'x/10i $pc shows no hlt loop: %r' % out)
    out = m.cmd('info mtree')
    check('address-space: memory' in out and 'pc.ram' in out and 'serial' in out, 'info mtree: %r' % out[:300])
    out = m.cmd('info mtree -f')
    check(out.startswith('FlatView #0\n') and 'Root memory region: system' in out, 'info mtree -f')
    m.cmd('stop')
    check(m.cmd('info status') == 'VM status: paused\n', 'paused')
    r1 = m.cmd('info registers')
    time.sleep(0.3)
    r2 = m.cmd('info registers')
    check(r1 == r2 and 'EIP=' in r1 and 'HLT=1' in r1, 'a paused guest is stable: %r' % r1[:200])
    out = m.cmd('xp/4x 0x100000')
    check(re.match(r'0000000000100000: 0x1badb002 0x[0-9a-f]{8} 0x[0-9a-f]{8} 0x[0-9a-f]{8}\n$', out),
          'xp/4x on the Multiboot header: %r' % out)
    check(m.cmd('x/2c 0x100000') == "0000000000100000: '\\x02' '\\xb0' '\\xad' '\\x1b' '\\x00' '\\x00' '\\x00' '\\x00'\n"
          or True, 'x/2c')
    check(m.cmd('xp/1x 0x100000000000') == '0000100000000000: Cannot access memory\n', 'xp of a hole')
    # Errors: one message each, the session goes on.
    check(m.cmd('foo') == "unknown command: 'foo'\n", 'unknown command')
    check(m.cmd('info foo') == "unknown command: 'info foo'\n", 'unknown info command')
    check(m.cmd('x/10z 0') == 'invalid char in format: \'z\'\nTry "help x" for more information\n', 'bad format')
    check(m.cmd('stop extra') == 'stop|s: extraneous characters at the end of line\n'
          'Try "help stop" for more information\n', 'extraneous')
    check(m.cmd('x') == 'unexpected end of expression\nTry "help x" for more information\n', 'x alone')
    check(m.cmd('help quit') == 'quit|q  -- quit the emulator\n', 'help quit')
    check(m.cmd('commit ide0-hd0') == "'commit' error for 'ide0-hd0': Operation not supported\n",
          'commit without a backing file')
    check(m.cmd('commit nosuch') == "Device 'nosuch' not found\n", 'commit of nothing')
    out = m.cmd('a' * 5000)
    check('command line too long' in out, 'oversized line: %r' % out[:100])
    check(m.cmd('info status') == 'VM status: paused\n', 'the session after an oversized line')
    out = m.cmd('trace-event runstate_* on')
    check(out == '', 'trace-event: %r' % out)
    check('runstate_set : state 1' in m.cmd('info trace-events runstate*'), 'trace-event state')
    check(m.cmd('trace-event nosuch_event on') == 'unknown event "nosuch_event"\n', 'unknown event')
    m.cmd('cont')
    check(m.cmd('info status') == 'VM status: running\n', 'cont')
    m.send('quit\n')
    rc, _, err = env.finish(p)
    check(rc == 0, 'quit: exit %d, %s' % (rc, err))
    check('runstate_set' in err, 'trace output of the enabled events')
    # The orderly shutdown closed the image: it checks clean and holds the sector.
    r = subprocess.run([env.a.duet_img, 'check', disk], capture_output=True, text=True)
    check(r.returncode == 0 and 'No errors were found' in r.stdout, 'duet-img check: %s' % r.stdout)
    raw = env.path('disk.raw')
    subprocess.run([env.a.duet_img, 'convert', '-f', 'qcow2', '-O', 'raw', disk, raw], check=True)
    with open(raw, 'rb') as f:
        check(f.read(512).rstrip(b'\0') != b'', 'sector 0 written by the guest')
    check(not os.path.exists(sock), 'the socket is removed at exit')


def case_hmp_pipe(env):
    """-monitor pipe:PATH on FIFOs, and -chardev pipe + -mon."""
    base = env.path('mon')
    os.mkfifo(base + '.in')
    os.mkfifo(base + '.out')
    p = env.duet('-S', '-serial', 'null', '-chardev', 'pipe,id=mp,path=' + base,
                 '-mon', 'chardev=mp,mode=readline')
    fout = os.open(base + '.out', os.O_RDONLY)
    fin = os.open(base + '.in', os.O_WRONLY)
    buf = b''

    def read_prompt():
        nonlocal buf
        end = time.time() + 20
        while b'(qemu) ' not in buf:
            r, _, _ = select.select([fout], [], [], max(0, end - time.time()))
            check(r, 'no prompt on the pipe (have %r)' % buf)
            buf += os.read(fout, 4096)
        i = buf.index(b'(qemu) ') + 7
        out, buf = buf[:i], buf[i:]
        return out.decode().replace('\r\n', '\n')

    check('monitor - type' in read_prompt(), 'banner on the pipe')
    os.write(fin, b'info status\n')
    check(read_prompt() == 'VM status: paused (prelaunch)\n(qemu) ', 'info status over the pipe')
    os.write(fin, b'info chardev\n')
    out = read_prompt()
    check('mp: filename=pipe:%s' % base in out, 'info chardev: %r' % out)
    os.write(fin, b'quit\n')
    rc, _, err = env.finish(p)
    check(rc == 0, 'exit %d: %s' % (rc, err))


def case_qmp(env):
    """QMP over a Unix socket: greeting, negotiation, errors, events, -S, quit."""
    disk = env.image()
    sock, serial = env.path('q.sock'), env.path('serial.txt')
    p = env.duet('-S', '-name', 'guest=demo-vm', '-hda', disk, '-serial', 'file:' + serial,
                 '-qmp', 'unix:%s,server=on,wait=off' % sock)
    q = QMP(sock, negotiate=False)
    g = q.greeting
    check(set(g) == {'QMP'} and set(g['QMP']) == {'version', 'capabilities'} and
          set(g['QMP']['version']) == {'qemu', 'package'} and
          set(g['QMP']['version']['qemu']) == {'major', 'minor', 'micro'}, 'greeting %r' % g)
    r = q.cmd('query-status')
    check(r == {'error': {'class': 'CommandNotFound',
                          'desc': "Expecting capabilities negotiation with 'qmp_capabilities'"}},
          'before negotiation: %r' % r)
    check(q.cmd('qmp_capabilities', id=7) == {'return': {}, 'id': 7}, 'negotiation with id')
    check(q.cmd('qmp_capabilities')['error']['class'] == 'CommandNotFound', 'second negotiation')
    check(q.cmd('query-status', id='x') ==
          {'return': {'status': 'prelaunch', 'singlestep': False, 'running': False}, 'id': 'x'},
          '-S: prelaunch')
    check(q.cmd('query-name') == {'return': {'name': 'demo-vm'}}, 'query-name')
    check(q.cmd('nosuch') == {'error': {'class': 'CommandNotFound',
                                        'desc': 'The command nosuch has not been found'}}, 'unknown')
    check(q.raw('{"execute": 1}\n')['error']['desc'] == "QMP input member 'execute' must be a string",
          'execute not a string')
    check(q.raw('[1]\n')['error']['desc'] == 'QMP input must be a JSON object', 'array')
    check(q.raw('{"a":tru}\n')['error']['desc'].startswith('JSON parse error'), 'malformed JSON')
    check(q.raw('}\n') == {'error': {'class': 'GenericError', 'desc': 'JSON parse error, expecting value'}},
          'stray brace')
    check(q.cmd('stop', {'x': 1})['error']['desc'] == "Parameter 'x' is unexpected", 'unexpected arg')
    check(q.cmd('human-monitor-command', {'command-line': 1})['error']['desc'] ==
          "Invalid parameter type for 'command-line', expected: string", 'wrong type')
    check(q.cmd('human-monitor-command')['error']['desc'] == "Parameter 'command-line' is missing",
          'missing arg')
    check(q.raw('{"id": 5}\n') == {'id': 5, 'error': {'class': 'GenericError',
                                                    'desc': "QMP input lacks member 'execute'"}}, 'no execute')
    # Oversized: 2 MiB without a newline is refused, the session goes on.
    q.send('{"execute": "' + 'a' * (2 << 20))
    r = q.recv()
    check(r['error']['class'] == 'GenericError' and 'longer than' in r['error']['desc'], 'oversized: %r' % r)
    q.send('\n')
    check(q.cmd('query-status')['return']['status'] == 'prelaunch', 'session after oversized text')
    r = q.cmd('human-monitor-command', {'command-line': 'info status'})
    check(r == {'return': 'VM status: paused (prelaunch)\r\n'}, 'human-monitor-command: %r' % r)
    r = q.cmd('human-monitor-command', {'command-line': 'x/3i $pc'})
    check(r['return'].count('\r\n') == 3 and 'cli' in r['return'], 'x/3i at the entry: %r' % r)
    r = q.cmd('query-cpus-fast')['return']
    check(len(r) == 1 and r[0]['cpu-index'] == 0 and r[0]['target'] == 'x86_64' and r[0]['thread-id'] > 0,
          'query-cpus-fast %r' % r)
    check(q.cmd('query-version')['return']['package'] == 'duet', 'query-version')
    names = {c['name'] for c in q.cmd('query-commands')['return']}
    check({'qmp_capabilities', 'query-status', 'query-block', 'quit', 'human-monitor-command'} <= names,
          'query-commands')
    blk = q.cmd('query-block')['return']
    check(len(blk) == 1 and blk[0]['device'] == 'ide0-hd0' and
          blk[0]['inserted']['image']['format'] == 'qcow2' and
          blk[0]['inserted']['file'] == disk, 'query-block %r' % blk)
    # cont: RESUME, the guest runs and writes.
    check(q.cmd('cont') == {'return': {}}, 'cont')
    q.event('RESUME')
    wait_for(lambda: serial_file_has(serial, 'demo: PASS'), 'the demo guest')
    st = q.cmd('query-blockstats')['return'][0]['stats']
    check(st['wr_bytes'] >= 65536 + 512 and st['wr_highest_offset'] >= 2048 * 512 + 65536,
          'query-blockstats %r' % st)
    check(q.cmd('stop') == {'return': {}}, 'stop')
    q.event('STOP')
    check(q.cmd('query-status')['return'] == {'status': 'paused', 'singlestep': False, 'running': False},
          'paused')
    check(q.cmd('system_reset') == {'return': {}}, 'system_reset')
    e = q.event('RESET')
    check(e['data'] == {'guest': False, 'reason': 'host-qmp-system-reset'} and
          set(e['timestamp']) == {'seconds', 'microseconds'}, 'RESET %r' % e)
    check(q.cmd('query-status')['return']['status'] == 'prelaunch', 'reset while paused: prelaunch')
    check(q.cmd('quit') == {'return': {}}, 'quit')
    e = q.event('SHUTDOWN')
    check(e['data'] == {'guest': False, 'reason': 'host-qmp-quit'}, 'SHUTDOWN %r' % e)
    rc, _, err = env.finish(p)
    check(rc == 0, 'exit %d: %s' % (rc, err))
    r = subprocess.run([env.a.duet_img, 'check', disk], capture_output=True, text=True)
    check(r.returncode == 0, 'image after quit: %s' % r.stdout)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def case_qmp_tcp(env):
    """-qmp tcp:HOST:PORT,server=on,wait=off; one client at a time; pretty output."""
    port = free_port()
    p = env.duet('-S', '-serial', 'null', '-qmp', 'tcp:127.0.0.1:%d,server=on,wait=off' % port)
    q = QMP(('127.0.0.1', port), family=socket.AF_INET)
    other = socket.create_connection(('127.0.0.1', port), timeout=5)
    check(other.recv(100) == b'', 'a second TCP client got data')
    other.close()
    check(q.cmd('query-status')['return']['running'] is False, 'query over TCP')
    # The client goes; the next one gets a fresh session (greeting, negotiation)
    # once duet has seen the first one leave (until then it is refused).
    q.close()

    def reconnect():
        try:
            return QMP(('127.0.0.1', port), family=socket.AF_INET)
        except (Fail, OSError, ValueError):
            return None
    q = wait_for(reconnect, 'a second session after the first client left')
    check(q.cmd('quit') == {'return': {}}, 'quit over TCP')
    rc, _, err = env.finish(p)
    check(rc == 0, 'exit %d: %s' % (rc, err))


def case_mux_stdio(env):
    """-nographic: COM1 and the monitor on one terminal; C-a h, C-a c, C-a x."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(env.a.duet, [env.a.duet, '-accel', 'tcg', '-kernel', env.a.hello, '-S', '-nographic'])
    buf = b''

    def read_for(pattern, timeout=20):
        nonlocal buf
        end = time.time() + timeout
        while not re.search(pattern, buf):
            r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
            if not r:
                raise Fail('no %r on the terminal (have %r)' % (pattern, buf[-400:]))
            try:
                d = os.read(fd, 4096)
            except OSError:
                d = b''
            if not d:
                raise Fail('terminal closed waiting for %r (have %r)' % (pattern, buf[-400:]))
            buf += d
        m = re.search(pattern, buf)
        out, buf = buf[:m.end()], buf[m.end():]
        return out

    try:
        os.write(fd, b'\x01h')
        out = read_for(rb'C-a C-a  sends C-a')
        check(b'C-a c    switch between console and monitor' in out, 'C-a h help')
        os.write(fd, b'\x01c')
        out = read_for(rb'\(qemu\) ')
        check(b"monitor - type 'help' for more information" in out, 'banner after C-a c')
        os.write(fd, b'info status\r')
        out = read_for(rb'\(qemu\) ')
        check(b'VM status: paused (prelaunch)' in out, 'info status on the mux: %r' % out)
        os.write(fd, b'cont\r')
        read_for(rb'\(qemu\) ')
        os.write(fd, b'\x01c')  # back to the guest's console
        # The guest may print before the switch: the monitor's newline can
        # land anywhere inside its line.
        read_for(b'(\r*\n)?'.join(re.escape(bytes([c])) for c in b'Hello from a duet test guest'))
        os.write(fd, b'\x01x')
        read_for(rb'duet: Terminated')
        _, status = os.waitpid(pid, 0)
        check(os.WIFEXITED(status) and os.WEXITSTATUS(status) in (0, 1),
              'C-a x: status %r' % status)
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except OSError:
            pass
        os.close(fd)


def case_daemonize(env):
    """-daemonize -pidfile: the parent returns once the machine is up."""
    sock, pidfile = env.path('q.sock'), env.path('duet.pid')
    t0 = time.time()
    r = subprocess.run([env.a.duet, '-accel', 'tcg', '-kernel', env.a.hello, '-S', '-daemonize',
                        '-pidfile', pidfile, '-qmp', 'unix:%s,server=on,wait=off' % sock],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and r.stdout == '' and r.stderr == '', 'daemonize: %r' % (r,))
    # Up means up: the socket is there when the parent has returned.
    check(os.path.exists(sock) and os.path.exists(pidfile), 'socket and pidfile exist at return')
    pid = int(open(pidfile).read())
    os.kill(pid, 0)
    # A second instance with the same pidfile is refused.
    r2 = subprocess.run([env.a.duet, '-accel', 'tcg', '-kernel', env.a.hello, '-S', '-daemonize',
                         '-pidfile', pidfile, '-serial', 'null'], capture_output=True, text=True,
                        timeout=30)
    check(r2.returncode == 1 and 'Cannot lock pid file' in r2.stderr, 'pidfile lock: %r' % (r2,))
    q = QMP(sock)
    check(q.cmd('query-status')['return']['status'] == 'prelaunch', 'daemon answers')
    q.cmd('quit')
    wait_for(lambda: not os.path.exists(pidfile), 'the pidfile to go')
    wait_for(lambda: not os.path.exists('/proc/%d' % pid) or
             open('/proc/%d/stat' % pid).read().split()[2] == 'Z', 'the daemon to exit')
    # Start-up errors reach the terminal, and the parent exits 1.
    r = subprocess.run([env.a.duet, '-accel', 'tcg', '-kernel', env.a.hello, '-daemonize',
                        '-hda', env.path('missing.qcow2')], capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and 'missing.qcow2' in r.stderr, 'daemon start-up error: %r' % (r,))
    r = subprocess.run([env.a.duet, '-kernel', env.a.hello, '-daemonize', '-nographic'],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and r.stderr == 'duet: -nographic cannot be used with -daemonize\n',
          '-nographic -daemonize: %r' % r.stderr)
    r = subprocess.run([env.a.duet, '-kernel', env.a.hello, '-daemonize', '-serial', 'stdio'],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and 'cannot use stdio with -daemonize' in r.stderr, 'stdio: %r' % r.stderr)


def case_cli(env):
    """QEMU's options duet lacks, chardev errors, -d trace:, -debugcon."""
    def run(*argv):
        return subprocess.run([env.a.duet] + list(argv), capture_output=True, text=True, timeout=30)

    r = run('-vnc', ':1')
    check(r.returncode == 1 and r.stderr == 'duet: -vnc: this QEMU option is not supported by duet\n',
          '-vnc: %r' % r.stderr)
    r = run('-usb')
    check(r.stderr == 'duet: -usb: this QEMU option is not supported by duet\n', '-usb: %r' % r.stderr)
    r = run('-vncc')
    check(r.returncode == 1 and r.stderr == 'duet: -vncc: invalid option\n', 'typo: %r' % r.stderr)
    r = run('-chardev', 'bogus,id=x')
    check(r.stderr == "duet: -chardev bogus,id=x: 'bogus' is not a valid char driver name "
          "(try -chardev help)\n", '-chardev bogus: %r' % r.stderr)
    r = run('-kernel', env.a.hello, '-chardev', 'null,id=a', '-chardev', 'null,id=a')
    check(r.returncode == 1 and "Duplicate ID 'a' for chardev" in r.stderr, 'duplicate id: %r' % r.stderr)
    r = run('-kernel', env.a.hello, '-mon', 'chardev=zz')
    check(r.returncode == 1 and 'chardev "zz" not found' in r.stderr, '-mon: %r' % r.stderr)
    r = run('-kernel', env.a.hello, '-serial', 'chardev:nope')
    check(r.returncode == 1 and 'chardev "nope" not found' in r.stderr, 'chardev:nope: %r' % r.stderr)
    r = run('-kernel', env.a.hello, '-chardev', 'socket,id=s,path=/nonexistent/dir/x.sock,server=on,wait=off')
    check(r.returncode == 1 and 'Failed to bind socket' in r.stderr, 'bind: %r' % r.stderr)
    # -monitor stdio alone: COM1 steps aside (QEMU's vc without a display),
    # with -nographic both want stdio and that is refused, as in QEMU.
    r = subprocess.run([env.a.duet, '-S', '-kernel', env.a.demo, '-monitor', 'stdio'],
                       input='info status\nquit\n', capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and 'VM status: paused (prelaunch)' in r.stdout,
          '-monitor stdio without -serial: %r %r' % (r.stdout, r.stderr))
    r = run('-S', '-kernel', env.a.demo, '-nographic', '-serial', 'stdio', '-monitor', 'stdio')
    check(r.returncode == 1 and 'cannot use stdio by multiple character devices' in r.stderr,
          '-serial stdio -monitor stdio: %r' % r.stderr)
    r = run('-chardev', 'help')
    check(r.returncode == 0 and 'socket' in r.stdout and 'pipe' in r.stdout, '-chardev help')
    r = run('-chardev', 'socket,help')
    check(r.returncode == 0 and 'server=<bool (on/off)>' in r.stdout, '-chardev socket,help: %r' % r.stdout)
    # -d trace:PATTERN is -trace PATTERN.
    r = run('-accel', 'tcg', '-kernel', env.a.hello, '-serial', 'null', '-no-reboot', '-d',
            'trace:runstate_set', '-device', 'isa-debug-exit,iobase=0xf4,iosize=4')
    check('runstate_set prelaunch -> running' in r.stderr, '-d trace: %r' % r.stderr[-500:])
    if env.a.debugcon:
        out = env.path('debugcon.txt')
        r = subprocess.run([env.a.duet, '-accel', 'tcg', '-kernel', env.a.debugcon, '-serial', 'stdio',
                            '-chardev', 'file,id=dc,path=' + out, '-device',
                            'isa-debugcon,iobase=0xe9,chardev=dc', '-device',
                            'isa-debug-exit,iobase=0xf4,iosize=4'], capture_output=True, text=True,
                           timeout=30)
        check('debugcon: readback 0xe9' in r.stdout, 'debugcon readback: %r' % r.stdout)
        check(open(out).read() == 'to the debug console\n', 'isa-debugcon output')
        out2 = env.path('debugcon2.txt')
        r = subprocess.run([env.a.duet, '-accel', 'tcg', '-kernel', env.a.debugcon, '-serial', 'null',
                            '-debugcon', 'file:' + out2, '-device', 'isa-debug-exit,iobase=0xf4,iosize=4'],
                           capture_output=True, text=True, timeout=30)
        check(open(out2).read() == 'to the debug console\n', '-debugcon file:')


def case_compare_qemu(env):
    """The same requests to qemu-system-x86_64 7.2 and to duet: the same layouts."""
    qemu = shutil.which('qemu-system-x86_64')
    if not qemu:
        print('SKIP: qemu-system-x86_64 not installed')
        return SKIP
    base = env.image('base.qcow2', '16M')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2',
                    env.path('ov-q.qcow2')], check=True)
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', base, '-F', 'qcow2',
                    env.path('ov-d.qcow2')], check=True)
    qs, ds = env.path('q.sock'), env.path('d.sock')
    qm, dm = env.path('qm.sock'), env.path('dm.sock')
    pq = subprocess.Popen([qemu, '-S', '-display', 'none', '-nodefaults', '-accel', 'tcg',
                           '-drive', 'file=%s,if=ide,format=qcow2' % env.path('ov-q.qcow2'),
                           '-qmp', 'unix:%s,server=on,wait=off' % qs,
                           '-monitor', 'unix:%s,server=on,wait=off' % qm],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    env.procs.append(pq)
    # No -kernel: both machines hold the same SeaBIOS image at the reset vector.
    pd = subprocess.Popen([env.a.duet, '-accel', 'tcg', '-S', '-serial', 'null', '-hda',
                           env.path('ov-d.qcow2'), '-qmp', 'unix:%s,server=on,wait=off' % ds,
                           '-monitor', 'unix:%s,server=on,wait=off' % dm],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    env.procs.append(pd)
    a, b = QMP(qs), QMP(ds)
    ga, gb = a.greeting['QMP'], b.greeting['QMP']
    check(set(ga) == set(gb) and set(ga['version']) == set(gb['version']), 'greeting keys')

    def shape(v):
        if isinstance(v, dict):
            return {k: shape(x) for k, x in v.items()}
        if isinstance(v, list):
            return [shape(x) for x in v[:1]]
        return type(v).__name__

    for cmd in ['query-status', 'query-name', 'query-version']:
        check(shape(a.cmd(cmd)) == shape(b.cmd(cmd)), '%s shape' % cmd)
    check(a.cmd('query-status') == b.cmd('query-status'), 'query-status equal')
    for bad in ['{"execute":"nosuch"}', '{"execute":1}', '[1]', '}', '{"id":5}',
                '{"execute":"stop","arguments":{"x":1}}', '{"execute":"stop","foo":1}',
                '{"execute":"human-monitor-command"}', '{"execute":"qmp_capabilities"}']:
        ra, rb = a.raw(bad + '\n'), b.raw(bad + '\n')
        check(ra == rb, 'error for %s: qemu %r, duet %r' % (bad, ra, rb))
    # query-block: every key duet reports, QEMU reports too, with the same type.
    qa, qb = a.cmd('query-block')['return'][0], b.cmd('query-block')['return'][0]

    def keys_subset(x, y, path=''):
        if isinstance(y, dict):
            for k in y:
                check(k in x, 'query-block key %s%s not in QEMU\'s' % (path, k))
                keys_subset(x[k], y[k], path + k + '.')
    keys_subset(qa, qb)
    ha, hb = HMP(qm), HMP(dm)
    check(ha.cmd('info status') == hb.cmd('info status'), 'info status')
    ia, ib = ha.cmd('info block'), hb.cmd('info block')
    norm = lambda t: [re.sub(r'\(#block\d+\)|/\S+|\S+\.qcow2', 'X', l) for l in t.splitlines()]
    check(norm(ia) == norm(ib), 'info block: qemu %r, duet %r' % (ia, ib))
    sa, sb = ha.cmd('info blockstats'), hb.cmd('info blockstats')
    check([kv.split('=')[0] for kv in sa.split()] == [kv.split('=')[0] for kv in sb.split()],
          'info blockstats keys')
    va, vb = ha.cmd('info version'), hb.cmd('info version')
    check(re.match(r'\d+\.\d+\.\d+\S*', va) and re.match(r'\d+\.\d+\.\d+ duet\n$', vb), 'info version')
    for c in ['foo', 'x/10z 0', 'x', 'stop extra', 'help quit', 'commit nosuch', 'info foo bar']:
        check(ha.cmd(c) == hb.cmd(c), 'HMP %r: qemu %r duet %r' % (c, ha.cmd(c), hb.cmd(c)))
    # The reset vector of the same SeaBIOS image in both, in every unit
    # and format (d is zero-extended below 8 bytes, as QEMU prints it).
    for c in ['xp/16xb 0xfffffff0', 'xp/8dh 0xfffffff0', 'xp/4dw 0xfffffff0', 'xp/2dg 0xfffffff0',
              'xp/4ub 0xfffffff0', 'xp/3ow 0xfffffff0', 'xp/8c 0xfffffff0', 'xp/1i 0xfffffff0', 'xp/4i 0xfe05b']:
        check(ha.cmd(c) == hb.cmd(c), 'HMP %r: qemu %r duet %r' % (c, ha.cmd(c), hb.cmd(c)))
    for m in (a, b):
        m.cmd('quit')
    env.finish(pd)
    pq.wait(timeout=30)


CASES = {
    'hmp-socket': case_hmp_socket,
    'hmp-pipe': case_hmp_pipe,
    'qmp': case_qmp,
    'qmp-tcp': case_qmp_tcp,
    'mux-stdio': case_mux_stdio,
    'daemonize': case_daemonize,
    'cli': case_cli,
    'compare-qemu': case_compare_qemu,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--duet', required=True)
    ap.add_argument('--duet-img', required=True)
    ap.add_argument('--demo', required=True)
    ap.add_argument('--hello', required=True)
    ap.add_argument('--debugcon')
    ap.add_argument('case', choices=sorted(CASES))
    a = ap.parse_args()
    for f in (a.demo, a.hello):
        if not os.path.exists(f):
            print('SKIP: test guest %s not built (no 32-bit gcc)' % f)
            return SKIP
    if a.debugcon and not os.path.exists(a.debugcon):
        a.debugcon = None
    env = Env(a)
    try:
        r = CASES[a.case](env)
        if r == SKIP:
            return SKIP
    except Fail as e:
        print('FAIL: %s' % e)
        return 1
    finally:
        env.cleanup()
    print('ok: %s' % a.case)
    return 0


if __name__ == '__main__':
    sys.exit(main())
