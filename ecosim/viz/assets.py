"""The page's JavaScript and CSS, stored where Solara serves them from, for closed networks.

Solara's page loads its JavaScript and CSS through a proxy in the server (``/_solara/cdn/...``)
that fetches them from a public CDN (cdn.jsdelivr.net) on first use and keeps them under
``<prefix>/share/solara/cdn/<package>@<version>/``. Corporate networks often cannot reach that CDN
(nor can CI), and then the page stays entirely white. The files are npm packages, so
:func:`prepare` takes them from the npm registry instead (``npm pack`` when npm is installed, so
npm's own registry and proxy settings apply; otherwise a direct download checked against the
registry's sha512 integrity) and unpacks each into that folder, where Solara finds them and never
asks the CDN.

Which packages and versions: the ones the installed Solara writes into the page, read from its
own files (the page template and the Font Awesome setting), so an upgrade of Solara asks for the
versions it needs. Watching the page in a browser (``tests/test_viz_browser.py`` checks it on
every run) shows it requests exactly these three:

- ``@widgetti/solara-vuetify-app`` (Vue, Vuetify, the widget manager, fonts),
- ``requirejs`` (the module loader),
- ``font-awesome`` (icons).

(Mesa's default SolaraViz main area, a draggable grid, would also load
``@widgetti/vue-grid-layout``; ecosim's page lays out its own main area and does not.)

Each package is unpacked into a temporary folder beside its destination and renamed into place,
with a marker file recording what was installed: an interrupted run never leaves a half-filled
package that looks complete, and running it again only fetches what is missing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)

DEFAULT_REGISTRY = "https://registry.npmjs.org/"
MARKER = ".ecosim-prepared.json"
#: Download limit per package (the largest, solara-vuetify-app, is about 15 MB packed).
MAX_TARBALL_BYTES = 200_000_000


class AssetError(RuntimeError):
    """The page's assets could not be determined, fetched or stored; the message says why."""


@dataclass(frozen=True)
class Package:
    """One npm package the page loads, and why."""

    name: str
    version: str
    why: str

    @property
    def spec(self) -> str:
        """The package as npm names it: ``name@version``."""
        return f"{self.name}@{self.version}"


# (package, file of the solara distribution that names its version, what it is for)
_SOURCES = (
    ("@widgetti/solara-vuetify-app", "server/templates/solara.html.j2", "Vue, Vuetify and the widget manager"),
    ("requirejs", "server/templates/solara.html.j2", "the module loader of the page"),
)
#: With ipyvue 3 Solara's page loads the Vue 3 build instead (ecosim pins ipyvue<3: docs/viz.md).
_VUE3_APP = "@widgetti/solara-vuetify3-app"


def required_packages() -> list[Package]:
    """The npm packages (exact versions) the installed Solara's page asks its CDN proxy for."""
    import solara
    import solara.server.settings as settings

    root = Path(solara.__file__).parent
    found = []
    sources = list(_SOURCES)
    if _ipyvue_major() >= 3:  # the same test Solara's server makes
        sources[0] = (_VUE3_APP, sources[0][1], sources[0][2])
    for name, rel, why in sources:
        path = root / rel
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise AssetError(
                f"cannot read {path} to find which {name} Solara {solara.__version__} needs: {exc.strerror}"
            ) from None
        versions = set(re.findall(re.escape(name) + r"@(\d+\.\d+\.\d+[\w.+-]*)/", text))
        if len(versions) != 1:
            raise AssetError(
                f"cannot tell which version of {name} Solara {solara.__version__} needs: "
                f"{path} names {sorted(versions) or 'none'}"
            )
        found.append(Package(name, versions.pop(), why))
    if settings.assets.fontawesome_enabled:
        match = re.match(r"/?(font-awesome)@(\d+\.\d+\.\d+[\w.+-]*)/", settings.assets.fontawesome_path)
        if match is None:
            raise AssetError(
                f"cannot tell which Font Awesome Solara needs from its setting "
                f"fontawesome_path={settings.assets.fontawesome_path!r}"
            )
        found.append(Package(match.group(1), match.group(2), "the icons"))
    return found


def _ipyvue_major() -> int:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("ipyvue").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 1


def cache_dir() -> Path:
    """Where Solara's server looks for CDN files (``SOLARA_ASSETS_PROXY_CACHE_DIR`` changes it)."""
    import solara.server.settings as settings

    return Path(settings.assets.proxy_cache_dir)


def package_dir(cache: Path, package: Package) -> Path:
    return cache / package.spec


