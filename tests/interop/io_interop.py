#!/usr/bin/env python3
"""duet-io against qemu-io 7.2: the same command lines on copies of the
same image must give the same stdout, stderr (program name replaced) and
exit status, after the statistics line's timings are normalised as QEMU's
iotests filter them; 'cmp' cases also require byte-identical images.

usage: io_interop.py DUET_IO CORPUS   (CORPUS: cli | cmds | cmp | slow)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

TIMING = re.compile(r'[0-9]* ops; [0-9/:. sec]* \([0-9/.inf]* [EPTGMKiBbytes]*/sec '
                    r'and [0-9/.inf]* ops/sec\)')
TERSE = re.compile(r'^[0-9]+,[0-9]+,[0-9:.]+,[0-9.inf]+,[0-9.inf]+$', re.M)


NODE_NAME = re.compile(r"'#block[0-9]+'")


def normalise(text, prog):
    text = TIMING.sub('X ops; XX:XX:XX.X (XXX YYY/sec and XXX ops/sec)', text)
    text = TERSE.sub('TERSE', text)
    text = NODE_NAME.sub("'#blockN'", text)  # QEMU's generated names end in random digits
    text = text.replace(prog + ':', 'PROG:').replace(prog + '>', 'PROG>')
    return text.replace("'%s -c help'" % prog, "'PROG -c help'").replace(
        'Usage: %s ' % prog, 'Usage: PROG ')


# (name, qemu-img create args, duet-io/qemu-io args before the file, stdin)
# 'F' in the args stands for the image's path.
def c(*cmds):
    out = []
    for x in cmds:
        out += ['-c', x]
    return out


CMDS = [
    ('write-read', [], c('write -P 0xab 0 4k', 'read -P 0xab 0 4k', 'read -P 0xcd 0 4k')),
    ('dump', [], c('write -P 0x41 0 100', 'read -v 5 20', 'read -v 0x10003 3',
                   'write -P 0x20 200 10', 'read -v 195 20', 'readv -v 0 8 8')),
    ('pattern-range', [], c('write -P 0x41 0 100', 'read -P 0x41 -s 2 -l 3 0 10',
                            'read -P 0x41 -s 2 -l 300 0 10', 'read -P 0x41 -s 20 0 10',
                            'read -l 3 0 10', 'read -P 0x41 -s x 0 1')),
    ('length-info-map', [], c('length', 'info', 'map', 'alloc 0 1M', 'alloc 0', 'alloc 1 1',
                              'alloc 0 0')),
    # requests that complete without waiting for the file (nothing allocated,
    # a zero cluster whose L2 table is cached) report back as one batch,
    # the one submitted last first: QEMU runs a batch of BHs newest first
    ('aio-batch-unallocated', [], c('aio_read 0 4k', 'aio_read 4k 4k', 'aio_read -P 0 8k 4k',
                                    'aio_flush')),
    ('aio-batch-zero-cluster', [], c('write -z 0 64k', 'aio_read 0 1k', 'aio_read 1k 1k',
                                     'aio_read -P 0 2k 2k', 'aio_write -z 4k 1k', 'aio_flush',
                                     'aio_read -v 0 16', 'aio_read 16 16', 'aio_flush')),
    ('dump-characters', [], c('write -P 0x20 0 1', 'write -P 0x21 1 1', 'write -P 0x30 2 1',
                              'write -P 0x5f 3 1', 'write -P 0x7e 4 1', 'write -P 0x7f 5 1',
                              'write -P 0xe9 6 1', 'write -P 0x7a 7 1', 'read -v 0 9')),
    ('aio-read-pattern-quiet', [], c('write -P 1 0 4k', 'aio_read -q -P 3 0 4', 'aio_flush',
                                     'aio_read -q -P 1 0 4', 'aio_flush')),
    ('map-after-writes', [], c('write 0 4k', 'write 192k 64k', 'write -z 512k 64k', 'map',
                               'alloc 0 1M', 'alloc 64k 1M')),
    ('aio', [], c('aio_write -P 1 0 4k', 'aio_flush', 'aio_read -P 1 0 4k', 'aio_flush',
                  'aio_read -P 2 0 4k', 'aio_flush', 'aio_read -v 0 8', 'aio_flush',
                  'aio_write -z 8k 4k', 'aio_flush', 'aio_write -q 16k 1k', 'aio_flush')),
    ('vectors', [], c('writev 16k 512 512', 'readv -P 0xcd 16k 1024', 'readv -P 0 16k 1024',
                      'writev -P 3 0 1k 2k 3k', 'readv -P 3 0 6k', 'readv 0 x')),
    ('terse', [], c('write -C 0 1000', 'read -C 0 1000', 'discard -C 0 64k')),
    ('quiet', [], c('write -q 0 512', 'read -q 0 512', 'read -v -q 0 17', 'discard -q 0 64k')),
    ('discard', [], c('write 0 128k', 'discard 0 64k', 'map', 'discard 2M 64k')),
    ('truncate', [], c('truncate 2M', 'length', 'truncate -m bad 1M', 'truncate x',
                       'truncate', 'truncate -m off 3M', 'length')),
    ('zero-flags', [], c('write -z -P 1 0 1', 'write -u 0 1', 'write -n 0 1',
                         'write -z -u 0 64k', 'write -z -n 0 512', 'write -f 0 1', 'map')),
    ('compressed', [], c('write -c 0 1', 'write -c -P 7 64k 64k', 'read -P 7 64k 64k')),
    ('bad-args', [], c('read -X 0 1', 'read 0', 'read -1 512', 'read 0 -5', 'read 0 1T',
                       'write -P 0x1ff 0 1', 'write -P xx 0 1', 'read 0 0', 'read x 1',
                       'read 0 1 2', 'bogus', 'read', 'sleep', 'sleep x', 'readv 0',
                       'write -b 0 512', 'read -b 0 5', 'read -b 0 512', 'read -a 0 1',
                       'alloc', 'alloc x', 'discard 0 x', 'truncate -1', 'open')),
    ('errors', [], c('read 0 2M', 'write 1M 1', 'read 0 2G', 'discard 1M 64k')),
    ('open-close', [], c('close', 'read 0 1', 'length', 'info', 'open F', 'open F',
                         'length', 'close', 'open -r F', 'write 0 1', 'close')),
    ('help', [], c('help', 'help foo', 'help length', 'help map', 'help ?', '?', 'help l',
                   'help len')),
    ('alt-names', [], c('w 0 512', 'r 0 512', 'l', 'i', 'a 0', 'f', 'd 0 64k', 't 1M', 'r',
                        'len', 'q', 'length')),
    ('quit', [], c('length', 'quit', 'length')),
    ('sleep', [], c('aio_write 0 4k', 'sleep 10', 'length')),
    ('breaks-without-blkdebug', [], c('break write_aio a', 'resume a', 'remove_break a')),
    ('backing', ['-b', 'BASE', '-F', 'qcow2'],
     c('read -P 0x11 0 4k', 'write -P 0x22 1000 3000', 'read -P 0x11 0 1000',
       'read -P 0x22 1000 3000', 'read -P 0x11 4000 60k', 'map', 'alloc 0 128k')),
    ('reopen', [], c('reopen -r', 'write 0 1', 'reopen -w', 'write 0 1', 'reopen -r -w',
                     'reopen x')),
    ('read-only', [], ['-r'] + c('write 0 1', 'aio_write 0 1', 'truncate 1M', 'discard 0 64k',
                                 'read 0 1')),
    # -s: a short file repeats as a pattern; src.bin is 16 KiB, empty.bin empty
    ('write-source', [], c('write -s src.bin 0 64k', 'read -v 16380 8', 'read -P 0 16384 1',
                           'write -s empty.bin 0 4k', 'write -s nonexist 0 4k',
                           'write -s empty.bin -P 1 0 1', 'write -s nonexist 0 x')),
    # -i: the request only counts as invalid; nothing is submitted
    ('aio-invalid', [], c('aio_read -i', 'aio_read -i 0', 'aio_write -i -z -P 1 0 1',
                          'aio_write -i -u 0 1', 'aio_read -i -P 999 0 1', 'aio_read -i -X',
                          'aio_read -X -i 0', 'aio_write -X -i 0 1', 'aio_write -i 0',
                          'aio_flush', 'map')),
    ('reopen-options', [], c('reopen -c bad', 'reopen -r -w', 'reopen -o read-only=off',
                             'reopen -r', 'write 0 1', 'reopen -o read-only=off', 'write 0 1',
                             'reopen -o discard=bad', 'reopen -o detect-zeroes=bad',
                             'reopen -o file.filename=x', 'reopen -o overlap-check=bad',
                             'reopen -o l2-cache-size=1M,foo=1', 'write 0 1')),
    # -o read-only=on keeps the backend's write permission: refused while
    # read-write; -r/-w with -o read-only is refused outright
    ('reopen-read-only-option', [], c('reopen -o read-only=on', 'write 0 1',
                                      'reopen -r -o read-only=off', 'write 0 1',
                                      'reopen -w -o read-only=on', 'reopen -r -o read-only=bad',
                                      'reopen -o read-only=on,foo=bar',
                                      'reopen -o read-only=on,discard=bad',
                                      'reopen -o read-only=on,read-only=off', 'write 0 1',
                                      'reopen -r', 'reopen -o read-only=on', 'write 0 1',
                                      'reopen -o read-only=off', 'write 0 1')),
    ('sigraise-range', [], c('sigraise 66', 'sigraise 4G', 'sigraise 65', 'sigraise 0',
                             'sigraise -1', 'length')),
    ('reopen-keeps-open', [], c('reopen -o file.filename=test.qcow2', 'reopen -o file.aio=native',
                                'reopen -o file.cache.direct=on', 'reopen -o detect-zeroes=on',
                                'reopen -o l2-cache-size=1M', 'reopen -o overlap-check=none',
                                'reopen -o cache.direct=off', 'reopen -o foo=bar,cache.no-flush=on',
                                'reopen -o node-name=x', 'reopen -o auto-read-only=on',
                                'reopen -o force-share=on', 'reopen -o data-file=x',
                                'reopen -o driver=raw', 'reopen -o file.locking=off',
                                'reopen -o discard=unmap', 'reopen -c none', 'write 0 4k',
                                'reopen -c unsafe', 'reopen -c directsync', 'read 0 4k',
                                'reopen -o cache-size=1M,l2-cache-size=2M,refcount-cache-size=2M',
                                'reopen -o l2-cache-size=abc', 'discard 0 64k', 'length')),
    # -b: qcow2 keeps the VM state after the disk
    ('vmstate', [], c('write -P 0x31 0 4k', 'write -b -P 5 0 4k', 'read -b -P 5 0 4k',
                      'read -b -P 0 4k 4k', 'write -b -P 6 1M 512', 'read -b -P 6 1M 512',
                      'read -b -v 1M 16', 'write -b 0 513', 'write -b -f 0 512',
                      'write -b -z 0 512', 'write -b -c 0 512', 'write -b 72057594037927936 512',
                      'map', 'alloc 0 1M')),
    ('compressed-zero', [], c('write -c -z 0 64k', 'map', 'write -f -c 0 64k', 'write -c -f 0 1')),
    ('quit-args', [], c('quit x y', 'length')),
    ('aio-zero-lengths', [], c('aio_write -z 0 1 2', 'aio_write -z 0 64k', 'aio_flush', 'map')),
    ('node-options', [], c('close', 'open -o cache.direct=on test.qcow2', 'length', 'close',
                           'open -o cache.direct=x test.qcow2', 'open -o read-only=x test.qcow2',
                           'open -o read-only=on test.qcow2', 'open -r -o read-only=off test.qcow2',
                           'write 0 1', 'close', 'open -o detect-zeroes=bad test.qcow2',
                           'open -o lazy-refcounts=on,pass-discard-request=off test.qcow2',
                           'length', 'close', 'open -o pass-discard-request=x test.qcow2',
                           'open -o l2-cache-entry-size=100 test.qcow2',
                           'open -o l2-cache-entry-size=128k test.qcow2',
                           'open -o cache-clean-interval=-1 test.qcow2',
                           'open -o cache-clean-interval=x test.qcow2',
                           'open -o cache-clean-interval=4294967296 test.qcow2',
                           'open -o overlap-check.template=foo test.qcow2',
                           'open -o overlap-check.l1=x test.qcow2',
                           'open -o overlap-check.main-header=x test.qcow2',
                           'open -o overlap-check.bitmap-directory=on,overlap-check.template=none'
                           ' test.qcow2', 'length', 'close',
                           'open -o cache-clean-interval=10,l2-cache-entry-size=4k test.qcow2',
                           'length')),
    ('lazy-v2', [], c('close', 'open -o lazy-refcounts=on v2.qcow2', 'length')),
    ('short-form-booleans', [], c('close', 'open -o noread-only test.qcow2', 'length', 'close',
                                  'open -o read-only,lazy-refcounts test.qcow2',
                                  'open -o bad test.qcow2',
                                  'open -o driver=qcow2,file.filename=test.qcow2,bad',
                                  'open -o l2-cache-size=1M,,x test.qcow2',
                                  'open -o driver=qcow2,file.filename=test.qcow2,nolazy-refcounts',
                                  'length', 'reopen -o nolazy-refcounts', 'reopen -o foo',
                                  'length')),
    ('open-native-aio', [], c('close', 'open -k test.qcow2', 'length', 'open -k -n test.qcow2',
                              'length', 'close', 'open -d bad test.qcow2', 'length')),
]

CLI = [
    ('usage', None, ['-h']),
    ('bad-option', None, ['-Z']),
    ('two-files', None, ['F', 'F']),
    ('bad-format', None, ['-f', 'foo', 'F']),
    ('bad-cache', None, ['-t', 'bad', 'F']),
    ('bad-aio', None, ['-i', 'bad', 'F']),
    ('no-file', None, ['-c', 'length', 'NOFILE']),
    ('no-file-interactive', None, ['NOFILE']),
    ('format-raw', None, ['-f', 'raw', '-c', 'length', '-c', 'info', 'RAW']),
    ('probed-raw', None, ['-c', 'length', 'RAW']),
    ('cache-modes', None, ['-t', 'none', '-c', 'write 0 4k', '-t', 'writeback', 'F']),
    ('nocache', None, ['-n', '-c', 'write 0 4k', '-c', 'read -P 0xcd 0 4k', 'F']),
    ('image-opts', None, ['--image-opts', '-c', 'length',
                          'driver=qcow2,file.filename=F']),
    ('image-opts-format', None, ['--image-opts', '-f', 'qcow2', 'F']),
    ('force-share', None, ['-U', '-r', '-c', 'length', 'F']),
    ('options-after-file', None, ['F', '-c', 'length']),
    ('prompt', 'length\nread 0 512\n\nbogus\nquit\nlength\n', ['F']),
    ('prompt-no-newline', 'length', ['F']),
    ('prompt-open', 'length\nopen F\nlength\n', []),
    ('prompt-empty', '', []),
    ('image-opts-bad-discard', None, ['--image-opts', '-c', 'length',
                                      'driver=qcow2,file.filename=F,discard=bad']),
    ('image-opts-bad-overlap', None, ['--image-opts', '-c', 'length',
                                      'driver=qcow2,file.filename=F,overlap-check=bad']),
    ('image-opts-three-caches', None, ['--image-opts', '-c', 'length',
                                       'driver=qcow2,file.filename=F,cache-size=1M,'
                                       'l2-cache-size=64k,refcount-cache-size=64k']),
    ('null-co-aio-batch', None, ['--image-opts', '-c', 'aio_write 0 4k', '-c', 'aio_write -z 4k 4k',
                                 '-c', 'aio_read 8k 4k', '-c', 'aio_flush', '-c', 'aio_read 0 512',
                                 '-c', 'aio_read 512 512', '-c', 'aio_flush', 'driver=null-co']),
    ('bad-discard', None, ['-d', 'bad', '-c', 'length', 'F']),
    ('image-opts-bad-size', None, ['--image-opts', '-c', 'length',
                                   'driver=qcow2,file.filename=F,cache-size=x']),
]

# Sequences whose images must come out byte-identical (qcow2 layout).
CMP = [
    ('fresh', '1G', [], c('write -P 0xab 0 4k')),
    ('several', '1M', [], c('write 0 4k', 'write 64k 4k', 'write 8k 1k', 'write 1000 10000')),
    ('spread', '1G', [], c('write 0 4k', 'write 600M 4k', 'write 300k 200k')),
    ('overwrite', '1M', [], c('write -P 1 0 128k', 'write -P 2 4k 4k', 'write -P 3 60k 8k')),
    ('discard-realloc', '1G', [], c('write 0 4k', 'discard 0 64k', 'write 128M 64k')),
    ('discard-more', '1G', [], c('write 0 128k', 'discard 0 64k', 'write 1M 64k',
                                 'write -z -u 64k 64k', 'write 5M 4k')),
    ('discard-empty', '1G', [], c('discard 0 64k', 'discard 512M 64k',
                                  'write -z -u 128M 64k')),
    ('zeroes', '1G', [], c('write -z 256M 64k', 'write 0 64k', 'write -z 0 64k')),
    ('cow-backing', '4M', ['-b', 'BASE', '-F', 'qcow2'],
     c('write -P 0x22 1000 3000', 'write 60k 8k', 'discard 0 64k', 'write 200k 100',
       'write -z 1M 4k')),
    ('refblock-growth', '1M', ['-o', 'cluster_size=512'], c('write 0 200k')),
    ('refblock-growth-more', '64M', ['-o', 'cluster_size=512'],
     c('write 0 1M', 'write 40M 4k', 'write 60M 4k')),
    ('l1-growth', '1M', ['-o', 'cluster_size=512'],
     c('write 0 4k', 'truncate 64M', 'write 60M 4k')),
    ('l1-growth-64k', '1G', [], c('write 0 4k', 'truncate 8G', 'write 7G 4k')),
    ('aio', '64M', [], c('aio_write 0 4k', 'aio_flush', 'aio_write 1M 4k', 'aio_flush',
                         'aio_write 40M 64k', 'aio_flush')),
    ('vmstate', '1M', [], c('write 0 4k', 'write -b -P 5 0 4k', 'write -b 1M 512',
                            'write -b 600M 64k')),
    ('vmstate-small-clusters', '1M', ['-o', 'cluster_size=512'],
     c('write -b 0 4k', 'write 0 4k', 'write -b 70k 4k')),
    # a guest discard punches the freed cluster in the file (discard=unmap,
    # pass-discard-request); discard=ignore drops the request
    ('discard-punch', '1M', [], c('write -P 1 0 64k', 'write -P 2 64k 64k', 'discard 0 64k')),
    ('discard-ignore', '1M', [], ['-d', 'ignore'] + c('write -P 1 0 64k', 'write -P 2 64k 64k',
                                                     'discard 0 64k', 'write -z -u 64k 64k')),
    ('discard-no-pass', '1M', [], ['--image-opts'] +
     c('write -P 1 0 64k', 'write -P 2 64k 64k', 'discard 0 64k') +
     ['driver=qcow2,pass-discard-request=off,file.filename=']),
    ('discard-other', '1M', [], ['--image-opts'] +
     c('write -c -P 1 0 64k', 'write -P 2 0 64k', 'write -P 3 64k 64k', 'write -z -u 64k 64k') +
     ['driver=qcow2,pass-discard-other=on,file.filename=']),
    # sub-cluster zero writes: a cluster that reads as zeros becomes a zero
    # cluster whole; one with data gets a buffer of zeros
    ('zero-partial', '1M', [], c('write -z 128k 4k', 'write -z 288k 64k', 'write -P 1 0 4k',
                                 'write -z 4k 4k', 'write -P 0 400k 4k', 'write -z 396k 4k',
                                 'write -z 1000k 24k')),
    ('zero-partial-v2', '1M', ['-o', 'compat=0.10'],
     c('write -z 128k 4k', 'write -P 1 0 4k', 'write -z 4k 100k')),
    ('detect-zeroes', '1M', [], ['--image-opts'] +
     c('write -P 1 0 128k', 'write -P 0 0 64k', 'write -P 0 128k 4k', 'write -P 0 512k 64k') +
     ['driver=qcow2,detect-zeroes=unmap,file.filename=']),
    ('compressed', '1G', [], c('write -c -P 1 0 64k', 'write -c 64k 64k', 'write -c -P 3 256k 64k',
                               'write 128k 4k', 'write -P 2 0 64k', 'write -c 600M 64k')),
    ('lazy-refcounts', '1M', [], ['--image-opts'] + c('write -P 1 0 128k', 'discard 0 64k') +
     ['driver=qcow2,lazy-refcounts=on,file.filename=']),
]


def run(tool, args, stdin, cwd):
    p = subprocess.run([tool] + args, input=(stdin or '').encode(), capture_output=True,
                       cwd=cwd, timeout=120)
    return p.returncode, p.stdout.decode(errors='replace'), p.stderr.decode(errors='replace')


def subst(args, img, base, raw):
    out = []
    for a in args:
        a = a.replace('BASE', base).replace('RAW', raw).replace('NOFILE', 'nonexist.img')
        out.append(img if a == 'F' else a.replace('=F', '=' + img).replace(' F', ' ' + img))
    return out


def compare(name, results, failures):
    (qrc, qout, qerr), (drc, dout, derr) = results
    q = (qrc, normalise(qout, 'qemu-io'), normalise(qerr, 'qemu-io'))
    d = (drc, normalise(dout, 'duet-io'), normalise(derr, 'duet-io'))
    if q != d:
        failures.append(name)
        print('FAIL %s' % name)
        for label, a, b in (('exit', q[0], d[0]), ('stdout', q[1], d[1]),
                            ('stderr', q[2], d[2])):
            if a != b:
                print('  %s:\n--- qemu-io\n%s\n--- duet-io\n%s' % (label, a, b))
    else:
        print('ok   %s' % name)


def main():
    duet_io, corpus = os.path.abspath(sys.argv[1]), sys.argv[2]
    for prog in ('qemu-io', 'qemu-img'):
        if not shutil.which(prog):
            print('SKIP: %s is not installed (qemu-utils)' % prog)
            return 77
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, 'base.qcow2')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', base, '4M'], check=True)
        subprocess.run(['qemu-io', '-c', 'write -P 0x11 0 4M', base], check=True,
                       capture_output=True)
        raw = os.path.join(tmp, 'r.raw')
        with open(raw, 'wb') as f:
            f.truncate(1536 * 1024)
        for sub in ('q', 'd'):
            os.mkdir(os.path.join(tmp, sub))
            with open(os.path.join(tmp, sub, 'src.bin'), 'wb') as f:
                f.write(bytes(range(256)) * 64)
            open(os.path.join(tmp, sub, 'empty.bin'), 'wb').close()
            subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-o', 'compat=0.10',
                            os.path.join(tmp, sub, 'v2.qcow2'), '1M'], check=True)
        if corpus in ('cmds', 'cli', 'slow'):
            # CMDS cases run on the image, which CLI cases name themselves
            for name, create, args, *stdin in ([(n, cr, a + ['F'], *r) for n, cr, a, *r in CMDS]
                                               if corpus != 'cli' else
                                               [(n, [], a, s) for n, s, a in CLI]):
                results = []
                for sub, tool in (('q', 'qemu-io'), ('d', duet_io)):
                    wd = os.path.join(tmp, sub)
                    img = os.path.join(wd, 'test.qcow2')
                    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2'] +
                                   [base if a == 'BASE' else a for a in create] +
                                   [img, '1M'], check=True)
                    results.append(run(tool, subst(args, 'test.qcow2', base, raw),
                                       stdin[0] if stdin else None, wd))
                compare(name, results, failures)
        if corpus in ('cmp', 'slow'):
            for name, size, create, args in CMP:
                imgs = []
                for sub, tool in (('q', 'qemu-io'), ('d', duet_io)):
                    img = os.path.join(tmp, sub, 'cmp.qcow2')
                    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2'] +
                                   [base if a == 'BASE' else a for a in create] +
                                   [img, size], check=True)
                    if args and args[-1].endswith('file.filename='):
                        cmd = args[:-1] + [args[-1] + img]
                    else:
                        cmd = args + [img]
                    rc, out, err = run(tool, cmd, None, tmp)
                    imgs.append(img)
                same = open(imgs[0], 'rb').read() == open(imgs[1], 'rb').read()
                print('%s cmp-%s' % ('ok  ' if same else 'FAIL', name))
                if not same:
                    failures.append('cmp-' + name)
    print('%d failures%s' % (len(failures), (': ' + ' '.join(failures)) if failures else ''))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
