"""Create or refresh the project's virtual environment. Runs on any python3, checks >= 3.11.

Usage: python3 scripts/bootstrap.py VENV REQUIREMENTS_FILE
Re-installs only when the requirements files changed since the last install.
"""

import hashlib
import subprocess
import sys
from pathlib import Path

MINIMUM = (3, 11)


def main() -> int:
    if sys.version_info < MINIMUM:
        sys.stderr.write(
            "Influence needs Python %d.%d or newer, but python3 here is %s.\n"
            "Install a newer Python (Debian 12 and Ubuntu 24.04 ship one) and try again.\n"
            % (MINIMUM[0], MINIMUM[1], sys.version.split()[0])
        )
        return 1
    venv = Path(sys.argv[1])
    req = Path(sys.argv[2])
    files = [req] + [Path("requirements.txt")] if req.name != "requirements.txt" else [req]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = venv / (".installed-" + req.stem)
    python = venv / "bin" / "python"
    if not python.exists():
        print("Creating the virtual environment in %s ..." % venv, flush=True)
        result = subprocess.run([sys.executable, "-m", "venv", str(venv)])
        if result.returncode != 0:
            sys.stderr.write(
                "Could not create a virtual environment. On Debian or Ubuntu: "
                "apt-get install python3-venv\n"
            )
            return 1
    if stamp.exists() and stamp.read_text() == digest:
        return 0
    print("Installing %s ..." % req, flush=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if subprocess.run(pip + ["-r", str(req)]).returncode != 0:
        sys.stderr.write("Installing %s failed; see the messages above.\n" % req)
        return 1
    stamp.write_text(digest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
