#!/usr/bin/env python3
"""Drives a real gdb (batch mode) against duet's gdb stub on a test guest.

  run-gdb.py --duet DUET --kernel GUEST.elf [--symbols ELF] --accel tcg|kvm --case CASE

session:  registers, memory (mapped and unmapped: an error, not a crash),
          'monitor' passthrough, continue to the guest's exit (W packet).
debug:    on gdb-guest.elf: hbreak and break at a function, registers and
          variables there, stepi (the pc moves by one instruction),
          finish, next, delete, continue to the exit.
watch:    watch a variable and continue to each write (old and new values);
          rwatch (tcg) or awatch (kvm) on another.
debug64:  the same on the 64-bit build (--symbols: its ELF64), attached
          while the guest waits in long mode.
packets:  malformed Z/z/s/c/vCont packets on a raw socket get E01/E22 or
          the empty reply and the session goes on; vCont's per-thread
          actions; a breakpoint and a step without gdb.
threads:  with --smp 2 on a raw socket: the thread list (1, 2), qC, T,
          qThreadExtraInfo, Hg choosing whose registers g/p/P touch (CPU 1
          still at its reset state, waiting for SIPI), then gdb's
          'info threads' and 'thread 2'.
apbreak:  on the SMP guest with --smp 2 (kvm: the APs start there): a
          breakpoint on smp_ap_main is hit by CPU 1 and reported as thread 2.
second:   while gdb is attached a second connection is closed at once.
loopback: -s listens on 127.0.0.1:1234 only.
Exits 77 when gdb, the guest or the accelerator is missing, or when this
host's KVM cannot do what a case needs (found by probing KVM itself,
kvm_probe_data_breakpoint, not by running duet).
"""
import argparse, ctypes, mmap, os, re, shutil, socket, struct, subprocess, sys, tempfile, time
import fcntl

ap = argparse.ArgumentParser()
ap.add_argument('--duet', required=True)
ap.add_argument('--kernel', required=True)
ap.add_argument('--accel', default='tcg')
ap.add_argument('--case', default='session')
ap.add_argument('--smp', type=int, default=1)
ap.add_argument('--append', help='the guest\'s -append line')
ap.add_argument('--symbols', help='the ELF gdb loads (default: --kernel)')
a = ap.parse_args()

if not shutil.which('gdb'):
    print('SKIP: gdb is not installed'); sys.exit(77)
if not os.path.exists(a.kernel):
    print('SKIP: guest not built (no 32-bit gcc)'); sys.exit(77)
if a.accel == 'kvm' and not os.access('/dev/kvm', os.R_OK | os.W_OK):
    print('SKIP: /dev/kvm is not usable here'); sys.exit(77)

tmp = tempfile.mkdtemp()
sock = os.path.join(tmp, 'gdb.sock')

