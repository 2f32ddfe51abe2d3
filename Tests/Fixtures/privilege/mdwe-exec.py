# Runs a command with the kernel's memory-deny-write-execute (prctl PR_SET_MDWE, Linux 6.3+), the
# in-kernel form of systemd's MemoryDenyWriteExecute=yes: mdwe-exec.py /path/to/program args...
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
PR_SET_MDWE, PR_GET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 66, 1
if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit("PR_SET_MDWE failed: errno %d" % ctypes.get_errno())
os.execv(sys.argv[1], sys.argv[1:])
