#!/usr/bin/env python3
"""Images whose metadata is too damaged for a normal open (refcount table
past the end of the file, L1 table on the refcount table or on the header,
the file truncated inside its metadata): duet-img check, check -r leaks and
check -r all open them as qemu-img does and must print what qemu-img 7.2
prints, byte for byte (program and file names replaced), with the same
exit status; the images left behind must then check the same.

Four of the cases go through qemu-img's refcount rebuild ("Rebuilding
refcount structure"): the new blocks and table must land where qemu-img
puts them for the checks afterwards to agree.  A case listed in REBUILD
would be one known to differ (it must then differ); none is.

usage: qcow2_open_damage.py DUET_IMG
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile


def base_image(path):
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', path, '16M'], check=True)
    subprocess.run(['qemu-io', '-f', 'qcow2', '-c', 'write -P 0x33 0 256k', '-c',
                    'write -P 0x44 4M 64k', path], check=True, capture_output=True)


def header(path):
    with open(path, 'rb') as f:
        h = f.read(72)
    f = struct.unpack('>IIQIIQIIQQIIQ', h)
    return {'l1_offset': f[8], 'rt_offset': f[9]}


def put(path, off, fmt, value):
    with open(path, 'r+b') as f:
        f.seek(off)
        f.write(struct.pack(fmt, value))


def u64(path, off):
    with open(path, 'rb') as f:
        f.seek(off)
        return struct.unpack('>Q', f.read(8))[0]


# Each patches a fresh image (header fields: spec "Header", offsets 40/48).
def rt_past_eof(p, h):
    put(p, 48, '>Q', 0x1000000)


def l1_on_refcount_table(p, h):
    put(p, 40, '>Q', h['rt_offset'])


def l1_on_header(p, h):
    put(p, 40, '>Q', 0)


def truncated_in_l2(p, h):
    os.truncate(p, (u64(p, h['l1_offset']) & 0x00FFFFFFFFFFFE00) + 4096)


def truncated_in_refblock(p, h):
    os.truncate(p, u64(p, h['rt_offset']) + 100)


def truncated_in_refblock_l1_kept(p, h):
    # the refcount block cut short while the tables behind it stay in place
    rb = u64(p, h['rt_offset'])
    with open(p, 'r+b') as f:
        f.seek(rb + 8)
        f.write(bytes(65536 - 8))


CASES = [rt_past_eof, l1_on_refcount_table, l1_on_header, truncated_in_l2,
         truncated_in_refblock, truncated_in_refblock_l1_kept]
MODES = [[], ['-r', 'leaks'], ['-r', 'all']]
REBUILD = set()  # every case matches now


def run(tool, args, cwd):
    p = subprocess.run([tool] + args, capture_output=True, cwd=cwd, timeout=60)
    return p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')


def main():
    duet_img = os.path.abspath(sys.argv[1])
    for prog in ('qemu-img', 'qemu-io'):
        if not shutil.which(prog):
            print('SKIP: %s is not installed (qemu-utils)' % prog)
            return 77
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for damage in CASES:
            pristine = os.path.join(tmp, damage.__name__ + '.qcow2')
            base_image(pristine)
            damage(pristine, header(pristine))
            for mode in MODES:
                name = (damage.__name__, ' '.join(mode))
                out = []
                for tool, prog in (('qemu-img', 'qemu-img'), (duet_img, 'duet-img')):
                    wd = os.path.join(tmp, prog)
                    os.makedirs(wd, exist_ok=True)
                    shutil.copy(pristine, os.path.join(wd, 'img.qcow2'))
                    rc, so, se = run(tool, ['check'] + mode + ['img.qcow2'], wd)
                    after = run('qemu-img', ['check', 'img.qcow2'], wd)
                    out.append((rc, so, se.replace(prog + ':', 'PROG:'), after))
                same = out[0] == out[1]
                if name in REBUILD:
                    ok = not same
                    print('%s %s %s (needs the refcount rebuild: known to differ)' %
                          ('ok  ' if ok else 'FAIL', *name))
                else:
                    ok = same
                    print('%s %s %s' % ('ok  ' if ok else 'FAIL', *name))
                    if not same:
                        for label, a, b in zip(('exit', 'stdout', 'stderr', 'after'),
                                               out[0], out[1]):
                            if a != b:
                                print('  %s:\n--- qemu-img\n%s\n--- duet-img\n%s' %
                                      (label, a, b))
                if not ok:
                    failures.append('%s%s' % (name[0], ('[' + name[1] + ']') if name[1] else ''))
    print('%d failures%s' % (len(failures), (': ' + ' '.join(failures)) if failures else ''))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