def is_prepared(cache: Path, package: Package) -> bool:
    """Whether ``package`` was unpacked completely into ``cache`` (its marker and every file)."""
    folder = package_dir(cache, package)
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if marker.get("package") != package.spec:
        return False
    files = marker.get("files")
    return isinstance(files, list) and all((folder / f).is_file() for f in files)


def missing(cache: Path | None = None) -> list[Package]:
    """The packages the page needs that are not stored locally."""
    cache = cache_dir() if cache is None else Path(cache)
    return [p for p in required_packages() if not is_prepared(cache, p)]


def prepare(
    cache: Path | None = None,
    *,
    registry: str | None = None,
    use_npm: bool | None = None,
    packages: list[Package] | None = None,
    report: Callable[[str], None] = lambda line: log.info("%s", line),
) -> list[tuple[Package, str]]:
    """Fetch every package the page needs from the npm registry and unpack it into ``cache``.

    Args:
        cache: Solara's CDN cache folder (default: :func:`cache_dir`).
        registry: the npm registry (default: npm's configured one, or ``npm_config_registry``,
            or https://registry.npmjs.org/).
        use_npm: use ``npm pack`` (True), download directly (False), or npm when it is installed
            (None).
        packages: what to fetch (default: :func:`required_packages`).
        report: called with one line per package.

    Returns:
        (package, "already in place" | "installed") for each package.

    Raises:
        AssetError: a package could not be fetched, checked or stored; the message names it.
    """
    cache = cache_dir() if cache is None else Path(cache)
    packages = required_packages() if packages is None else packages
    npm = shutil.which("npm") if use_npm is not False else None
    if use_npm and npm is None:
        raise AssetError("npm is not installed (or not on PATH); run without npm to download directly")
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AssetError(_write_problem(cache, exc)) from None
    done = []
    for package in packages:
        if is_prepared(cache, package):
            report(f"{package.spec}: already in place")
            done.append((package, "already in place"))
            continue
        with tempfile.TemporaryDirectory(prefix="ecosim-assets-") as tmp:
            if npm is not None:
                tarball, source = _npm_pack(npm, package, Path(tmp), registry)
            else:
                tarball, source = _download(package, Path(tmp), registry)
            _install(cache, package, tarball, source)
        report(f"{package.spec}: installed ({package.why}) from {source}")
        done.append((package, "installed"))
    return done


# ---- fetching ------------------------------------------------------------------------------------


def _registry(registry: str | None) -> str:
    url = registry or os.environ.get("npm_config_registry") or os.environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY
    return url if url.endswith("/") else url + "/"


def _npm_pack(npm: str, package: Package, folder: Path, registry: str | None) -> tuple[Path, str]:
    """``npm pack`` the package into ``folder`` (npm checks the registry's integrity itself)."""
    cmd = [npm, "pack", package.spec, "--json", "--pack-destination", str(folder), "--ignore-scripts"]
    if registry:
        cmd += ["--registry", registry]
    try:
        done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AssetError(f"{package.spec}: npm pack failed: {exc}") from None
    if done.returncode != 0:
        raise AssetError(
            f"{package.spec}: npm pack could not fetch it from the npm registry: "
            f"{_npm_problem(done.stdout, done.stderr, done.returncode)}"
        )
    try:
        info = json.loads(done.stdout)[0]
        tarball = folder / info["filename"]
    except (ValueError, LookupError, TypeError):
        tgz = sorted(folder.glob("*.tgz"))
        if len(tgz) != 1:
            raise AssetError(f"{package.spec}: npm pack did not say which file it wrote") from None
        tarball = tgz[0]
    if not tarball.is_file():
        raise AssetError(f"{package.spec}: npm pack reported {tarball.name}, which is not there")
    return tarball, "npm pack"


def _npm_problem(stdout: str, stderr: str, code: int) -> str:
    """Npm's reason for failing, in one line.

    Its JSON error summary, else its error code and the first line that is neither a stack frame
    nor general advice.
    """
    try:
        error = json.loads(stdout[stdout.index("{") :])["error"]
        return f"{error.get('code', 'error')}: {error.get('summary', '').strip()}".strip(": ")
    except (ValueError, LookupError, TypeError, AttributeError):
        pass
    lines = [ln.removeprefix("npm error").strip() for ln in stderr.splitlines()]
    useful = [
        ln
        for ln in lines
        if ln
        and not ln.startswith(
            (
                "at ",
                "syscall",
                "errno",
                "A complete log",
                "If you are behind",
                "{",
                "}",
                "code:",
                "errno:",
                "syscall:",
                "address:",
                "port:",
                "type:",
            )
        )
    ]
    return "; ".join(useful[:2]) or f"exit code {code}"