def start(gdb_args, paused=True):
    return subprocess.Popen([a.duet, '-accel', a.accel, '-kernel', a.kernel, '-display', 'none',
                             '-device', 'isa-debug-exit,iobase=0xf4,iosize=4',
                             '-serial', 'file:' + os.path.join(tmp, 'serial')] +
                            (['-S'] if paused else []) +
                            (['-smp', str(a.smp)] if a.smp > 1 else []) +
                            (['-append', a.append] if a.append else []) + gdb_args,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

def unix_listening(path):
    """The socket file appears at bind(), a moment before listen(): wait
    for the listening flag (__SO_ACCEPTCON, 00010000) in /proc/net/unix."""
    try:
        lines = open('/proc/net/unix').read().splitlines()[1:]
    except OSError:
        return os.path.exists(path)
    return any(l.split()[-1] == path and l.split()[3] == '00010000'
               for l in lines if len(l.split()) >= 8)

def wait_for(path_or_port, proc):
    for _ in range(100):
        if proc.poll() is not None:
            print(proc.stdout.read()); sys.exit('duet ended early')
        if isinstance(path_or_port, str) and unix_listening(path_or_port):
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


def kvm_probe_data_breakpoint():
    """Does this host's KVM report a guest write to a DR0 data breakpoint
    (KVM_GUESTDBG_USE_HW_BP)?  A two-instruction real-mode guest run on
    /dev/kvm directly: 'mov [0x100], al; hlt' at the reset vector.  None
    when it does, else the reason (an emulating KVM such as kvm_pvm does
    not check data breakpoints on the instructions it emulates)."""
    KVM_CREATE_VM, KVM_CREATE_VCPU, KVM_RUN = 0xAE01, 0xAE41, 0xAE80
    KVM_GET_VCPU_MMAP_SIZE = 0xAE04
    KVM_SET_USER_MEMORY_REGION = 0x4020AE46
    KVM_SET_GUEST_DEBUG = (1 << 30) | (72 << 16) | (0xAE << 8) | 0x9B
    KVM_EXIT_DEBUG, KVM_EXIT_HLT = 4, 5
    try:
        kvm = os.open('/dev/kvm', os.O_RDWR)
        vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
        low = mmap.mmap(-1, 0x1000)
        top = mmap.mmap(-1, 0x10000)
        top[0xfff0:0xfff4] = bytes([0xA2, 0x00, 0x01, 0xF4])
        for slot, (gpa, m) in enumerate([(0, low), (0xffff0000, top)]):
            addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
            fcntl.ioctl(vm, KVM_SET_USER_MEMORY_REGION,
                        struct.pack('IIQQQ', slot, 0, gpa, len(m), addr))
        vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
        size = fcntl.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)
        run = mmap.mmap(vcpu, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        dr7 = 0x2 | (1 << 16) | 0x200  # G0, R/W0 = write, LEN0 = 1 byte, GE
        fcntl.ioctl(vcpu, KVM_SET_GUEST_DEBUG,
                    struct.pack('II8Q', 0x1 | 0x20000, 0, 0x100, 0, 0, 0, 0, 0, 0, dr7))
        fcntl.ioctl(vcpu, KVM_RUN, 0)
        reason = struct.unpack_from('I', run, 8)[0]
    except OSError as e:
        return 'the probe failed: %s' % e
    if reason == KVM_EXIT_DEBUG:
        return None
    return ('this host\'s KVM does not report data breakpoints: a write to a DR0 watch '
            'ended with exit reason %d (%s), not KVM_EXIT_DEBUG' %
            (reason, 'KVM_EXIT_HLT' if reason == KVM_EXIT_HLT else 'other'))


def run_gdb(cmds, timeout=60):
    args = ['gdb', '-nx', '-batch']
    for c in cmds:
        args += ['-ex', c]
    try:
        return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout).stdout
    except subprocess.TimeoutExpired:
        p.kill(); fail('gdb hung')


def check_all(out, checks):
    for pattern, why in checks:
        if not re.search(pattern, out, re.M):
            fail(why + ': no match for ' + repr(pattern), out)


def check_exit(out, rc):
    if 'exited with code 0143' not in out:
        fail('gdb did not see the guest exit (W63)', out)
    if rc != 99:
        fail('duet exited %d, not the guest status 99' % rc, out)
    serial = open(os.path.join(tmp, 'serial')).read()
    if 'gdb guest: counter=15 watched=31' not in serial:
        fail('the guest computed something else: ' + serial, out)


def check_stepi(out):
    """x/2i $pc, stepi, p/x $pc: the pc is now the second instruction's."""
    m = re.search(r'=> 0x([0-9a-f]+) <[^>]*>:\t[^\n]*\n\s+0x([0-9a-f]+) <', out)
    if not m:
        fail('no x/2i output', out)
    after = re.search(r'STEPI-PC (?:\$\d+ = )?0x([0-9a-f]+)', out)
    if not after or int(after.group(1), 16) != int(m.group(2), 16):
        fail('stepi did not move the pc from 0x%s by one instruction to 0x%s'
             % (m.group(1), m.group(2)), out)

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

if a.case == 'apbreak':
    p = start(['-gdb', 'unix:' + sock])
    wait_for(sock, p)
    out = run_gdb(['set pagination off', 'file ' + (a.symbols or a.kernel),
                   'target remote ' + sock, 'hbreak smp_ap_main', 'continue',
                   'p $_thread', 'info threads', 'kill'], timeout=30)
    p.kill(); p.wait()
    check_all(out, [
        (r'^Thread 2 hit (Hardware assisted )?[Bb]reakpoint 1, .*smp_ap_main', 'CPU 1 hits as thread 2'),
        (r'^\$1 = 2$', 'gdb is on thread 2 after the stop'),
        (r'^\*\s+2\s+Thread 2 \(CPU#1 \[running\]\)', 'info threads marks thread 2'),
    ])
    print('PASS'); sys.exit(0)

