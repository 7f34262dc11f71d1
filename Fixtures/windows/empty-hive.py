#!/usr/bin/env python3
"""Writes an EMPTY Windows registry hive (regf format) that hivex can open and write to.

Usage: empty-hive.py OUT [ROOT_NAME]

hivex cannot create a hive from nothing, so this lays one out by hand:
  0x0000  base block (4096 bytes): "regf", sequence numbers, version 1.5, root cell offset,
          hive-bins size, file name, XOR checksum of the first 508 bytes at 0x1FC
  0x1000  one hbin (4096 bytes): 32-byte "hbin" header, then cells:
            root nk cell  (flags KEY_HIVE_ENTRY|KEY_NO_DELETE|KEY_COMP_NAME, no subkeys/values)
            sk cell       (the security descriptor the root points to; flink/blink to itself)
            one free cell (the rest of the bin)
Cell offsets are relative to the first hbin (file offset 0x1000). Cells are 8-byte aligned and start
with an int32 size that is negative while the cell is in use.
"""
import struct
import sys

HBIN_START = 0x1000
HBIN_SIZE = 0x1000
NONE = 0xFFFFFFFF
FILETIME = 132_000_000_000_000_000  # 2019-04-19, any fixed value keeps the output reproducible


def sid(authority, *subs):
    return struct.pack("<BB", 1, len(subs)) + authority.to_bytes(6, "big") + b"".join(
        struct.pack("<I", s) for s in subs)


def ace(mask, the_sid, flags=0x02):  # ACCESS_ALLOWED_ACE_TYPE, CONTAINER_INHERIT_ACE
    body = struct.pack("<I", mask) + the_sid
    return struct.pack("<BBH", 0, flags, 4 + len(body)) + body


def security_descriptor():
    admins = sid(5, 32, 544)      # S-1-5-32-544 BUILTIN\Administrators
    system = sid(5, 18)           # S-1-5-18 LocalSystem
    everyone = sid(1, 0)          # S-1-1-0 Everyone
    aces = ace(0x000F003F, admins) + ace(0x000F003F, system) + ace(0x00020019, everyone)
    acl = struct.pack("<BBHHH", 2, 0, 8 + len(aces), 3, 0) + aces
    header_len = 20
    owner_off = header_len
    group_off = owner_off + len(admins)
    dacl_off = group_off + len(system)
    control = 0x8004              # SE_SELF_RELATIVE | SE_DACL_PRESENT
    hdr = struct.pack("<BBHIIII", 1, 0, control, owner_off, group_off, 0, dacl_off)
    return hdr + admins + system + acl


def cell(payload):
    size = 4 + len(payload)
    size = (size + 7) & ~7
    return struct.pack("<i", -size) + payload + b"\0" * (size - 4 - len(payload))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: empty-hive.py OUT [ROOT_NAME]")
    out = sys.argv[1]
    root_name = (sys.argv[2] if len(sys.argv) == 3 else "ROOT").encode("ascii")

    root_off = 0x20                       # first cell after the hbin header
    nk_len = 4 + 0x4C + len(root_name)
    sk_off = root_off + ((nk_len + 7) & ~7)

    nk = b"nk" + struct.pack(
        "<HQ" + "I" * 15 + "HH",
        0x0004 | 0x0008 | 0x0020,        # KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME
        FILETIME,
        0,                               # access bits
        NONE,                            # parent (none for the root)
        0, 0,                            # subkeys, volatile subkeys
        NONE, NONE,                      # subkey lists
        0, NONE,                         # values, value list
        sk_off,                          # security cell
        NONE,                            # class name
        0, 0, 0, 0,                      # largest subkey name/class, value name, value data
        0,                               # work var
        len(root_name), 0) + root_name
    assert len(nk) == 0x4C + len(root_name)

    sd = security_descriptor()
    sk = b"sk" + struct.pack("<HIIII", 0, sk_off, sk_off, 1, len(sd)) + sd

    cells = cell(nk) + cell(sk)
    assert root_off + len(cells) == sk_off + len(cell(sk))
    free_len = HBIN_SIZE - 0x20 - len(cells)
    assert free_len >= 8 and free_len % 8 == 0
    free = struct.pack("<i", free_len) + b"\0" * (free_len - 4)

    hbin = b"hbin" + struct.pack("<III", 0, HBIN_SIZE, 0) + struct.pack("<IQI", 0, FILETIME, 0)
    assert len(hbin) == 0x20
    hbin += cells + free
    assert len(hbin) == HBIN_SIZE

    name = out.replace("/", "\\").rsplit("\\", 1)[-1]
    fname = ("\\SystemRoot\\System32\\Config\\" + name.upper()).encode("utf-16-le")[-64:]
    base = bytearray(0x1000)
    struct.pack_into("<4sIIQIIIIII", base, 0, b"regf", 1, 1, FILETIME, 1, 5, 0, 1, root_off, HBIN_SIZE)
    struct.pack_into("<I", base, 0x2C, 1)             # clustering factor
    base[0x30:0x30 + len(fname)] = fname
    csum = 0
    for (word,) in struct.iter_unpack("<I", bytes(base[:0x1FC])):
        csum ^= word
    if csum == 0xFFFFFFFF:
        csum = 0xFFFFFFFE
    elif csum == 0:
        csum = 1
    struct.pack_into("<I", base, 0x1FC, csum)

    with open(out, "wb") as f:
        f.write(bytes(base) + hbin)


if __name__ == "__main__":
    main()
