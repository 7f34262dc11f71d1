#!/usr/bin/env python3
"""Small binary files for the phony Windows disks.

  winfiles.py pe64 OUT TEXT        a minimal but valid PE32+ x86-64 console executable (MZ header and
                                   DOS stub, "PE\\0\\0", COFF header machine 0x8664, optional header magic
                                   0x20b, one .text section holding TEXT); `file` says
                                   "PE32+ executable (console) x86-64, for MS Windows".
  winfiles.py bitlocker DISK OFFSET SIZE
                                   writes a BitLocker (Windows 7+ format) volume's header into the
                                   partition at byte OFFSET (SIZE bytes long) of DISK: boot
                                   sector with OEM id "-FVE-FS-" (jump EB 58 90), the BitLocker GUID and
                                   three FVE metadata offsets at byte 176; at each offset an FVE metadata
                                   block header ("-FVE-FS-", size, version 2); pseudo-random "ciphertext"
                                   after them, the rest left as it is (zero, sparse). blkid reports TYPE="BitLocker".
"""
import random
import struct
import sys


def pe64(out, text):
    text = text.encode("ascii") + b"\r\n"
    dos = bytearray(0x80)
    dos[0:2] = b"MZ"
    struct.pack_into("<HHHHHHHHHHHHH", dos, 2, 0x90, 3, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0, 0, 0x40, 0)
    struct.pack_into("<I", dos, 0x3C, 0x80)                     # e_lfanew
    stub = bytes.fromhex("0e1fba0e00b409cd21b8014ccd21") + b"This program cannot be run in DOS mode.\r\r\n$"
    dos[0x40:0x40 + len(stub)] = stub

    file_align, sect_align = 0x200, 0x1000
    size_of_headers = 0x400
    code = b"\xc3" + text                                       # ret; then the marker text
    raw_size = (len(code) + file_align - 1) // file_align * file_align
    text_rva = 0x1000
    size_of_image = text_rva + (len(code) + sect_align - 1) // sect_align * sect_align

    coff = struct.pack("<4sHHIIIHH", b"PE\0\0", 0x8664, 1, 0x5C000000, 0, 0, 240,
                       0x0022)                                  # EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE
    opt = struct.pack("<HBBIIIII", 0x20B, 14, 0, raw_size, 0, 0, text_rva, text_rva)
    opt += struct.pack("<QII", 0x140000000, sect_align, file_align)
    opt += struct.pack("<HHHHHH", 10, 0, 10, 0, 6, 0)           # OS, image, subsystem versions
    opt += struct.pack("<IIII", 0, size_of_image, size_of_headers, 0)
    opt += struct.pack("<HH", 3, 0x8160)                        # console; DYNAMIC_BASE|NX|HIGH_ENTROPY|TS_AWARE
    opt += struct.pack("<QQQQ", 0x100000, 0x1000, 0x100000, 0x1000)
    opt += struct.pack("<II", 0, 16)                            # loader flags, number of data directories
    opt += b"\0" * (16 * 8)
    assert len(opt) == 240
    section = struct.pack("<8sIIIIIIHHI", b".text", len(code), text_rva, raw_size, size_of_headers,
                          0, 0, 0, 0, 0x60000020)               # CODE | EXECUTE | READ
    headers = bytes(dos) + coff + opt + section
    headers += b"\0" * (size_of_headers - len(headers))
    with open(out, "wb") as f:
        f.write(headers + code + b"\0" * (raw_size - len(code)))


def bitlocker(disk, offset, size):
    """Writes into an existing image at OFFSET (the partition start); other bytes stay as they are."""
    rng = random.Random(0xB170C4)                               # fixed seed: reproducible bytes
    meta_offsets = [o for o in (0x02100000, 0x02900000, 0x03100000) if o + 0x10000 <= size]
    if not meta_offsets:
        sys.exit("bitlocker: partition too small (need 50 MiB)")
    while len(meta_offsets) < 3:
        meta_offsets.append(meta_offsets[-1])
    bs = bytearray(512)
    bs[0:3] = b"\xeb\x58\x90"
    bs[3:11] = b"-FVE-FS-"
    struct.pack_into("<HBHB", bs, 11, 512, 8, 0, 0)            # bytes/sector, sectors/cluster, ...
    bs[21] = 0xF8                                               # media descriptor
    struct.pack_into("<HHI", bs, 24, 63, 255, 2048)             # sectors/track, heads, hidden sectors
    bs[71:82] = b"NO NAME    "
    bs[82:90] = b"FAT32   "
    # BitLocker identifier GUID 4967d63b-2e29-4ad8-8399-f6a339e3d001 (in on-disk byte order).
    bs[160:176] = bytes.fromhex("3bd66749292ed84a8399f6a339e3d001")
    struct.pack_into("<QQQ", bs, 176, *meta_offsets)
    bs[510:512] = b"\x55\xaa"
    with open(disk, "r+b") as f:
        # "Ciphertext": the first MiB of the volume after the boot sector, and 64 KiB after each
        # metadata block; everything else stays zero (sparse).
        f.seek(offset)
        f.write(bytes(bs) + rng.randbytes(0x100000 - 512))
        for off in sorted(set(meta_offsets)):
            hdr = bytearray(64)
            hdr[0:8] = b"-FVE-FS-"
            struct.pack_into("<HH", hdr, 8, 64, 2)              # header size, version 2 (Windows 7+)
            struct.pack_into("<QQQ", hdr, 16, *meta_offsets)
            f.seek(offset + off)
            f.write(bytes(hdr) + rng.randbytes(0x10000 - 64))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "pe64":
        pe64(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "bitlocker":
        bitlocker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
