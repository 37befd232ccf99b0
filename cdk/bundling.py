"""Bundle a Lambda's code without Docker: pip installs the project's extra
for manylinux into the asset folder, next to the shared package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("callcenter", "lambdas")


@jsii.implements(ILocalBundling)
class PipBundler:
    def __init__(self, extra: str, python_version: str) -> None:
        self.extra = extra
        self.python_version = python_version

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_: object) -> bool:
        output = Path(output_dir)
        subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--quiet", "--target", str(output),
                "--platform", "manylinux2014_x86_64", "--implementation", "cp",
                "--python-version", self.python_version, "--only-binary=:all:",
                f"{ROOT}[{self.extra}]",
            ],
            check=True,
        )
        # The project itself is copied as source so tracebacks point at real files.
        for package in PACKAGES:
            shutil.rmtree(output / package, ignore_errors=True)
            shutil.copytree(ROOT / package, output / package, ignore=shutil.ignore_patterns("__pycache__"))
        return True


def bundling_options(extra: str, python_version: str) -> BundlingOptions:
    return BundlingOptions(
        image=DockerImage.from_registry("public.ecr.aws/sam/build-python" + python_version),
        local=PipBundler(extra, python_version),
        command=["bash", "-c", f"pip install '.[{extra}]' -t /asset-output && cp -r callcenter lambdas /asset-output"],
    )
