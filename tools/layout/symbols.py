"""What the layout tools share: listing an object's functions and naming them the way a
profile does (demangled by `c++filt -i`: no crate hashes, generic arguments kept with v0
mangling), so that one profile serves every toolchain and architecture."""

import subprocess


def functions(nm, paths):
    """(mangled name, address, size) of each function the object files, archives or
    program at `paths` define, as `nm` lists them (address and size 0 when unknown)."""
    found = []
    for start in range(0, len(paths), 200):
        out = subprocess.run(
            [nm, "--defined-only", "--print-size", "--format=posix", *paths[start : start + 200]],
            capture_output=True,
            text=True,
            errors="replace",
        ).stdout
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 2 and fields[1] in ("t", "T", "W", "w"):
                address = int(fields[2], 16) if len(fields) > 2 else 0
                size = int(fields[3], 16) if len(fields) > 3 else 0
                found.append((fields[0], address, size))
    return found


def profile_names(mangled):
    """The profile's name of each mangled name, in the same order. LLVM's suffixes of
    promoted local symbols (".llvm.123") are left out: they change from build to build."""
    plain = [name.split(".llvm.")[0] for name in mangled]
    if not plain:
        return []
    out = subprocess.run(
        ["c++filt", "-i"],
        input="".join(f"{name}\n" for name in plain),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return out


def read_profile(path):
    """The profile's names, in order."""
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]
