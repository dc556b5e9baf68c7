"""The call chains of scripts/compare-io-paths --html: duet under
gdb -batch, one temporary breakpoint per kind of request (as
tests/guests/ide/test-gdb-stacks.py stops them), `bt` at each, the frames
read from its lines."""
import re
import shutil
import subprocess

# kind -> where to stop: the block layer's entry for the request (the
# caller tells the kinds apart), or the status register's read.
BREAKS = [
    ("pio-write", 'blk_aio_prwv if $_caller_is("blk_aio_pwritev") && '
                  '$_any_caller_is("ide_sector_write", 3)'),
    ("dma-read", 'blk_aio_prwv if $_caller_is("blk_aio_preadv") && '
                 '$_any_caller_is("dma_blk_cb", 4)'),
    ("dma-write", 'blk_aio_prwv if $_caller_is("blk_aio_pwritev") && '
                  '$_any_caller_is("dma_blk_cb", 4)'),
    ("flush", 'blk_aio_prwv if $_caller_is("blk_aio_flush")'),
    ("status-poll", 'ide_ioport_read if (addr & 7) == 7 && ($_any_caller_is("tcg_cpus_exec", 30)'
                    ' || $_any_caller_is("kvm_cpu_exec", 30))'),
]
FRAME = re.compile(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(.*?\)(?: at (\S+))?")
# Below the thread's start: GLib and libc.
STOP = "qemu_thread_start"


def script():
    lines = ["set pagination off", "set confirm off", "set width 0",
             "handle SIGUSR1 SIGUSR2 SIGPIPE nostop noprint pass"]
    for kind, bp in BREAKS:
        lines += ["tbreak " + bp, "commands", "echo @@chain %s\\n" % kind, "bt",
                  "echo @@end\\n", "continue", "end"]
    return "\n".join(lines + ["run"]) + "\n"


def parse(out):
    """{kind: [(function, file:line)]} from the gdb output."""
    chains, kind, frames = {}, None, []
    for line in out.splitlines():
        if line.startswith("@@chain "):
            kind, frames = line.split()[1], []
        elif line.startswith("@@end") and kind:
            chains[kind] = frames
            kind = None
        elif kind:
            m = FRAME.match(line)
            if m and (not frames or frames[-1][0] != STOP):
                frames.append((m.group(2), m.group(3) or ""))
    return chains


def collect(duet, guest, accels, tmp, make_disk, guest_command, timeout):
    """{kind: {accel: [frames] or why not}}."""
    gdb = shutil.which("gdb")
    out = {}
    for accel in accels:
        if not gdb:
            chains = "gdb is not installed"
        else:
            disk = "%s/gdb-%s.qcow2" % (tmp, accel)
            make_disk(duet, disk)
            path = "%s/chains.gdb" % tmp
            with open(path, "w") as f:
                f.write(script())
            cmd = [gdb, "-batch", "-nx", "-x", path, "--args"] + guest_command(
                duet, accel, guest, disk)
            try:
                r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                                   text=True, timeout=timeout)
                text = r.stdout + r.stderr
                chains = ("gdb cannot ptrace here" if "ptrace: Operation not permitted" in text
                          else parse(r.stdout))
            except subprocess.TimeoutExpired:
                chains = "gdb run gave no result within %d s" % timeout
        for kind, _ in BREAKS:
            if isinstance(chains, str):
                out.setdefault(kind, {})[accel] = chains
            elif kind in chains:
                out.setdefault(kind, {})[accel] = chains[kind]
    return out
