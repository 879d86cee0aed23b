#!/usr/bin/env python3
"""Packs the uniffi Python binding into a wheel: distribution and import package `waas`.

    python3 bindings/python/build_wheel.py --version 0.1.0 --module target/bindings/python/waas.py \
        --lib target/release/libwaas_ffi.so --out target/wheels [--license-dir .]

Standard library only (no build backend to install). The wheel holds
    waas/__init__.py      the uniffi-generated module, unchanged (type-annotated); it loads the
                          native library from its own directory (os.path.dirname(__file__)), so it
                          works from site-packages as from a plain folder
    waas/libwaas_ffi.so   the native library (waas-ffi, release build)
    waas/py.typed         PEP 561 marker: type checkers read the annotations of the package
    waas-VERSION.dist-info/{METADATA,WHEEL,RECORD,licenses/...}
Tags: py3-none-<platform>. The module is plain Python over ctypes, so any CPython 3.8+ (the
generated code needs typing.Protocol) can use it, with no ABI tie; the platform tag comes from the
native library. On Linux the tag is manylinux_2_X_<arch>, X the highest GLIBC_2.X symbol version the
library requires (read from its ELF .gnu.version_r), after checking that it links nothing beyond the
manylinux-allowed system libraries (libc, libm, libgcc_s, ...): the same rule auditwheel applies.
The archive is reproducible: sorted entries, fixed timestamps (SOURCE_DATE_EPOCH, else 1980-01-01).
"""
import argparse
import base64
import hashlib
import os
import re
import struct
import sys
import time
import zipfile

NAME = "waas"
# PEP 600 / auditwheel: the libraries a manylinux wheel may link without bundling them.
MANYLINUX_ALLOWED = {
    "libc.so.6", "libm.so.6", "libdl.so.2", "librt.so.1", "libpthread.so.0", "libgcc_s.so.1",
    "libstdc++.so.6", "libutil.so.1", "libresolv.so.2", "libcrypt.so.1", "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1", "ld-linux.so.2", "linux-vdso.so.1",
}


def elf_needs(path):
    """(DT_NEEDED libraries, GLIBC_2.X versions required) of a 64-bit little-endian ELF file."""
    data = open(path, "rb").read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit(f"{path}: not a 64-bit little-endian ELF file")
    e_machine = struct.unpack_from("<H", data, 18)[0]
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for i in range(e_shnum):
        sh_name, sh_type, _flags, _addr, sh_offset, sh_size, sh_link, sh_info, _align, sh_entsize = \
            struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)
        sections.append((sh_type, sh_offset, sh_size, sh_link, sh_info, sh_entsize))

    def string(strtab, off):
        start = sections[strtab][1] + off
        return data[start:data.index(b"\0", start)].decode()

    needed, glibc = [], set()
    for sh_type, off, size, link, info, entsize in sections:
        if sh_type == 6:  # SHT_DYNAMIC: (d_tag, d_val) pairs; DT_NEEDED = 1
            for p in range(off, off + size, 16):
                tag, val = struct.unpack_from("<qQ", data, p)
                if tag == 1:
                    needed.append(string(link, val))
        elif sh_type == 0x6FFFFFFE:  # SHT_GNU_verneed: Verneed entries, each with Vernaux entries
            p = off
            for _ in range(info):
                _ver, cnt, _file, aux, nxt = struct.unpack_from("<HHIII", data, p)
                a = p + aux
                for _ in range(cnt):
                    _hash, _flags, _other, name, anext = struct.unpack_from("<IHHII", data, a)
                    m = re.fullmatch(r"GLIBC_2\.(\d+)", string(link, name))
                    if m:
                        glibc.add(int(m.group(1)))
                    a += anext
                p += nxt
    arch = {62: "x86_64", 183: "aarch64"}.get(e_machine)
    if arch is None:
        raise SystemExit(f"{path}: unsupported machine {e_machine}")
    return needed, glibc, arch


def platform_tag(lib):
    if sys.platform == "darwin":
        raise SystemExit("macOS wheels are not built here (no machine to test them on)")
    needed, glibc, arch = elf_needs(lib)
    extra = [n for n in needed if n not in MANYLINUX_ALLOWED]
    if extra:
        raise SystemExit(f"{lib} links {extra}, which a manylinux wheel may not rely on")
    # glibc 2.17 is the oldest manylinux baseline (manylinux2014); a library needing less gets it.
    return f"manylinux_2_{max(glibc | {17})}_{arch}"


def b64hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", required=True)
    ap.add_argument("--module", required=True, help="the uniffi-generated waas.py")
    ap.add_argument("--lib", required=True, help="libwaas_ffi.so")
    ap.add_argument("--out", required=True, help="directory for the .whl")
    ap.add_argument("--license-dir", default=".", help="where LICENSE-MIT and LICENSE-APACHE are")
    a = ap.parse_args()

    if not re.fullmatch(r"\d+\.\d+\.\d+", a.version):
        raise SystemExit(f"version {a.version!r}: expected MAJOR.MINOR.PATCH (the workspace version)")
    tag = f"py3-none-{platform_tag(a.lib)}"
    dist_info = f"{NAME}-{a.version}.dist-info"
    libname = os.path.basename(a.lib)
    licenses = ["LICENSE-MIT", "LICENSE-APACHE"]

    metadata = "\n".join([
        "Metadata-Version: 2.1",
        f"Name: {NAME}",
        f"Version: {a.version}",
        "Summary: waas-core from Python: deposit addresses, amounts, webhooks, ledger scenarios (uniffi)",
        "License: MIT OR Apache-2.0",
        "Requires-Python: >=3.8",
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: Programming Language :: Rust",
        "Classifier: Operating System :: POSIX :: Linux",
        "Classifier: Typing :: Typed",
        "",
        "The uniffi binding of waas-core, with its native library (libwaas_ffi) inside.",
        "`import waas`; errors are `waas.WaasError` with `.code` and `.detail`.",
        "",
    ])
    wheel = "\n".join([
        "Wheel-Version: 1.0",
        "Generator: waas bindings/python/build_wheel.py",
        "Root-Is-Purelib: false",
        f"Tag: {tag}",
        "",
    ])
    files = {
        f"{NAME}/__init__.py": open(a.module, "rb").read(),
        f"{NAME}/{libname}": open(a.lib, "rb").read(),
        f"{NAME}/py.typed": b"",
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": wheel.encode(),
    }
    for lic in licenses:
        files[f"{dist_info}/licenses/{lic}"] = open(os.path.join(a.license_dir, lic), "rb").read()
    record = "".join(f"{p},{b64hash(d)},{len(d)}\n" for p, d in sorted(files.items()))
    files[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()

    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))  # 1980-01-01, the zip minimum
    date = time.gmtime(max(epoch, 315532800))[:6]
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, f"{NAME}-{a.version}-{tag}.whl")
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        # RECORD last, as the wheel spec recommends; everything else sorted.
        for p in sorted(files, key=lambda p: (p.endswith("/RECORD"), p)):
            info = zipfile.ZipInfo(p, date)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if p.endswith(".so") else 0o644) << 16
            z.writestr(info, files[p])
    os.replace(tmp, path)
    print(path)


if __name__ == "__main__":
    main()