if a.case == 'watch' and a.accel == 'kvm':
    why = kvm_probe_data_breakpoint()
    if why:
        print('SKIP:', why); sys.exit(77)

p = start(['-gdb', 'unix:' + sock], paused=a.case != 'debug64')
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
    # duet refuses by closing: depending on timing the close is seen by the
    # send (EPIPE), by the receive (reset) or as end of file.
    try:
        s2.sendall(b'$?#3f')
        data = s2.recv(100)
    except socket.timeout:
        data = b'(timeout)'
    except (ConnectionResetError, BrokenPipeError):
        data = b''  # closed on us: refused
    out = g.communicate(timeout=30)[0]
    p.wait(timeout=30)
    print(out)
    if data != b'':
        fail('a second client got %r instead of being closed' % data)
    if 'eip ' not in out:
        fail('the first client lost its session', out)
    print('PASS'); sys.exit(0)

syms = a.symbols or a.kernel
pre = ['set pagination off', 'file ' + syms, 'target remote ' + sock]
if a.case in ('debug', 'debug64'):
    wide = a.case == 'debug64'
    pc = 'rip' if wide else 'eip'
    # 32-bit: -S, so the first stop is at guest_main's start (hbreak);
    # 64-bit: attached in guest_main's wait loop, so both breakpoints are
    # on gdb_target_add, the second at its second call.
    first = 'gdb_target_add' if wide else 'guest_main'
    cmds = pre + (['set var gdb_go = 1'] if wide else []) + [
        'hbreak ' + first, 'continue', 'delete',
        'break gdb_target_add', 'continue',
        'info registers ' + pc, 'print gdb_counter', 'print gdb_watched',
        'x/2i $pc', 'stepi', 'printf "STEPI-PC 0x%lx\\n", $pc', 'delete',
        'finish', 'printf "FINISH-PC 0x%lx\\n", $pc', 'next',
        'printf "NEXT-PC 0x%lx\\n", $pc',
        # inserted into code that has run (and been cached) already
        'tbreak gdb_target_add', 'continue', 'continue']
    out = run_gdb(cmds)
    rc = p.wait(timeout=30)
    print(out)
    a0 = 5 if wide else 0
    check_all(out, [
        (r'^Hardware assisted breakpoint 1 at', 'hbreak (Z1)'),
        (r'^Breakpoint 1, (0x[0-9a-f]+ in )?%s \(' % first, 'stop at the hardware breakpoint'),
        (r'^Breakpoint 2, gdb_target_add \(a=%d, b=(b@entry=)?5\)' % a0,
         'stop at the software breakpoint'),
        (r'^%s\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <gdb_target_add>' % pc, 'the pc is at the function'),
        (r'^\$1 = %d$' % a0, 'print a variable'),
        (r'^\$2 = 7$', 'print an initialised variable'),
        (r'^Value returned is \$\d+ = %d$' % (a0 + 5), 'finish returns the value'),
        (r'^Temporary breakpoint 3, gdb_target_add \(a=%d, b=(b@entry=)?5\)' % (a0 + 5),
         'a breakpoint inserted into code that ran already'),
    ])
    check_stepi(out)
    fin = re.search(r'FINISH-PC 0x([0-9a-f]+)', out)
    nxt = re.search(r'NEXT-PC 0x([0-9a-f]+)', out)
    if not fin or not nxt or fin.group(1) == nxt.group(1):
        fail('next did not move the pc', out)
    if not re.search(r'NEXT-PC|^\d+\t', out.split('FINISH-PC')[1], re.M):
        fail('next printed no source line', out)
    check_exit(out, rc)
    print('PASS'); sys.exit(0)

if a.case == 'watch':
    other = 'rwatch' if a.accel == 'tcg' else 'awatch'
    cmds = pre + ['watch gdb_watched', 'continue', 'continue', 'delete',
                  other + ' gdb_counter', 'continue', 'delete', 'continue']
    out = run_gdb(cmds)
    rc = p.wait(timeout=30)
    print(out)
    check_all(out, [
        (r'^Hardware watchpoint 1: gdb_watched', 'watch (Z2)'),
        (r'Old value = 7\nNew value = 30', 'the first write'),
        (r'Old value = 30\nNew value = 31', 'the second write'),
        (r'^Hardware (read|access \(read/write\)) watchpoint 2: gdb_counter', other),
        (r'^Value = 15$', other + ' stops at the read'),
    ])
    check_exit(out, rc)
    print('PASS'); sys.exit(0)

