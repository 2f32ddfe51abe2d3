# Reads 16 bytes of another process with process_vm_readv(2) (read only; pid fixed when generated:
# the va-rootdac qemu). Shows that CAP_SYS_PTRACE alone reaches process memory through this call.
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure): _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
try:
    line = open("/proc/3620/maps").readline(); addr = int(line.split("-")[0], 16); print("maps readable")
except OSError as e:
    print("maps", e.strerror); addr = 0x400000
buf = ctypes.create_string_buffer(16)
local = iovec(ctypes.cast(buf, ctypes.c_void_p), 16); remote = iovec(addr, 16)
n = libc.process_vm_readv(3620, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
print("process_vm_readv:", n if n >= 0 else os.strerror(ctypes.get_errno()))
