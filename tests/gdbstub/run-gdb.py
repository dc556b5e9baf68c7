#!/usr/bin/env python3
"""Drives a real gdb (batch mode) against duet's gdb stub on a test guest.

  run-gdb.py --duet DUET --kernel GUEST.elf --accel tcg|kvm --case session|second|loopback

session:  registers, memory (mapped and unmapped: an error, not a crash),
          'monitor' passthrough, continue to the guest's exit (W packet).
second:   while gdb is attached a second connection is closed at once.
loopback: -s listens on 127.0.0.1:1234 only.
Exits 77 when gdb, the guest or the accelerator is missing.
"""
import argparse, os, shutil, socket, subprocess, sys, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument('--duet', required=True)
ap.add_argument('--kernel', required=True)
ap.add_argument('--accel', default='tcg')
ap.add_argument('--case', default='session')
a = ap.parse_args()

if not shutil.which('gdb'):
    print('SKIP: gdb is not installed'); sys.exit(77)
if not os.path.exists(a.kernel):
    print('SKIP: guest not built (no 32-bit gcc)'); sys.exit(77)
if a.accel == 'kvm' and not os.access('/dev/kvm', os.R_OK | os.W_OK):
    print('SKIP: /dev/kvm is not usable here'); sys.exit(77)

tmp = tempfile.mkdtemp()
sock = os.path.join(tmp, 'gdb.sock')

def start(gdb_args):
    return subprocess.Popen([a.duet, '-accel', a.accel, '-kernel', a.kernel, '-display', 'none',
                             '-device', 'isa-debug-exit,iobase=0xf4,iosize=4',
                             '-serial', 'file:' + os.path.join(tmp, 'serial'), '-S'] + gdb_args,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

def wait_for(path_or_port, proc):
    for _ in range(100):
        if proc.poll() is not None:
            print(proc.stdout.read()); sys.exit('duet ended early')
        if isinstance(path_or_port, str) and os.path.exists(path_or_port):
            return
        if isinstance(path_or_port, int):
            try:
                socket.create_connection(('127.0.0.1', path_or_port), 0.2).close()
                return
            except OSError:
                pass
        time.sleep(0.05)
    sys.exit('the gdb socket did not appear')

def fail(msg, out=''):
    print(out); print('FAIL:', msg); sys.exit(1)

if a.case == 'loopback':
    p = start(['-s'])
    time.sleep(0.5)
    wait_for(1234, p)
    ss = subprocess.run(['ss', '-Hltn', 'sport = :1234'], capture_output=True, text=True).stdout
    p.kill(); p.wait()
    print(ss)
    lines = [l for l in ss.splitlines() if l.strip()]
    if not lines or any('127.0.0.1:1234' not in l for l in lines):
        fail('-s does not listen on 127.0.0.1:1234 only', ss)
    print('PASS'); sys.exit(0)

p = start(['-gdb', 'unix:' + sock])
wait_for(sock, p)
mode = oct(os.stat(sock).st_mode & 0o777)
if mode != '0o600':
    fail('the gdb socket is %s, not 0600' % mode)

if a.case == 'second':
    g = subprocess.Popen(['gdb', '-nx', '-batch', '-ex', 'target remote ' + sock,
                          '-ex', 'shell sleep 2', '-ex', 'info registers eip', '-ex', 'kill'],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1)
    s2 = socket.socket(socket.AF_UNIX); s2.connect(sock); s2.settimeout(3)
    s2.sendall(b'$?#3f')
    try:
        data = s2.recv(100)
    except socket.timeout:
        data = b'(timeout)'
    except ConnectionResetError:
        data = b''  # closed on us: refused
    out = g.communicate(timeout=30)[0]
    p.wait(timeout=30)
    print(out)
    if data != b'':
        fail('a second client got %r instead of being closed' % data)
    if 'eip ' not in out:
        fail('the first client lost its session', out)
    print('PASS'); sys.exit(0)

cmds = ['set pagination off', 'target remote ' + sock,
        'info registers eip eflags cs ss cr0 efer', 'p/x $eax',
        'x/4xb 0x100000', 'x/xw 0x40000000',
        'monitor info status', 'p $st0', 'p $xmm0', 'p $mxcsr',
        'set var $ecx = 0x1234', 'p/x $ecx',
        'continue']
args = ['gdb', '-nx', '-batch']
for c in cmds:
    args += ['-ex', c]
try:
    out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=60).stdout
except subprocess.TimeoutExpired:
    p.kill(); fail('gdb hung')
rc = p.wait(timeout=30)
print(out)
checks = [
    ('eip            0x10000c', 'eip at the Multiboot entry'),
    ('p/x $eax', None),
    ('$1 = 0x2badb002', 'eax holds the Multiboot magic'),
    ('0x100000:\t0x02\t0xb0\t0xad\t0x1b', 'memory at 1 MiB is the Multiboot header'),
    ('Cannot access memory at address 0x40000000', 'unmapped memory is an error'),
    ('VM status: paused', 'monitor passthrough'),
    ('$5 = 0x1234', 'register write'),
    ('exited with code 0143', 'continue to the guest exit (status 99)'),
]
for text, why in checks:
    if why and text not in out:
        fail(why + ': no ' + repr(text), out)
if rc != 99:
    fail('duet exited %d, not the guest status 99' % rc)
if 'Hello from a duet test guest' not in open(os.path.join(tmp, 'serial')).read():
    fail('the guest did not run to its end')
print('PASS')