def _get(url: str, what: str, limit: int) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "ecosim-viz-assets", "Accept": "*/*"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            data = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise AssetError(f"{what}: the registry answered {exc.code} {exc.reason} for {url}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AssetError(f"{what}: cannot reach {url} ({reason})") from None
    if len(data) > limit:
        raise AssetError(f"{what}: {url} is larger than {limit:,} bytes")
    return data


def _download(package: Package, folder: Path, registry: str | None) -> tuple[Path, str]:
    """Download the package's tarball named by the registry and check its sha512 integrity."""
    base = _registry(registry)
    meta_url = base + urllib.parse.quote(package.name, safe="@") + "/" + urllib.parse.quote(package.version)
    try:
        meta = json.loads(_get(meta_url, package.spec, 10_000_000))
        dist = meta["dist"]
        tarball_url, integrity = dist["tarball"], dist["integrity"]
    except (ValueError, LookupError, TypeError):
        raise AssetError(
            f"{package.spec}: {meta_url} is not an npm registry answer with dist.tarball and dist.integrity"
        ) from None
    data = _get(tarball_url, package.spec, MAX_TARBALL_BYTES)
    algo, _, expected = str(integrity).partition("-")
    if algo != "sha512":
        raise AssetError(f"{package.spec}: the registry gives a {algo or 'missing'} integrity; only sha512 is accepted")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise AssetError(
            f"{package.spec}: the download from {tarball_url} does not match the registry's "
            "sha512 integrity (corrupted or tampered with); nothing was installed"
        )
    path = folder / "package.tgz"
    path.write_bytes(data)
    return path, base


# ---- unpacking -----------------------------------------------------------------------------------


def _install(cache: Path, package: Package, tarball: Path, source: str) -> None:
    """Unpack ``tarball`` (an npm package: files under one top folder) into the package's folder.

    Atomically: into a temporary folder beside it, then renamed into place.
    """
    target = package_dir(cache, package)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".ecosim-tmp-", dir=target.parent))
    except OSError as exc:
        raise AssetError(_write_problem(target.parent, exc)) from None
    try:
        files = _unpack(tarball, tmp, package)
        marker = {
            "package": package.spec,
            "source": source,
            "files": files,
            "sha512": base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode(),
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        old = None
        if target.exists():  # e.g. a partial copy Solara's proxy cached file by file
            old = Path(tempfile.mkdtemp(prefix=".ecosim-old-", dir=target.parent))
            os.replace(target, old / "pkg")
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise AssetError(_write_problem(target, exc)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _unpack(tarball: Path, dest: Path, package: Package) -> list[str]:
    """Regular files of the tarball, with its top folder stripped, into ``dest``; their paths."""
    files = []
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in tar:
                if not member.isfile():
                    continue  # npm packages hold files only; links and devices are skipped
                parts = PurePosixPath(member.name).parts[1:]
                if not parts or any(p in ("", ".", "..") for p in parts) or member.name.startswith("/"):
                    raise AssetError(f"{package.spec}: the tarball has an unsafe path {member.name!r}")
                rel = "/".join(parts)
                out = dest.joinpath(*parts)
                out.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover - regular files always have data
                    continue
                with source, open(out, "wb") as f:
                    shutil.copyfileobj(source, f)
                os.chmod(out, 0o644)
                files.append(rel)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise AssetError(f"{package.spec}: the tarball cannot be read ({exc})") from None
    if not files:
        raise AssetError(f"{package.spec}: the tarball holds no files")
    for folder in {p for p in dest.rglob("*") if p.is_dir()}:
        os.chmod(folder, 0o755)
    return sorted(files)


def _write_problem(path: Path, exc: OSError) -> str:
    return (
        f"cannot write to {path} ({exc.strerror or exc}); make it writable, or set "
        "SOLARA_ASSETS_PROXY_CACHE_DIR to a writable folder both here and when running the viz"
    )


def describe(cache: Path | None = None) -> str:
    """Where the assets live and which are missing, in a few lines."""
    cache = cache_dir() if cache is None else Path(cache)
    lines = [f"Solara serves the page's JavaScript from {cache}"]
    for package in required_packages():
        state = "in place" if is_prepared(cache, package) else "missing"
        lines.append(f"  {package.spec:45s} {state}  ({package.why})")
    return "\n".join(lines)


__all__ = ["AssetError", "Package", "cache_dir", "describe", "is_prepared", "missing", "prepare", "required_packages"]
