#!/usr/bin/python3
"""Runs a command under a seccomp allow-list built like systemd's SystemCallFilter=: every system
call named in ALLOW_FILE is allowed, every other one fails with EPERM
(SystemCallErrorNumber=EPERM), for the native architecture only (SystemCallArchitectures=native).
Usage: seccomp-exec.py ALLOW_FILE command args...   (needs no_new_privs or CAP_SYS_ADMIN)"""
import ctypes, errno, os, sys
lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
lib.seccomp_init.restype = ctypes.c_void_p
lib.seccomp_init.argtypes = [ctypes.c_uint32]
lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
lib.seccomp_load.argtypes = [ctypes.c_void_p]
SCMP_ACT_ALLOW = 0x7fff0000
SCMP_ACT_ERRNO = lambda e: 0x00050000 | (e & 0xffff)
names = [l.strip() for l in open(sys.argv[1]) if l.strip()]
ctx = lib.seccomp_init(SCMP_ACT_ERRNO(errno.EPERM))
added = 0
for n in names:
    nr = lib.seccomp_syscall_resolve_name(n.encode())
    if nr < 0:
        continue  # not a syscall on this architecture
    if lib.seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0:
        added += 1
if lib.seccomp_load(ctx) != 0:
    sys.exit("seccomp_load failed")
sys.stderr.write(f"seccomp: {added} system calls allowed, all others EPERM\n")
os.execv(sys.argv[2], sys.argv[2:])
