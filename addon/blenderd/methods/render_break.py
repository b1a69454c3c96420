"""Breaking off a render mid-view, where this Blender lets us.

A render polls Blender's global `G.is_break` (render_break() in
render_internal.cc, the test-break callback of bpy.ops.render.render) and, when
it is set, stops and returns {'CANCELLED'}. Python has no way to set it, and a
render holds the main thread in C, where Python's SIGINT handler cannot run.
Measured on this machine:

- the bpy 4.4 module: setting the flag from another thread stops a Cycles
  render within its next sample; the module keeps its symbol table, so the flag
  is found through the symbol `render_break`, whose code is "load G's address,
  read a byte at an offset, return": both numbers are read from that code.
- Debian's Blender 3.4 executable: stripped, and even its own Ctrl-C handler
  (which sets the flag) does not stop a background Cycles render. No mid-view
  break: the render stops between views (methods/render.py).

Everything here is checked before it is trusted (ELF layout, the exact
instruction bytes, the flag's current value); any mismatch means "no mid-view
break", never a write to a guessed address.
"""

import ctypes
import mmap
import os
import struct
import threading

from ..serve import log

SYMBOL = b"_ZL12render_breakPv"  # static bool render_break(void *)
# lea rel32(%rip),%rax ; movzbl disp32(%rax),%eax ; ret
_LEA_RAX = b"\x48\x8d\x05"
_MOVZBL = b"\x0f\xb6\x80"
_RET = b"\xc3"


def _mapped_bpy_module():
    """(path, load base) of the bpy extension module in this process, or None."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                parts = line.split()
                if len(parts) < 6 or int(parts[2], 16) != 0:
                    continue
                path = parts[5]
                if path.endswith("/bpy/__init__.so") or path.endswith("/bpy.so"):
                    return path, int(parts[0].split("-")[0], 16)
    except (OSError, ValueError):
        pass
    return None


def _symbol_value(path, name):
    """st_value of `name` in an ELF64 little-endian file's .symtab, or None."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if data[:6] != b"\x7fELF\x02\x01":
            return None
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        if shentsize != 64:
            return None
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * 64) for i in range(shnum)]
        symtab = next((s for s in sections if s[1] == 2), None)  # SHT_SYMTAB
        if symtab is None or symtab[9] != 24 or symtab[6] >= len(sections):
            return None
        strtab = sections[symtab[6]]
        str_start, str_end = strtab[4], strtab[4] + strtab[5]
        at = data.find(b"\0" + name + b"\0", str_start, str_end)
        if at < 0:
            return None
        name_offset = struct.pack("<I", at + 1 - str_start)
        start, end = symtab[4], symtab[4] + symtab[5]
        at = data.find(name_offset, start, end)
        while at >= 0:
            if (at - start) % 24 == 0:
                _, info, _, shndx, value, _ = struct.unpack_from("<IBBHQQ", data, at)
                if info & 0xF == 2 and shndx != 0:  # STT_FUNC, defined
                    return value
            at = data.find(name_offset, at + 1, end)
    return None


def find_break_flag():
    """The address of G.is_break in this process, or None where it cannot be found."""
    found = _mapped_bpy_module()
    if found is None:
        return None
    path, base = found
    try:
        value = _symbol_value(path, SYMBOL)
    except (OSError, ValueError, struct.error) as exc:
        log("render break: cannot read %s: %s" % (path, exc))
        return None
    if value is None:
        return None
    function = base + value
    code = ctypes.string_at(function, 15)
    if code[:3] != _LEA_RAX or code[7:10] != _MOVZBL or code[14:15] != _RET:
        log("render break: %s is not the code this Blender was measured with; no mid-view break" % SYMBOL.decode())
        return None
    rel, = struct.unpack_from("<i", code, 3)
    disp, = struct.unpack_from("<i", code, 10)
    address = function + 7 + rel + disp
    if ctypes.c_ubyte.from_address(address).value not in (0, 1):
        return None
    return address


class RenderBreak:
    """`request()` (any thread) breaks the running render where possible;
    `clear()` (the main thread, after the render) puts the flag back."""

    def __init__(self):
        self._lock = threading.Lock()
        self._probed = False
        self._address = None
        self._set = False

    def _flag(self):
        with self._lock:
            if not self._probed:
                self._probed = True
                self._address = find_break_flag()
            return self._address

    @property
    def available(self):
        return self._flag() is not None

    def request(self):
        address = self._flag()
        if address is None:
            return False
        ctypes.c_ubyte.from_address(address).value = 1
        self._set = True
        return True

    def clear(self):
        if self._set and self._address is not None:
            ctypes.c_ubyte.from_address(self._address).value = 0
        self._set = False


render_break = RenderBreak()