if a.case in ('packets', 'threads'):
    c = socket.socket(socket.AF_UNIX); c.connect(sock); c.settimeout(10)
    buf = b''

    def reply(payload):
        global buf
        cs = sum(payload.encode()) & 0xff
        c.sendall(b'$%s#%02x' % (payload.encode(), cs))
        while True:
            m = re.search(rb'\$([^#]*)#[0-9a-f]{2}', buf)
            if m:
                buf = buf[m.end():]
                return m.group(1).decode()
            data = c.recv(4096)
            if not data:
                fail('the stub closed the session after %r' % payload)
            buf += data

    reply('QStartNoAckMode'); buf = b''
    entry = 0x10000c  # the Multiboot entry (-S: the first instruction)
    if a.case == 'threads':
        def expect(pkt, want):
            got = reply(pkt)
            if got != want:
                fail('%r answered %r, not %r' % (pkt, got, want))
        def eip():
            return struct.unpack('<I', bytes.fromhex(reply('p8')))[0]
        # one thread a packet, as QEMU 7.2 answers (its replies, by raw
        # packets to qemu-system-x86_64 -smp 2 -S)
        # -S: '?' is SIGTRAP, as QEMU 7.2 answers (not the SIGINT of a ^C stop)
        for pkt, want in [('?', 'T05thread:01;'), ('qfThreadInfo', 'm01'), ('qsThreadInfo', 'm02'),
                          ('qsThreadInfo', 'l'), ('qC', 'QC01'), ('T1', 'OK'),
                          ('T2', 'OK'), ('T3', 'E22'), ('T0', 'OK'), ('Tzz', 'E22'),
                          ('Hg3', 'E22'), ('Hc3', 'E22'), ('Hgzz', 'E22')]:
            expect(pkt, want)
        info = bytes.fromhex(reply('qThreadExtraInfo,2')).decode()
        if not re.fullmatch(r'CPU#1 \[(running|halted )\]', info):
            fail('qThreadExtraInfo,2 is %r' % info)
        if eip() != entry:
            fail('CPU 0 is not at the entry')
        expect('Hg2', 'OK'); expect('qC', 'QC01')
        # the AP waits for SIPI at its reset state (SDM Vol. 3A 9.1.1):
        # CS.base ffff0000, EIP fff0
        if eip() != 0xfff0:
            fail('CPU 1 eip is 0x%x, not 0xfff0' % eip())
        if len(reply('g')) < 8 * 16:
            fail('g on CPU 1 is short')
        expect('P0=78563412', 'OK')
        expect('p0', '78563412')
        expect('Hg1', 'OK')
        if reply('p0') == '78563412' or eip() != entry:
            fail('a write through Hg2 reached CPU 0')
        expect('Hg-1', 'OK'); expect('qC', 'QC01')
        # qC is always the first thread; '?' names Hc's (QEMU 7.2)
        expect('Hc2', 'OK'); expect('qC', 'QC01')
        if reply('?') != 'T05thread:02;':
            fail('? after Hc2 does not name thread 2')
        expect('Hc1', 'OK')
        # vCont: per-thread actions; thread 3 does not exist; s:1 steps CPU 0
        expect('vCont;c:3', 'E22')
        expect('vCont;s:1;c:2', 'T05thread:01;')
        if eip() != entry + 1:
            fail('vCont;s:1 did not step CPU 0 by one instruction')
        # '?' names the vCPU that stopped (it became Hc's), not Hg's
        expect('Hg2', 'OK')
        expect('?', 'T05thread:01;')
        expect('qC', 'QC01')
        c.close()
        p.kill(); p.wait()
        # a real gdb: info threads lists both vCPUs
        p = start(['-gdb', 'unix:' + sock])
        wait_for(sock, p)
        out = run_gdb(['set pagination off', 'target remote ' + sock, 'info threads',
                       'thread 2', 'p/x $eip', 'thread 1', 'p/x $eip', 'kill'])
        p.kill(); p.wait()
        check_all(out, [
            (r'^\*\s+1\s+Thread 1\b.*CPU#0', 'info threads lists thread 1 (CPU#0)'),
            (r'^\s+2\s+Thread 2\b.*CPU#1', 'info threads lists thread 2 (CPU#1)'),
            (r'^\$1 = 0xfff0$', 'thread 2 reads CPU 1 (eip fff0)'),
            (r'^\$2 = 0x%x$' % entry, 'thread 1 reads CPU 0 at the entry'),
        ])
        print('PASS'); sys.exit(0)
    bad = {'Z0': 'E01', 'Z0,': 'E01', 'Z0,10000c': 'E01', 'Z0,10000c,': 'E01',
           'Z0,zz,1': 'E01', 'Z0,10000c,1;X1,0': 'E01', 'Z0,10000c,1,': 'E01',
           'Z': 'E01', 'Z9,1000,1': '', 'Z2,1000,0': 'E22',
           'Z2,ffffffffffffffff,8': 'E22', 'Z0,11111111111111111,1': 'E01',
           'z0,10000c,1': 'E22', 'z2,1000': 'E01', 'z': 'E01',
           's1x': 'E01', 'sz': 'E01', 'c,': 'E01',
           'vCont': 'E01', 'vCont;': 'E01', 'vCont;x': 'E01', 'vCont;c:': 'E01',
           'vCont;c:zz': 'E01', 'vCont;Cxx': 'E01', 'vCont;c;;s': 'E01',
           'vCont;c:2': 'E22', 'vCont;s:p2.1': 'E22', 'vCont;c:1x': 'E01'}
    for pkt, want in bad.items():
        got = reply(pkt)
        if got != want:
            fail('%r answered %r, not %r' % (pkt, got, want))
    if reply('vCont?') != 'vCont;c;C;s;S':
        fail('vCont? does not offer c, C, s, S')
    # a step of exactly one instruction: cli (1 byte) at the entry
    if reply('s') != 'T05thread:01;':
        fail('s did not stop with T05')
    eip = struct.unpack('<I', bytes.fromhex(reply('p8')))[0]
    if eip != entry + 1:
        fail('after s the pc is 0x%x, not 0x%x' % (eip, entry + 1))
    # the leftmost action matching thread 1 applies
    if reply('vCont;c:2;s:p1.1;c') != 'T05thread:01;':
        fail('vCont;c:2;s:p1.1;c did not step')
    eip2 = struct.unpack('<I', bytes.fromhex(reply('p8')))[0]
    if eip2 <= eip or eip2 > eip + 15:
        fail('vCont;s did not move the pc by one instruction (0x%x -> 0x%x)' % (eip, eip2))
    # a software breakpoint a few instructions on, found with the step;
    # memory reads under it show the instruction, not the int3 (KVM), and
    # a write there keeps the breakpoint
    code = reply('m%x,4' % eip2)
    if reply('Z0,%x,1' % (eip2,)) != 'OK' or reply('Z0,%x,1' % (eip2,)) != 'OK':
        fail('Z0 (twice: the second adds nothing) was refused')
    if reply('m%x,4' % eip2) != code:
        fail('memory under a breakpoint reads %s, not %s' % (reply('m%x,4' % eip2), code))
    if reply('M%x,1:%s' % (eip2, code[:2])) != 'OK' or reply('m%x,4' % eip2) != code:
        fail('a write under a breakpoint changed what it reads')
    if reply('c') != 'T05thread:01;':
        fail('c did not stop at the breakpoint')
    if struct.unpack('<I', bytes.fromhex(reply('p8')))[0] != eip2:
        fail('the breakpoint stop is not at 0x%x' % eip2)
    if reply('z0,%x,1' % eip2) != 'OK' or reply('z0,%x,1' % eip2) != 'E22':
        fail('z0 removed the same breakpoint twice')
    if reply('m%x,4' % eip2) != code:
        fail('the breakpoint left %s behind, not %s' % (reply('m%x,4' % eip2), code))
    if reply('?') != 'T05thread:01;':
        fail('the session did not go on')
    if reply('vCont;c') != 'W63':
        fail('vCont;c did not run to the exit')
    c.close()
    rc = p.wait(timeout=30)
    if rc != 99:
        fail('duet exited %d' % rc)
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
