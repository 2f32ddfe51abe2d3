# Opens /proc/<pid>/mem read-only and read-write, and reads /proc/<pid>/environ (pid fixed when generated;
# measure with the va-rootdac pid). Shows what CAP_SYS_PTRACE alone vs with CAP_DAC_READ_SEARCH exposes.
import os
for mode, flags in (("read", os.O_RDONLY), ("read-write", os.O_RDWR)):
    try:
        fd = os.open("/proc/3620/mem", flags); os.close(fd); print(mode, "open ok")
    except OSError as e: print(mode, "open", e.strerror)
for f in ("environ",):
    try: open("/proc/3620/"+f,"rb").read(10); print(f, "read ok")
    except OSError as e: print(f, e.strerror)
