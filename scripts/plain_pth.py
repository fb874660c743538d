"""Replace setuptools' editable-install import hook with a plain .pth of our package
directories.

`pip install -e` maps each package to its directory (pyproject's package-dir) through a
finder module that every Python start imports, with pathlib and importlib.util behind
it: about 60 ms per process, and oc-rsync starts two (client and server). A .pth listing
the parent directories costs nothing and imports the same files. Run after every
editable install (make does); `pip install -e .` again restores the hook."""
import pathlib
import sysconfig
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main() -> None:
    site = pathlib.Path(sysconfig.get_paths()["purelib"])
    dirs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"]
    parents = sorted({str((ROOT / d).parent) for d in dirs.values()})
    (site / "oc_rsync_paths.pth").write_text("".join(p + "\n" for p in parents))
    for hook in site.glob("__editable__.oc_rsync-*.pth"):
        hook.unlink()


if __name__ == "__main__":
    main()
