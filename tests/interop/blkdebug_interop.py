#!/usr/bin/env python3
"""duet-io over blkdebug and null-co/null-aio against qemu-io 7.2: the same
command lines (injected errors at qcow2's events, set-state, breakpoints,
config file errors) on copies of the same image give the same stdout,
stderr and exit status; afterwards qemu-img check says the same about both
images (an error may leak clusters, as QEMU's does, but never corrupts).

usage: blkdebug_interop.py DUET_IO
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from io_interop import c, compare, normalise, run  # noqa: E402


def inject(event, **kw):
    lines = ['[inject-error]', 'event = "%s"' % event]
    lines += ['%s = "%s"' % (k, v) for k, v in kw.items()]
    return '\n'.join(lines) + '\n'


def set_state(event, state, new_state):
    return '[set-state]\nevent = "%s"\nstate = "%d"\nnew_state = "%d"\n' % (
        event, state, new_state)


BD = 'blkdebug:bd.conf:test.qcow2'
RW = c('write -P 1 0 4k', 'write -P 2 64k 4k', 'write -P 3 1M 4k', 'read -P 1 0 4k',
       'read -P 2 64k 4k', 'map')

# (name, qemu-img create options, image size, config text, duet-io/qemu-io args)
CASES = [
    ('l2_update-once', [], '4M', inject('l2_update', once='on'), c('write -P 1 0 4k') + RW[2:]
     + [BD]),
    ('l2_update-sticky', [], '4M', inject('l2_update', errno='28'),
     RW + c('flush', 'discard 0 64k', 'write -z 0 4k') + [BD]),
    ('l2_update-immediately', [], '4M', inject('l2_update', once='on', immediately='on'),
     RW + [BD]),
    ('l1_update', [], '4M', inject('l1_update', once='on'), RW + [BD]),
    ('l2_alloc_write', [], '4M', inject('l2_alloc_write', once='on', errno='28'), RW + [BD]),
    ('write_aio-sector', [], '4M', inject('write_aio', sector='256', immediately='on'),
     RW + [BD]),
    ('write_aio-once', [], '4M', inject('write_aio', once='on'), RW + [BD]),
    ('cluster_alloc', [], '4M', inject('cluster_alloc', once='on'), RW + [BD]),
    ('cluster_alloc_space', [], '4M', inject('cluster_alloc_space', once='on'), RW + [BD]),
    ('read_aio', [], '4M', inject('read_aio', once='on'),
     c('write -P 1 0 4k', 'read -P 1 0 4k', 'read -P 1 0 4k') + [BD]),
    ('read_aio-iotype-write', [], '4M', inject('read_aio', iotype='write'),
     c('write -P 1 0 4k', 'read -P 1 0 4k', 'write -P 2 0 4k', 'read -P 1 0 4k') + [BD]),
    # the raw format passes read_aio/write_aio to its file child, as QEMU's
    ('raw-read_aio-sector', [], '4M', inject('read_aio', sector='8'),
     c('read 0 512', 'read 4096 512', 'read 3584 1k', 'read 8k 512') + ['-f', 'raw', BD]),
    ('raw-write_aio-once', [], '4M', inject('write_aio', errno='28', once='on'),
     c('write -P 7 2M 512', 'write -P 7 2M 512', 'read -P 7 2M 512') + ['-f', 'raw', BD]),
    ('refblock_alloc', ['-o', 'cluster_size=512'], '1M', inject('refblock_alloc', once='on'),
     c('write 0 200k', 'write 300k 4k', 'map') + [BD]),
    ('refblock_alloc_write', ['-o', 'cluster_size=512'], '1M',
     inject('refblock_alloc_write', once='on'), c('write 0 200k', 'write 300k 4k') + [BD]),
    ('refblock_alloc_hookup', ['-o', 'cluster_size=512'], '1M',
     inject('refblock_alloc_hookup', once='on'), c('write 0 200k', 'write 300k 4k') + [BD]),
    ('refblock_update_part', [], '4M', inject('refblock_update_part', once='on'), RW + [BD]),
    ('flush_to_disk', [], '4M', inject('flush_to_disk', once='on'),
     c('write -P 1 0 4k', 'flush', 'write -P 2 64k 4k', 'flush', 'read -P 1 0 4k') + [BD]),
    ('flush_to_os-writethrough', [], '4M', inject('flush_to_os'),
     c('write 0 4k', 'flush', 'map', 'read 0 4k', 'discard 0 4k', 'alloc 0 4k') + [BD]),
    ('set-state', [], '4M',
     set_state('l2_alloc_write', 1, 2) + inject('write_aio', state='2', once='on'),
     RW + [BD]),
    ('set-state-not-reached', [], '4M',
     set_state('l2_alloc_write', 3, 2) + inject('write_aio', state='2', once='on'),
     RW + [BD]),
    ('writeback-close', [], '4M', inject('l2_update', errno='5'),
     ['-t', 'writeback'] + c('write -P 1 0 4k', 'write -P 2 64k 4k') + [BD]),
    ('image-opts', [], '4M', inject('l2_update', once='on'),
     ['--image-opts'] + RW +
     ['driver=qcow2,file.driver=blkdebug,file.config=bd.conf,file.image.filename=test.qcow2']),
    ('empty-config', [], '4M', None, RW + ['blkdebug::test.qcow2']),
    # breakpoints
    ('break-resume', [], '4M', '',
     c('break l2_update A', 'aio_write -P 1 0 4k', 'wait_break A', 'resume A', 'aio_flush',
       'read -P 1 0 4k') + [BD]),
    ('break-write_aio', [], '4M', '',
     c('break write_aio A', 'aio_write -P 1 0 4k', 'wait_break A', 'resume A',
       'aio_flush', 'break write_aio B', 'aio_write -P 2 0 4k', 'wait_break B',
       'resume B', 'aio_flush', 'read -P 2 0 4k') + [BD]),
    ('break-remove', [], '4M', '',
     c('break write_aio A', 'aio_write 0 4k', 'wait_break A', 'remove_break A',
       'aio_flush', 'break write_aio C', 'remove_break C', 'write 128k 4k') + [BD]),
    ('break-errors', [], '4M', '',
     c('break nosuch B', 'resume X', 'remove_break X', 'break l2_update', 'resume') + [BD]),
    ('break-no-blkdebug', [], '4M', None, c('break l2_update A', 'resume A') + ['test.qcow2']),
    # config files qemu-io refuses
    ('conf-missing', [], '4M', None, c('length') + ['blkdebug:nosuch.conf:test.qcow2']),
    ('conf-bad-event', [], '4M', inject('bogus'), c('length') + [BD]),
    ('conf-no-event', [], '4M', '[inject-error]\nerrno = "5"\n', c('length') + [BD]),
    ('conf-bad-group', [], '4M', '[foo]\nx = "5"\n', c('length') + [BD]),
    ('conf-no-group', [], '4M', 'event = "l2_update"\n', c('length') + [BD]),
    ('conf-bad-key', [], '4M', inject('l2_update', foo='1'), c('length') + [BD]),
    ('conf-bad-errno', [], '4M', inject('l2_update', errno='abc'), c('length') + [BD]),
    ('conf-bad-once', [], '4M', inject('l2_update', once='maybe'), c('length') + [BD]),
    ('conf-bad-new-state', [], '4M',
     '[set-state]\nevent = "l2_update"\nnew_state = "x"\n', c('length') + [BD]),
    ('conf-bad-iotype', [], '4M', inject('l2_update', iotype='bogus'), c('length') + [BD]),
    ('conf-no-quotes', [], '4M', '[inject-error]\nevent = l2_update\n', c('length') + [BD]),
    ('conf-no-spaces', [], '4M', '[inject-error]\nevent = "l2_update"\nonce="on"\n',
     c('length') + [BD]),
    ('conf-unclosed-group', [], '4M', '[inject-error\nevent = "l2_update"\n',
     c('length') + [BD]),
    ('conf-comments', [], '4M', '# a rule\n\n[inject-error]\n  event   =   "l2_update"\n',
     RW[:1] + [BD]),
    # null drivers
    ('null-co', [], None, None, c('read -v 0 16', 'length', 'write 0 4k', 'map', 'flush')
     + ['null-co://']),
    ('null-co-bad-name', [], None, None, c('length') + ['null-co://foo']),
    ('null-aio-opts', [], None, None,
     ['--image-opts'] + c('read -v 0 16', 'length', 'write -P 5 0 4k', 'read -P 0 0 4k',
                          'aio_write 0 4k', 'aio_read -P 0 0 4k', 'aio_flush', 'read 0 2M')
     + ['driver=null-aio,size=1M,read-zeroes=on']),
    ('null-co-raw', [], None, None, ['-f', 'raw'] + c('length', 'read 0 512')
     + ['null-co://']),
    ('qcow2-over-null', [], None, None, ['--image-opts'] + c('length') +
     ['driver=qcow2,file.driver=null-co,file.read-zeroes=on']),
]


# qemu-io waits for ever on a request nobody resumes; duet-io lets it go
# at the drain (aio_flush, close): it must finish, say so, and leave a
# clean image.
NO_HANG = [
    ('suspended-at-exit', c('break write_aio A', 'aio_write -P 1 0 4k', 'wait_break A',
                            'length')),
    ('second-suspended-at-aio_flush',
     c('break write_aio A', 'break write_aio A', 'aio_write 0 4k', 'aio_write 64k 4k',
       'wait_break A', 'resume A', 'aio_flush', 'read 64k 4k')),
]


def check(img):
    p = subprocess.run(['qemu-img', 'check', img], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    duet_io = os.path.abspath(sys.argv[1])
    for prog in ('qemu-io', 'qemu-img'):
        if not shutil.which(prog):
            print('SKIP: %s is not installed (qemu-utils)' % prog)
            return 77
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, create, size, conf, args in CASES:
            results, checks = [], []
            for sub, tool in (('q', 'qemu-io'), ('d', duet_io)):
                wd = os.path.join(tmp, name, sub)
                os.makedirs(wd)
                img = os.path.join(wd, 'test.qcow2')
                if size:
                    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2'] + create +
                                   [img, size], check=True)
                if conf is not None:
                    with open(os.path.join(wd, 'bd.conf'), 'w') as f:
                        f.write(conf)
                results.append(run(tool, args, None, wd))
                if size:
                    checks.append(check(img))
            compare(name, results, failures)
            if checks and checks[0] != checks[1]:
                failures.append(name + '-check')
                print('FAIL %s: qemu-img check differs\n--- after qemu-io\n%s\n'
                      '--- after duet-io\n%s' % (name, checks[0], checks[1]))
            elif checks and checks[1][0] not in (0, 3):
                # 3: leaks only; anything else is corruption or a failed check
                failures.append(name + '-corrupt')
                print('FAIL %s: qemu-img check after duet-io: %s' % (name, checks[1]))
        for name, args in NO_HANG:
            wd = os.path.join(tmp, name)
            os.makedirs(wd)
            img = os.path.join(wd, 'test.qcow2')
            subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', img, '4M'], check=True)
            try:
                rc, out, err = run(duet_io, args + ['blkdebug::test.qcow2'], None, wd)
            except subprocess.TimeoutExpired:
                rc, out, err = 'timeout', '', ''
            good = (rc == 0 and not err and
                    out.count("Suspended request 'A'") == out.count("Resuming request 'A'")
                    and check(img)[0] == 0)
            print('%s %s' % ('ok  ' if good else 'FAIL', name))
            if not good:
                failures.append(name)
                print('  exit %s\n%s%s' % (rc, out, err))
    print('%d failures%s' % (len(failures), (': ' + ' '.join(failures)) if failures else ''))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
