#!/usr/bin/env python3
"""Scripted console driver: types into keel's serial line and reads it back.

  drive.py SCRIPT -- KEEL-RUN-ARGS...

Starts scripts/keel-run --serial socket:PATH KEEL-RUN-ARGS, connects to the
socket and runs SCRIPT, one step per line:
  expect REGEX        wait (bounded) until REGEX matches what arrived since the
                      previous match (CR removed); continue after the match
  capture NAME REGEX  like expect, and keep group 1 as {NAME} for send
  send TEXT           type TEXT (Python escapes: \\r, \\x01); {NAME} substituted
  # ...               comment
Exit status: keel-run's, or 99 if a step failed (keel-run is then stopped).
Nothing here depends on timing: every wait is for output, with a bound only
so that a broken run ends.
"""
import os, re, socket, subprocess, sys, tempfile, time

STEP_TIMEOUT = float(os.environ.get("DRIVE_STEP_TIMEOUT", "240"))

def main():
    if "--" not in sys.argv:
        sys.exit("usage: drive.py SCRIPT -- KEEL-RUN-ARGS...")
    sep = sys.argv.index("--")
    script, args = sys.argv[1], sys.argv[sep + 1:]
    steps = []
    for n, line in enumerate(open(script), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        steps.append((n, word, rest))
    tmp = tempfile.mkdtemp(prefix="keel-con-")
    sock_path = os.path.join(tmp, "com1.sock")
    here = os.path.dirname(os.path.abspath(__file__))
    run = os.path.join(here, "..", "..", "scripts", "keel-run")
    proc = subprocess.Popen([run, "--serial", "socket:" + sock_path] + args, stdout=subprocess.DEVNULL)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.time() + 120
    while True:
        try:
            s.connect(sock_path)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                print("drive: could not connect to %s" % sock_path, file=sys.stderr)
                return proc.wait() if proc.poll() is not None else 99
            time.sleep(0.2)
    s.settimeout(1.0)
    buf, pos, names = "", 0, {}
    eof = False

    def read_some():
        nonlocal buf, eof
        try:
            data = s.recv(4096)
        except socket.timeout:
            return
        if not data:
            eof = True
            time.sleep(0.2)
            return
        buf += data.decode("latin-1").replace("\r", "")

    failed = None
    for n, word, rest in steps:
        if word in ("expect", "capture"):
            name = None
            if word == "capture":
                name, _, rest = rest.partition(" ")
            rx = re.compile(rest, re.M)
            end = time.time() + STEP_TIMEOUT
            while True:
                m = rx.search(buf, pos)
                if m:
                    pos = m.end()
                    if name:
                        names[name] = m.group(1)
                    break
                if eof or time.time() > end:
                    failed = "line %d: %s /%s/ not seen%s" % (n, word, rest, " (line closed)" if eof else "")
                    break
                read_some()
        elif word == "send":
            text = rest.encode("latin-1").decode("unicode_escape")
            for k, v in names.items():
                text = text.replace("{%s}" % k, v)
            s.sendall(text.encode("latin-1"))
        else:
            failed = "line %d: unknown step '%s'" % (n, word)
        if failed:
            break
    if failed:
        print("drive: " + failed, file=sys.stderr)
        print("drive: last output: %r" % buf[-400:], file=sys.stderr)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 99
    # Keep reading so the emulator never blocks on a full socket.
    while proc.poll() is None:
        read_some()
    s.close()
    if os.environ.get("DRIVE_TRANSCRIPT"):
        open(os.environ["DRIVE_TRANSCRIPT"], "w", encoding="latin-1").write(buf)
    return proc.wait()

if __name__ == "__main__":
    sys.exit(main())
