#!/usr/bin/env python3
"""serial-relay.py UNIX_PATH HOST:PORT|EMU_UNIX_PATH LOGFILE

keel-run --serial socket:PATH: the emulator's serial port listens (Bochs' com1
socket-server mode speaks TCP; QEMU's chardev a Unix socket) and keeps no
reliable log, so this relay connects to it, listens on the Unix socket PATH
for the client (e.g. tests/console/drive.py), copies bytes both ways and
appends exactly what the emulator sends to LOGFILE (keel-run's serial log).
It ends when the emulator closes the connection."""
import os, select, socket, sys, time

def main():
    path, hostport, logfile = sys.argv[1:4]
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lst.bind(path)
    lst.listen(1)
    deadline = time.time() + 120
    while True:
        try:
            if ":" in hostport:
                host, port = hostport.rsplit(":", 1)
                emu = socket.create_connection((host, int(port)))
            else:
                emu = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                emu.connect(hostport)
            break
        except OSError:
            if time.time() > deadline:
                return 1
            time.sleep(0.2)
    log = open(logfile, "ab", buffering=0)
    client, pending = None, b""
    while True:
        socks = [emu, lst] + ([client] if client else [])
        r, _, _ = select.select(socks, [], [], 1.0)
        if emu in r:
            data = emu.recv(4096)
            if not data:
                break
            log.write(data)
            if client:
                try:
                    client.sendall(data)
                except OSError:
                    client = None
            else:
                pending += data
        if lst in r and not client:
            client, _ = lst.accept()
            if pending:
                client.sendall(pending)
                pending = b""
        if client and client in r:
            data = client.recv(4096)
            if not data:
                client.close()
                client = None
            else:
                emu.sendall(data)
    return 0

if __name__ == "__main__":
    sys.exit(main())
