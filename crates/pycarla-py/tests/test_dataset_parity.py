"""render_batch() and the `pycarla render` command are two front ends of one dataset layer: the
same request writes the same files (byte for byte) and the same manifest lines, but for the
wall-clock seconds and where the outputs live."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

import pycarla_rs
from conftest import REPO, needs_carla

pytestmark = needs_carla


@pytest.fixture(scope="module")
def pycarla_command() -> Path:
    """The `pycarla` command of this checkout, built when it is not yet."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = target / "debug" / "pycarla"
    if not binary.is_file():
        subprocess.run(
            ["cargo", "build", "-p", "pycarla-cli", "--bin", "pycarla"], cwd=REPO, check=True
        )
    return binary


@pytest.fixture
def dataset(shared_midi, tmp_path) -> Path:
    """A small dataset with a sub-directory: three real files, one of them two levels down."""
    root = tmp_path / "midi"
    (root / "set" / "deep").mkdir(parents=True)
    shutil.copy(shared_midi / "test01.mid", root / "test01.mid")
    shutil.copy(shared_midi / "test19.mid", root / "set" / "test19.mid")
    shutil.copy(shared_midi / "test03.mid", root / "set" / "deep" / "test03.mid")
    return root


def files_under(root: Path) -> Dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def manifest_lines(path: Path, out: Path) -> List[dict]:
    """The manifest's lines with outputs relative to `out` and without the wall-clock time."""
    lines = []
    for text in path.read_text().splitlines():
        line = json.loads(text)
        line.pop("seconds", None)
        line["output"] = str(Path(line["output"]).relative_to(out))
        lines.append(line)
    return sorted(lines, key=lambda line: (line["output"], line.get("variant") or ""))


def command(binary: Path, *args: object) -> None:
    done = subprocess.run(
        [str(binary), "render", *map(str, args)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_mirrored_tree_with_variants_is_the_same_from_python_and_the_command(
    pycarla_command, dataset, tmp_path, click_sfz
):
    variants_file = tmp_path / "variants.toml"
    variants_file.write_text(f'[variant.tabled]\nplugin = "{click_sfz}"\n')
    cli_out, py_out = tmp_path / "cli", tmp_path / "py"
    command(
        pycarla_command, dataset, "-o", cli_out, "--sfz", click_sfz, "--tail", "0.25",
        "--format", "wav16", "--manifest", cli_out / "manifest.jsonl",
        "--variant", f"plain={click_sfz}", "--variants", variants_file,
    )  # fmt: skip
    results = pycarla_rs.render_batch(
        dataset, py_out, sfz=click_sfz, tail=0.25, format="wav16",
        manifest=py_out / "manifest.jsonl",
        variants={"plain": click_sfz, "tabled": {"plugin": str(click_sfz)}},
    )  # fmt: skip
    assert [r.status for r in results] == ["rendered"] * 6
    assert sorted({r.variant for r in results}) == ["plain", "tabled"]
    cli_files = files_under(cli_out)
    cli_files.pop("manifest.jsonl")
    py_files = files_under(py_out)
    py_files.pop("manifest.jsonl")
    assert sorted(cli_files) == sorted(py_files)
    assert "set/deep/test03.plain.wav" in cli_files
    assert cli_files == py_files
    assert manifest_lines(cli_out / "manifest.jsonl", cli_out) == manifest_lines(
        py_out / "manifest.jsonl", py_out
    )


def test_stems_with_a_map_flac_and_loudness_are_the_same_from_python_and_the_command(
    pycarla_command, dataset, tmp_path, click_sfz
):
    rule = {"channel": 1, "plugin": str(click_sfz)}
    map_file = tmp_path / "map.toml"
    map_file.write_text(f'[[rule]]\nchannel = 1\nplugin = "{click_sfz}"\n')
    cli_out, py_out = tmp_path / "cli", tmp_path / "py"
    command(
        pycarla_command, dataset, "-o", cli_out, "--sfz", click_sfz, "--tail", "0.25",
        "--stems", "channel", "--map", map_file, "--format", "flac16", "--normalize", "-20",
        "--seed", "7", "--manifest", cli_out / "manifest.jsonl",
    )  # fmt: skip
    results = pycarla_rs.render_batch(
        dataset, py_out, sfz=click_sfz, tail=0.25, stems="channel", map={"rule": [rule]},
        format="flac16", normalize=-20, seed=7, manifest=py_out / "manifest.jsonl",
    )  # fmt: skip
    assert [r.status for r in results] == ["rendered"] * 3
    assert all(r.stems and r.output.is_dir() for r in results)
    cli_files = files_under(cli_out)
    py_files = files_under(py_out)
    for files in (cli_files, py_files):
        files.pop("manifest.jsonl")
        # The metadata names the map as it was given: a file, or a dict.
        for name in [name for name in files if name.endswith(".json")]:
            meta = json.loads(files[name])
            meta.pop("map", None)
            files[name] = json.dumps(meta, sort_keys=True).encode()
    assert any(name.endswith(".flac") for name in cli_files)
    assert cli_files == py_files
    assert manifest_lines(cli_out / "manifest.jsonl", cli_out) == manifest_lines(
        py_out / "manifest.jsonl", py_out
    )


def test_python_refuses_what_the_command_refuses(dataset, tmp_path, click_sfz):
    with pytest.raises(pycarla_rs.errors.UsageError, match="needs stems"):
        pycarla_rs.render_batch(dataset, tmp_path, sfz=click_sfz, map={"rule": []})
    with pytest.raises(pycarla_rs.errors.UsageError, match="stems=\"bars\""):
        pycarla_rs.render_batch(dataset, tmp_path, sfz=click_sfz, stems="bars")
    with pytest.raises(pycarla_rs.errors.UsageError, match="shard"):
        pycarla_rs.render_batch(dataset, tmp_path, sfz=click_sfz, shard=(2, 2))
    with pytest.raises(pycarla_rs.errors.UsageError, match="name"):
        pycarla_rs.render_batch(dataset, tmp_path, sfz=click_sfz, variants={"a b": click_sfz})
    with pytest.raises(pycarla_rs.errors.UsageError, match="flac16"):
        pycarla_rs.render(dataset / "test01.mid", sfz=click_sfz, format="flac16")
